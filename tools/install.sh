#!/usr/bin/env bash
# Installs the tools the tests need into .tools/bin (git-ignored), building
# them from the Go module proxy. Idempotent: a tool of the right version is
# kept. Built binaries are also cached in $IIS_TOOLS_CACHE (default
# ~/.cache/terraform-provider-iis) so a fresh clone on the same machine (CI)
# copies them instead of building again.
#
#   tools/install.sh            # terraform and tfplugindocs
#   tools/install.sh terraform  # only some
set -euo pipefail

TERRAFORM_VERSION=1.8.5   # newer Terraform module zips lack nested modules and do not build
TFPLUGINDOCS_VERSION=0.25.0

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
cache="${IIS_TOOLS_CACHE:-$HOME/.cache/terraform-provider-iis}"
mkdir -p "$bin" "$cache"

# have NAME VERSION CHECK...: true when $bin/NAME answers CHECK with VERSION in it.
have() {
  local name=$1 version=$2; shift 2
  [ -x "$bin/$name" ] && "$bin/$name" "$@" 2>/dev/null | grep -q "$version"
}

# install NAME VERSION MODULE@VERSION CHECK...
install() {
  local name=$1 version=$2 module=$3; shift 3
  if have "$name" "$version" "$@"; then
    return
  fi
  if [ -x "$cache/$name-$version" ]; then
    cp "$cache/$name-$version" "$bin/$name"
    have "$name" "$version" "$@" && { echo "tools: $name $version from $cache"; return; }
  fi
  echo "tools: building $name $version from the Go module proxy (a few minutes the first time)..."
  local start=$SECONDS
  (cd "$root" && GOBIN="$bin" GOFLAGS=-mod=mod go install "$module")
  have "$name" "$version" "$@" || { echo "tools: $name did not report version $version" >&2; exit 1; }
  cp "$bin/$name" "$cache/$name-$version.tmp.$$" && mv "$cache/$name-$version.tmp.$$" "$cache/$name-$version"
  echo "tools: $name $version built in $((SECONDS - start)) s"
}

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(terraform tfplugindocs)
for t in "${want[@]}"; do
  case $t in
    terraform)
      # TF_CLI_CONFIG_FILE may name a missing file on this machine; version needs none.
      TF_CLI_CONFIG_FILE=/dev/null install terraform "v$TERRAFORM_VERSION" "github.com/hashicorp/terraform@v$TERRAFORM_VERSION" version ;;
    tfplugindocs)
      install tfplugindocs "$TFPLUGINDOCS_VERSION" "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v$TFPLUGINDOCS_VERSION" --version ;;
    *) echo "tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
