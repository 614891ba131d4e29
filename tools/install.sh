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

# have NAME MODULE VERSION: true when $bin/NAME was built from MODULE at VERSION
# (read from the build info Go embeds; the tools print "dev" themselves).
have() {
  [ -x "$bin/$1" ] && go version -m "$bin/$1" 2>/dev/null | grep -qE "^\s+mod\s+$2\s+v$3\s"
}

# install NAME MODULE VERSION PACKAGE
install() {
  local name=$1 module=$2 version=$3 pkg=$4
  if have "$name" "$module" "$version"; then
    [ -x "$cache/$name-$version" ] || cp "$bin/$name" "$cache/$name-$version"
    return
  fi
  if [ -x "$cache/$name-$version" ]; then
    cp "$cache/$name-$version" "$bin/$name"
    have "$name" "$module" "$version" && { echo "tools: $name $version from $cache"; return; }
  fi
  echo "tools: building $name $version from the Go module proxy (about 6 minutes the first time on 2 cores)..."
  local start=$SECONDS
  (cd "$bin" && GOBIN="$bin" go install "$pkg@v$version")
  have "$name" "$module" "$version" || { echo "tools: $name is not $module v$version after the build" >&2; exit 1; }
  cp "$bin/$name" "$cache/$name-$version.tmp.$$" && mv "$cache/$name-$version.tmp.$$" "$cache/$name-$version"
  echo "tools: $name $version built in $((SECONDS - start)) s"
}

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(terraform tfplugindocs)
for t in "${want[@]}"; do
  case $t in
    terraform)
      install terraform github.com/hashicorp/terraform "$TERRAFORM_VERSION" github.com/hashicorp/terraform ;;
    tfplugindocs)
      install tfplugindocs github.com/hashicorp/terraform-plugin-docs "$TFPLUGINDOCS_VERSION" github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs ;;
    *) echo "tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
