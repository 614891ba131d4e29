#!/usr/bin/env bash
# Scheduled content check: which packages on which distribution points
# would fail to download, because IIS request filtering refuses some of
# their files (HTTP 404.7, 404.8, 404.11, 404.14).
#
#   content-report.sh [terraform arguments...]
#
# Needs a configuration with iis_distribution_point_content data sources
# (the module's check_content = true makes one per DP). Runs
# `terraform plan -refresh-only` (which reads the data sources and proposes
# nothing) and lists, one per line:
#   UNDELIVERABLE <dp> <package> <content> <path> HTTP <status> by <rule>
# Exit 0: every package can be downloaded. Exit 3: some cannot. Any other
# exit code: the check itself failed. Needs terraform and jq.
set -uo pipefail
tf=${TERRAFORM:-terraform}
plan=$(mktemp)
trap 'rm -f "$plan"' EXIT

"$tf" plan -refresh-only -input=false -out="$plan" "$@" >/dev/null
code=$?
if [ "$code" -ne 0 ]; then
  echo "The content check failed (terraform exit code $code)." >&2
  exit "$code"
fi

# join, not @tsv, which doubles the backslashes of Windows paths; no field
# holds a TAB (Windows forbids it in names). refused has an entry per URL: a
# file the same rule refuses under several of the DP's content virtual
# directories gives one line (awk keeps the first of equal lines, in order).
lines=$("$tf" show -json "$plan" | jq -r '
  def modules: ., (.child_modules[]? | modules);
  [ .prior_state.values.root_module? // empty | modules | .resources[]?
    | select(.mode == "data" and .type == "iis_distribution_point_content") ] as $ds
  | if ($ds | length) == 0 then error("no iis_distribution_point_content data source in the configuration (set check_content = true on the module)") else . end
  | $ds[]
  | (.values.host // "" | if . == "" then "(provider host)" else . end) as $dp
  | .values.refused[]?
  | [ "UNDELIVERABLE", $dp, (.package_id | if . == "" then "(no package)" else . end), .content_id, .path, "HTTP \(.status_code) by \(.rule)" ]
  | join("\t")' | awk '!seen[$0]++')
code=$? # jq's, through pipefail, when it fails
if [ "$code" -ne 0 ]; then
  echo "The content check could not read the plan (jq exit code $code)." >&2
  exit 1
fi
if [ -z "$lines" ]; then
  echo "Every package on the checked distribution points can be downloaded."
  exit 0
fi
echo "These packages on these distribution points would fail to download:"
echo "$lines"
echo
echo "Allow what the content needs (the module's allow_content_needs, or blocked_extensions and blocked_segments"
echo "with for_each), or remove the files from the packages."
exit 3
