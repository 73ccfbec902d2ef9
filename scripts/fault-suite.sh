#!/usr/bin/env bash
# The long fault-injection run (issue: no request lost, no task created twice). Runs the fault
# scenarios at full size (FAULT_SUITE=long) on a throw-away broker and prints one table:
# scenario, requests, kills/faults, lost, duplicate tasks, duplicate event ids, time.
#   scripts/fault-suite.sh                 # every scenario
#   scripts/fault-suite.sh test/crash-recovery.e2e-spec.ts   # one file
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rm -f .run/fault-suite.jsonl
files=("$@")
((${#files[@]})) || files=(test/crash-recovery.e2e-spec.ts test/outages.e2e-spec.ts test/scale.e2e-spec.ts test/poison-messages.e2e-spec.ts)
existing=()
for file in "${files[@]}"; do [[ -f "$file" ]] && existing+=("$file"); done
FAULT_SUITE=long LOG_LEVEL=warn bash scripts/test.sh "${existing[@]}" --testTimeout=3600000 --hookTimeout=600000
status=$?
node -e '
  const rows = require("fs").readFileSync(".run/fault-suite.jsonl", "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
  const head = ["scenario", "requests", "kills/faults", "lost", "duplicate tasks", "duplicate event ids", "time (s)"];
  const body = rows.map((r) => [r.scenario, r.requests, r.faults, r.lost, r.duplicateTasks, r.duplicateEventIds, r.seconds].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of body) console.log(line(r));
' || echo "no scenario rows recorded"
exit $status
