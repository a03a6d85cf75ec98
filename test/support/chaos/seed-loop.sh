#!/usr/bin/env bash
# Runs chaos flows once per seed, one run at a time, and tabulates lost/regressed/duplicated per run.
#   test/support/chaos/seed-loop.sh <out dir> <first seed> <count> [flow ...]
#   flows: high-concurrency recovery stale-copies (default: all three)
# Per run: <out>/<flow>-<seed>.log (vitest output), the chaos report <out>/<flow>-<seed>-<flow>.json and the
# instances' logs (CHAOS_REPORT); one line per run in <out>/results.tsv.
set -u
out=${1:?out dir}
first=${2:?first seed}
count=${3:?count}
shift 3
flows=("$@")
[ ${#flows[@]} -eq 0 ] && flows=(high-concurrency recovery stale-copies)
mkdir -p "$out"
results="$out/results.tsv"
[ -f "$results" ] || printf 'flow\tseed\tresult\tlost\tregressed\tduplicated\tacked\tfaults\tseconds\n' >"$results"
for flow in "${flows[@]}"; do
  for ((seed = first; seed < first + count; seed++)); do
    log="$out/$flow-$seed.log"
    started=$(date +%s)
    CHAOS_SEED=$seed CHAOS_REPORT="$out/$flow-$seed" timeout 600 npx vitest run "test/chaos/$flow.int.test.ts" \
      2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$log"
    seconds=$(($(date +%s) - started))
    if grep -qE '^\s+Tests\s+[0-9]+ passed' "$log"; then result=pass; else result=FAIL; fi
    summary=$(grep -E '^GOLDEN_[A-Z_]+: acked' "$log" | head -1)
    if [ -n "$summary" ]; then
      lost=$(sed -E 's/.*lost ([0-9]+).*/\1/' <<<"$summary")
      regressed=$(sed -E 's/.*regressed ([0-9]+).*/\1/' <<<"$summary")
      duplicated=$(sed -E 's/.*duplicated ([0-9]+).*/\1/' <<<"$summary")
      acked=$(sed -E 's/^[A-Z_]+: acked ([0-9]+).*/\1/' <<<"$summary")
      faults=$(sed -E 's/.*seed [0-9]+, ([^;]*);.*/\1/' <<<"$summary")
    else
      # stale-copies has no summary line: its scenarios' tally instead.
      lost=-
      regressed=-
      duplicated=-
      acked=$(grep -E '^\s+Tests\s' "$log" | sed -E 's/^\s+Tests\s+//')
      faults=-
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$flow" "$seed" "$result" "$lost" "$regressed" "$duplicated" \
      "$acked" "$faults" "$seconds" >>"$results"
  done
done
