#!/usr/bin/env bash
# The provider at work, against the built-in DP simulator: it serves a copy of
# a real applicationHost.config (IIS with ASP.NET, so .config is denied) over
# WinRM, and examples/quickstart allows .config as KB2508665 describes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tools/install.sh terraform >/dev/null
tf="$root/.tools/bin/terraform"
demo="$root/.demo"
rm -rf "$demo" && mkdir -p "$demo/bin" "$demo/dp01" "$demo/work"

fixtures="${IIS_FIXTURES:-$root/../shared/fixtures}"
cp "$fixtures/applicationHost.aspnet-full.config" "$demo/dp01/applicationHost.config"
cp "$demo/dp01/applicationHost.config" "$demo/original.config"

step() { printf '\n==> %s\n' "$*"; }

step "Building the provider and the DP simulator"
go build -o "$demo/bin/terraform-provider-iis" .
go build -o "$demo/dpsim" ./tools/dpsim

step "Starting a simulated distribution point (WinRM on loopback, authentication as Windows ships it)"
# Windows' defaults (winrm/config/service): Negotiate and Kerberos on, Basic
# off, AllowUnencrypted=false. The provider's default, NTLM, then seals
# every message over HTTP.
"$demo/dpsim" -listen 127.0.0.1:0 -config-file "$demo/dp01/applicationHost.config" \
  -username 'CORP\svc-terraform' -password 'demo-Passw0rd' >"$demo/dpsim.url" 2>"$demo/dpsim.log" &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$demo/dpsim.url" ] && break; sleep 0.1; done
url=$(head -1 "$demo/dpsim.url")
port=${url##*:}; port=${port%%/*}
echo "simulated DP at $url"
sed -n 's/^dpsim: serving .*(auth \(.*\))$/authentication: \1/p' "$demo/dpsim.log"

cat > "$demo/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "dp-tools/iis" = "$demo/bin"
  }
  direct {}
}
RC
cp examples/quickstart/*.tf "$demo/work/"
export TF_CLI_CONFIG_FILE="$demo/terraformrc" TF_IN_AUTOMATION=1
export IIS_USERNAME='CORP\svc-terraform' IIS_PASSWORD='demo-Passw0rd'
vars=(-var dp_host=127.0.0.1 -var "winrm_port=$port") # auth = "ntlm", allow_unencrypted = false: the defaults
cd "$demo/work"

step "The DP denies .config, as IIS with ASP.NET does (HTTP 404.7 for ConfigMgr clients)"
grep -n 'fileExtension=".config"' "$demo/dp01/applicationHost.config"

step "terraform apply"
# (Terraform's warning about dev_overrides is left out of the output.)
"$tf" apply -auto-approve -no-color "${vars[@]}" 2>&1 | sed -n '/Terraform will perform/,$p'

step "What changed in applicationHost.config: exactly one line"
diff "$demo/original.config" "$demo/dp01/applicationHost.config" || true

step "terraform plan right after: nothing to do"
"$tf" plan -detailed-exitcode "${vars[@]}" >"$demo/plan.out" 2>&1 && echo "exit code 0: no changes" || { cat "$demo/plan.out"; exit 1; }

step "Someone edits the file by hand on the DP (allowed=\"false\" again)"
sed -i 's/<add fileExtension=".config" allowed="true" \/>/<add fileExtension=".config" allowed="false" \/>/' "$demo/dp01/applicationHost.config"

step "The scheduled drift check: terraform plan -detailed-exitcode"
set +e
"$tf" plan -detailed-exitcode -no-color "${vars[@]}" >"$demo/plan.out" 2>&1
code=$?
set -e
sed -n '/Terraform will perform/,/Plan:/p' "$demo/plan.out"
echo "exit code $code (2 = drift)"
[ "$code" = 2 ] || { cat "$demo/plan.out"; exit 1; }

step "terraform apply repairs it; terraform destroy gives the file back byte for byte"
"$tf" apply -auto-approve "${vars[@]}" >/dev/null 2>&1
"$tf" destroy -auto-approve "${vars[@]}" >/dev/null 2>&1
cmp "$demo/original.config" "$demo/dp01/applicationHost.config" && echo "applicationHost.config is identical to the original"
echo "backups kept beside it:"
ls "$demo/dp01" | grep tf-backup | sed 's/^/  /'
