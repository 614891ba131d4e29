#!/usr/bin/env bash
# Regenerates docs/ from the provider's schema, templates/ and examples/ with
# tfplugindocs, without any download: the schema comes from the locally built
# provider through a dev_overrides CLI configuration.
#
#   tools/gendocs.sh           # write docs/
#   tools/gendocs.sh --check   # fail when docs/ is not what the schema gives
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tools/install.sh terraform tfplugindocs >/dev/null
bin="$root/.tools/bin"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/bin/terraform-provider-iis" .
cat > "$tmp/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "dp-tools/iis" = "$tmp/bin"
  }
  direct {}
}
RC
mkdir -p "$tmp/work"
cat > "$tmp/work/main.tf" <<'TF'
terraform {
  required_providers {
    iis = { source = "dp-tools/iis" }
  }
}
TF
# tfplugindocs finds a schema only under "iis" or the hashicorp namespace.
(cd "$tmp/work" && TF_CLI_CONFIG_FILE="$tmp/terraformrc" "$bin/terraform" providers schema -json) |
  sed 's#"registry.terraform.io/dp-tools/iis":#"iis":#' > "$tmp/schema.json"

out=docs
if [ "${1:-}" = "--check" ]; then
  cp -r . "$tmp/tree" 2>/dev/null || true
  rm -rf "$tmp/tree/.git" "$tmp/tree/.tools"
  out="$tmp/tree/docs"
  rm -rf "$out"
  (cd "$tmp/tree" && PATH="$bin:$PATH" "$bin/tfplugindocs" generate --provider-name iis --rendered-provider-name IIS --providers-schema "$tmp/schema.json" >/dev/null)
  if ! diff -ru docs "$out" >"$tmp/diff"; then
    echo "docs/ is out of date with the schema, templates/ or examples/: run 'make generate' and commit docs/" >&2
    head -40 "$tmp/diff" >&2
    exit 1
  fi
  echo "docs: up to date"
  exit 0
fi
PATH="$bin:$PATH" "$bin/tfplugindocs" generate --provider-name iis --rendered-provider-name IIS --providers-schema "$tmp/schema.json"
