#!/usr/bin/env bash
# Scheduled drift check for IIS request filtering on distribution points.
#
#   drift-report.sh [terraform arguments...]
#
# Runs `terraform plan -refresh-only -detailed-exitcode` (refresh only: it
# reports what changed on the DPs, and proposes nothing), with
# IIS_UNREACHABLE_HOSTS=warn unless the environment sets it: a DP that does
# not answer keeps its last known state, so the rest of the fleet is still
# checked. (A provider block that sets unreachable_hosts wins over it.)
#
# Every drifted rule, of every iis_* resource type, gets one line:
#   DRIFT <dp> <scope> <rule> <was -> is now> <resource address>
# where <dp> is the resource's host ("(provider host)" when unset), <scope>
# is "(server)" or the location path, <rule> is the extension, hidden
# segment, verb or setting, and "deleted" means the rule is gone (Terraform
# will plan to create it again). Every DP that did not answer gets one line:
#   UNREACHABLE <dp>
#
# Exit codes:
#   0  no drift, every DP answered
#   2  drift (every DP answered)
#   3  no drift on the DPs that answered, but some DPs did not answer
#   4  drift, and some DPs did not answer
#   1 or other: the check itself failed (see terraform's output)
# Needs terraform and jq. TERRAFORM names the CLI to run (TERRAFORM=tofu for
# OpenTofu); the messages name the one that ran.
set -uo pipefail
tf=${TERRAFORM:-terraform}
export IIS_UNREACHABLE_HOSTS=${IIS_UNREACHABLE_HOSTS:-warn}
plan=$(mktemp)
out=$(mktemp)
trap 'rm -f "$plan" "$out"' EXIT

"$tf" plan -refresh-only -detailed-exitcode -input=false -out="$plan" "$@" 2>&1 | tee "$out"
code=${PIPESTATUS[0]}
case $code in
  0 | 2) ;;
  *) echo "The drift check failed ($tf exit code $code)." >&2; exit "$code" ;;
esac

# The provider warns once per DP that did not answer, with this summary.
unreachable=$(sed -n 's/^.*Distribution point \([^ ]*\) is unreachable: its resources keep their last known state.*$/\1/p' "$out" | sort -u)

if [ "$code" = 2 ]; then
  echo
  echo "Request filtering drifted on these distribution points:"
  "$tf" show -json "$plan" | jq -r '
    # A leaf value for a line: null (unset) and a missing resource read apart.
    def show: if . == null then "(unset)" else tostring end;
    # The differences between two attribute objects as [rule, was, now],
    # recursing into objects (request_limits, maps of extensions or verbs)
    # and treating lists as sets (allowed_hidden_segments).
    def diffs($b; $a; $prefix):
      ((($b // {}) | keys_unsorted) + (($a // {}) | keys_unsorted) | unique)[] as $k
      | ($b // {})[$k] as $bv | ($a // {})[$k] as $av
      | (if $prefix == "" then $k else "\($prefix)[\($k)]" end) as $name
      | if $bv == $av then empty
        elif (($bv | type) == "object" or ($av | type) == "object") then diffs($bv; $av; $name)
        elif (($bv | type) == "array" or ($av | type) == "array") then
          ( (($bv // []) - ($av // []))[] | ["\($name)[\(.)]", "listed", "absent"] ),
          ( (($av // []) - ($bv // []))[] | ["\($name)[\(.)]", "absent", "listed"] )
        else [$name, ($bv | show), ($av | show)]
        end;
    .resource_drift[]?
    | select(.type | startswith("iis_"))
    | .change as $c | .address as $addr
    | ($c.before // {}) as $b | ($c.after // {}) as $a
    | ( $b.host // "" | if . == "" then "(provider host)" else . end ) as $dp
    | ( $b.location // "" | if . == "" then "(server)" else . end ) as $scope
    | ( $b | del(.id, .host, .location) ) as $bb
    | ( if $c.actions == ["delete"] then
          # Gone from the DP: name the resource'"'"'s own rule.
          ( if .type == "iis_request_filtering_extension" then [$b.extension, "allowed: \($b.allowed) -> deleted"]
            elif .type == "iis_request_filtering_hidden_segment" then ["hidden segment \($b.segment)", "allowed -> hidden again (deleted)"]
            else [.type | sub("^iis_request_filtering_"; ""), "present -> deleted"] end )
        elif .type == "iis_request_filtering_extension" then
          [$b.extension, "allowed: \($b.allowed) -> \($a.allowed)"]
        else diffs($bb; ($a | del(.id, .host, .location)); "") | [.[0], "\(.[1]) -> \(.[2])"]
        end ) as $d
    | [ "DRIFT", $dp, $scope, $d[0], $d[1], $addr ]
    | @tsv'
fi

if [ -n "$unreachable" ]; then
  echo
  echo "These distribution points did not answer (their rules were not checked; their last known state is kept):"
  while IFS= read -r dp; do printf 'UNREACHABLE\t%s\n' "$dp"; done <<<"$unreachable"
  echo "Bring them back, or retire a DP that is gone for good (see the configmgr-distribution-point module's README)."
fi

if [ "$code" = 0 ] && [ -z "$unreachable" ]; then
  echo "No drift: every managed rule is as Terraform left it."
  exit 0
fi
if [ "$code" = 2 ]; then
  echo
  echo "Run $tf apply to put them back, or update the configuration if the change was intended."
fi
if [ -n "$unreachable" ]; then
  [ "$code" = 2 ] && exit 4
  exit 3
fi
exit 2
