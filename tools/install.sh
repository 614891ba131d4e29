#!/usr/bin/env bash
# Installs the tools the tests need into .tools/bin (git-ignored), building
# them from the Go module proxy. Idempotent: a tool of the right version is
# kept. Built binaries are also cached in $IIS_TOOLS_CACHE (default
# ~/.cache/terraform-provider-iis) so a fresh clone on the same machine (CI)
# copies them instead of building again.
#
#   tools/install.sh            # everything `make test` needs
#   tools/install.sh terraform  # only some: terraform tofu tfplugindocs
#                               # golangci-lint goreleaser pscheck actionlint
set -euo pipefail

TERRAFORM_VERSION=1.8.5   # newer Terraform module zips lack nested modules and do not build
TOFU_VERSION=1.10.10      # the newest OpenTofu 1.10 patch the Go module proxy serves
TFPLUGINDOCS_VERSION=0.25.0
GOLANGCI_LINT_VERSION=2.15.0
GORELEASER_VERSION=2.15.1
ACTIONLINT_VERSION=1.7.12 # checks .github/workflows (make test)

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
cache="${IIS_TOOLS_CACHE:-$HOME/.cache/terraform-provider-iis}"
mkdir -p "$bin" "$cache"
# Go names executables NAME.exe on Windows (make testacc-windows runs there).
exe=$(go env GOEXE)

# have NAME MODULE VERSION: true when $bin/NAME was built from MODULE at VERSION
# (read from the build info Go embeds; the tools print "dev" themselves).
have() {
  [ -x "$bin/$1$exe" ] && go version -m "$bin/$1$exe" 2>/dev/null | grep -qE "^\s+mod\s+$2\s+v$3\s"
}

# keep NAME VERSION: store $bin/NAME in the cache as NAME-VERSION (atomically).
keep() {
  cp "$bin/$1$exe" "$cache/$1-$2$exe.tmp.$$" && mv "$cache/$1-$2$exe.tmp.$$" "$cache/$1-$2$exe"
}

# install NAME MODULE VERSION PACKAGE MINUTES
install() {
  local name=$1 module=$2 version=$3 pkg=$4 minutes=$5
  if have "$name" "$module" "$version"; then
    [ -x "$cache/$name-$version$exe" ] || keep "$name" "$version"
    return
  fi
  if [ -x "$cache/$name-$version$exe" ]; then
    cp "$cache/$name-$version$exe" "$bin/$name$exe"
    have "$name" "$module" "$version" && { echo "tools: $name $version from $cache"; return; }
  fi
  echo "tools: building $name $version from the Go module proxy (about $minutes minutes the first time on 2 cores)..."
  local start=$SECONDS
  (cd "$bin" && GOBIN="$bin" go install "$pkg@v$version")
  have "$name" "$module" "$version" || { echo "tools: $name is not $module v$version after the build" >&2; exit 1; }
  keep "$name" "$version"
  echo "tools: $name $version built in $((SECONDS - start)) s"
}

