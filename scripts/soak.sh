#!/usr/bin/env bash
# A soak of the embedded simulator, then generator RSS over time from the
# run's timeseries.csv: RSS at 1, 5, 10, 20 and 30 min (or the last row) and
# the least-squares slope after warm-up. Shows that memory stays flat.
#
# usage: scripts/soak.sh [DURATION [AGENTS [OUT_DIR]]]
#   DURATION  total stage time, default 30m (drain comes on top)
#   AGENTS    peak agents, default 1000
#   OUT_DIR   run folder, default reports/soak-<UTC stamp>
# env: PROFILE (default profiles/soak.toml), WARMUP_S (default 300: slope
#      from there on), BIN (default target/release/agentload).
# Exit code: that of `agentload run` (0 passed, 1 gate failed, 2/3 errors).
set -euo pipefail

cd "$(dirname "$0")/.."
duration=${1:-30m}
agents=${2:-1000}
out=${3:-reports/soak-$(date -u +%Y%m%dT%H%M%SZ)}
profile=${PROFILE:-profiles/soak.toml}
warmup=${WARMUP_S:-300}
bin=${BIN:-target/release/agentload}

if [[ ! -x $bin ]]; then
    echo "soak: $bin missing; build it first: cargo build --release" >&2
    exit 2
fi

echo "soak: $bin run $profile --duration $duration --agents $agents --out $out" >&2
set +e
"$bin" run "$profile" --duration "$duration" --agents "$agents" --out "$out"
code=$?
set -e
echo "soak: agentload run exited with $code" >&2

ts=$out/timeseries.csv
if [[ ! -s $ts ]]; then
    echo "soak: no $ts; nothing to summarise" >&2
    exit "$code"
fi

# The columns are found by name, so a reordered timeseries.csv still works.
awk -F, -v warmup="$warmup" '
# Least-squares slope of R over T for T >= from, in MiB/h; "n/a" if too few rows.
function slope(from,    i, m, sx, sy, sxx, sxy, d) {
    for (i = 1; i <= n; i++) {
        if (T[i] < from) continue
        m++; sx += T[i]; sy += R[i]; sxx += T[i] * T[i]; sxy += T[i] * R[i]
    }
    d = m * sxx - sx * sx
    if (m < 2 || d <= 0) return "n/a"
    return sprintf("%+.2f MiB/h over %d intervals", (m * sxy - sx * sy) / d * 3600, m)
}
NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    if (!("offset_s" in col) || !("length_s" in col) || !("rss_bytes" in col)) {
        print "soak: timeseries.csv lacks offset_s/length_s/rss_bytes" > "/dev/stderr"
        exit 3
    }
    next
}
{
    n++
    T[n] = $col["offset_s"] + $col["length_s"]
    R[n] = $col["rss_bytes"] / 1048576
    if (R[n] > peak) peak = R[n]
}
END {
    if (n == 0) exit 0
    printf "| at | elapsed (s) | RSS (MiB) |\n|---|---:|---:|\n"
    split("1 5 10 20 30", mins, " ")
    for (k = 1; k <= 5; k++) {
        want = mins[k] * 60
        # First row whose end is at or after the mark.
        for (i = 1; i <= n && T[i] < want; i++) {}
        if (i <= n) printf "| %d min | %.0f | %.1f |\n", mins[k], T[i], R[i]
    }
    printf "| last | %.0f | %.1f |\n", T[n], R[n]
    printf "\npeak RSS: %.1f MiB over %d intervals\n", peak, n
    printf "RSS slope after %d s warm-up: %s\n", warmup, slope(warmup)
    printf "RSS slope over the second half (from %.0f s): %s\n", T[n] / 2, slope(T[n] / 2)
}' "$ts"
exit "$code"
