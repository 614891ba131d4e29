#!/usr/bin/env bash
# Installs Debian packages the tests need, idempotently: a package whose
# command is already on PATH is skipped, and `apt-get update` runs only when
# something must be installed.
#
#   tools/install-debs.sh jq [more...]   (package names whose command has the same name)
#   tools/install-debs.sh python3-gssapi:gssapi   (a Python package: installed when
#                                                 Debian's python3 cannot import the module)
set -euo pipefail
missing=()
for arg in "$@"; do
  pkg=${arg%%:*}
  if [ "$pkg" != "$arg" ]; then
    /usr/bin/python3 -c "import ${arg#*:}" >/dev/null 2>&1 || missing+=("$pkg")
    continue
  fi
  command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tools: installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