# OpenTofu is a main module, so `go install pkg@version` does not build it (its
# go.mod has replace directives): build it from a writable copy of the module
# the proxy serves. Its version is embedded from version/VERSION, so the
# binary's own `tofu version` tells which one it is (built as a release, without
# the "-dev" suffix).
have_tofu() {
  [ -x "$bin/tofu" ] && TF_CLI_CONFIG_FILE=/dev/null "$bin/tofu" version 2>/dev/null | head -1 | grep -qx "OpenTofu v$TOFU_VERSION"
}
install_tofu() {
  if have_tofu; then
    [ -x "$cache/tofu-$TOFU_VERSION" ] || keep tofu "$TOFU_VERSION"
    return
  fi
  if [ -x "$cache/tofu-$TOFU_VERSION" ]; then
    cp "$cache/tofu-$TOFU_VERSION" "$bin/tofu"
    have_tofu && { echo "tools: tofu $TOFU_VERSION from $cache"; return; }
  fi
  echo "tools: building tofu $TOFU_VERSION from the Go module proxy (about 8 minutes the first time on 2 cores)..."
  local start=$SECONDS dir src
  dir=$(cd "$root" && go mod download -json "github.com/opentofu/opentofu@v$TOFU_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "tools: go mod download gave no directory for opentofu v$TOFU_VERSION" >&2; exit 1; }
  src=$(mktemp -d)
  cp -r "$dir/." "$src/"
  chmod -R u+w "$src"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$bin/tofu.tmp.$$" ./cmd/tofu) || { rm -rf "$src"; exit 1; }
  rm -rf "$src"
  mv "$bin/tofu.tmp.$$" "$bin/tofu"
  have_tofu || { echo "tools: tofu is not OpenTofu v$TOFU_VERSION after the build: $(TF_CLI_CONFIG_FILE=/dev/null "$bin/tofu" version 2>&1 | head -1)" >&2; exit 1; }
  keep tofu "$TOFU_VERSION"
  echo "tools: tofu $TOFU_VERSION built in $((SECONDS - start)) s"
}

# The PowerShell syntax checker (tools/pscheck): node packages from the npm
# registry, pinned by package-lock.json. tree-sitter's prebuilt binary needs a
# newer libstdc++ than Debian 12 has, so its install script (allowed in
# package.json) compiles it with node-gyp against the local node headers,
# about a minute. The installed node_modules is kept in the cache as a tar
# file keyed by the lock file, package.json, node's version and the machine,
# so a fresh clone unpacks it in a second; `npm ci` runs only when there is
# none. A node_modules installed from other files is replaced.
pscheck_works() { node "$1/pscheck.mjs" --version >/dev/null 2>&1; }
install_pscheck() {
  local dir="$root/tools/pscheck" stamp key tarball
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "tools: node and npm are needed for tools/pscheck, the PowerShell syntax check (apt-get install nodejs npm)" >&2
    # Outside CI the Go test then skips itself with the same message.
    case ${CI:-} in ''|false|0) return ;; *) exit 1 ;; esac
  fi
  stamp="$dir/node_modules/.pscheck-key"
  key=$( (cat "$dir/package-lock.json" "$dir/package.json"; node --version; uname -sm) | sha256sum | cut -c1-16)
  tarball="$cache/pscheck-node_modules-$key.tar.gz"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && pscheck_works "$dir"; then
    [ -f "$tarball" ] || keep_pscheck "$dir" "$tarball"
    return
  fi
  rm -rf "$dir/node_modules"
  if [ -f "$tarball" ] && tar -xzf "$tarball" -C "$dir" && pscheck_works "$dir"; then
    echo "$key" > "$stamp"
    echo "tools: pscheck packages from $cache"
    return
  fi
  rm -rf "$dir/node_modules"
  echo "tools: npm ci in tools/pscheck (about a minute the first time)..."
  local start=$SECONDS
  (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  pscheck_works "$dir" || { echo "tools: tools/pscheck does not run after npm ci:" >&2; node "$dir/pscheck.mjs" --version >&2; exit 1; }
  echo "$key" > "$stamp"
  keep_pscheck "$dir" "$tarball"
  echo "tools: pscheck installed in $((SECONDS - start)) s"
}
keep_pscheck() {
  tar -czf "$2.tmp.$$" -C "$1" node_modules && mv "$2.tmp.$$" "$2"
}

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(terraform tofu tfplugindocs golangci-lint pscheck actionlint)
for t in "${want[@]}"; do
  case $t in
    terraform)
      install terraform github.com/hashicorp/terraform "$TERRAFORM_VERSION" github.com/hashicorp/terraform 6 ;;
    tofu)
      install_tofu ;;
    tfplugindocs)
      install tfplugindocs github.com/hashicorp/terraform-plugin-docs "$TFPLUGINDOCS_VERSION" github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs 2 ;;
    golangci-lint)
      install golangci-lint github.com/golangci/golangci-lint/v2 "$GOLANGCI_LINT_VERSION" github.com/golangci/golangci-lint/v2/cmd/golangci-lint 3 ;;
    goreleaser)
      install goreleaser github.com/goreleaser/goreleaser/v2 "$GORELEASER_VERSION" github.com/goreleaser/goreleaser/v2 12 ;;
    pscheck)
      install_pscheck ;;
    actionlint)
      install actionlint github.com/rhysd/actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint 1 ;;
    *) echo "tools: unknown tool $t" >&2; exit 2 ;;
  esac
done
