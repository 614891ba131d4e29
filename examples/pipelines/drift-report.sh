#!/usr/bin/env bash
# Scheduled drift check for IIS request filtering on distribution points.
#
#   drift-report.sh [terraform arguments...]
#
# Runs `terraform plan -refresh-only -detailed-exitcode` (refresh only: it
# reports what changed on the DPs, and proposes nothing). Exit 0: no drift.
# Exit 2: drift; the DPs and rules that drifted are listed, one per line:
#   DRIFT <dp> <location or (server)> <extension> allowed: <was> -> <is now|deleted>
# Any other exit code: the check itself failed. Needs terraform and jq.
# TERRAFORM names the CLI to run (TERRAFORM=tofu for OpenTofu); the
# messages name the one that ran.
set -uo pipefail
tf=${TERRAFORM:-terraform}
plan=$(mktemp)
trap 'rm -f "$plan"' EXIT

"$tf" plan -refresh-only -detailed-exitcode -input=false -out="$plan" "$@"
code=$?
case $code in
  0) echo "No drift: every managed rule is as Terraform left it."; exit 0 ;;
  2) ;;
  *) echo "The drift check failed ($tf exit code $code)." >&2; exit "$code" ;;
esac

echo
echo "Request filtering drifted on these distribution points:"
"$tf" show -json "$plan" | jq -r '
  .resource_drift[]?
  | select(.type == "iis_request_filtering_extension")
  | .change as $c
  | ($c.before // {}) as $b | ($c.after // {}) as $a
  | [ "DRIFT",
      ( $b.host // "" | if . == "" then "(provider host)" else . end ),
      ( $b.location // "" | if . == "" then "(server)" else . end ),
      $b.extension,
      "allowed: \($b.allowed) -> \(if $c.actions == ["delete"] then "deleted" else ($a.allowed | tostring) end)",
      .address ]
  | @tsv'
echo
echo "Run $tf apply to put them back, or update the configuration if the change was intended."
exit 2
