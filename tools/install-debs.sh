#!/usr/bin/env bash
# Installs Debian packages the tests need, idempotently: a package whose
# command is already on PATH, or which dpkg lists as installed, is skipped,
# and `apt-get update` runs only when something must be installed.
#
#   tools/install-debs.sh jq python3-winrm [more...]
set -euo pipefail
installed() {
  command -v "$1" >/dev/null 2>&1 ||
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}
missing=()
for pkg in "$@"; do
  installed "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tools: installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
