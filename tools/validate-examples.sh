#!/usr/bin/env bash
# Runs `terraform validate` on every example against the provider built from
# this tree (through dev_overrides, no download), so an example that no
# longer matches the schema fails `make test`. Resource and data-source
# examples are validated together with examples/provider.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tools/install.sh terraform >/dev/null
tf="$root/.tools/bin/terraform"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bin/terraform-provider-iis" .
printf 'provider_installation {\n  dev_overrides {\n    "dp-tools/iis" = "%s"\n  }\n  direct {}\n}\n' "$tmp/bin" > "$tmp/terraformrc"
export TF_CLI_CONFIG_FILE="$tmp/terraformrc"
versions='terraform {
  required_providers {
    iis = { source = "dp-tools/iis" }
  }
}
'
failed=0
check() { # check NAME DIR
  if out=$(cd "$2" && "$tf" validate -no-color 2>&1); then
    echo "examples: $1 valid"
  else
    echo "examples: $1 does not match the schema:"; echo "$out" | grep -A12 '^Error' ; failed=1
  fi
}
for ex in examples/resources/*/ examples/data-sources/*/; do
  name=$(basename "$ex"); dir="$tmp/$name"; mkdir -p "$dir"
  cp "$ex"/*.tf examples/provider/provider.tf "$dir/"
  printf '%s' "$versions" > "$dir/versions.tf"
  check "$name" "$dir"
done
cp -r examples/quickstart "$tmp/quickstart" && check quickstart "$tmp/quickstart"
cp -r examples/modules "$tmp/modules"
check configmgr-distribution-point "$tmp/modules/configmgr-distribution-point"
(cd "$tmp/modules/configmgr-distribution-point/examples/fleet" && "$tf" get >/dev/null)
check "configmgr-distribution-point/examples/fleet" "$tmp/modules/configmgr-distribution-point/examples/fleet"
exit $failed
