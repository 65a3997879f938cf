#!/usr/bin/env bash
# compare_noise.sh: is `agentload compare` right about noise? Runs PAIRS pairs
# of identical short runs (the smoke profile cut to ~10 s: same seed, same
# machine, back to back) and counts the pairs `compare` calls a regression
# (false alarms; there should be none), then SLOW runs whose simulator routes
# every invite 100 ms later, each compared with a fresh normal run (caught
# when compare exits 1). Every run is bounded by `timeout`.
#
#   scripts/compare_noise.sh [PAIRS=20] [SLOW=5]
#
# Prints one line per comparison and a final tally; exits 1 when a pair
# falsely regressed or a slow run was missed.
set -u
PAIRS=${1:-20}
SLOW=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet --locked || exit 2
BIN=target/release/agentload
WORK=$(mktemp -d "${TMPDIR:-/tmp}/agentload-noise.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The smoke profile, shorter: 100 agents, 3 s ramp + 5 s hold, 2 s drain.
short() {
    sed -e 's/^count = 200/count = 100/' \
        -e 's/^agents = 200/agents = 100/' \
        -e 's/^duration = "10s"/duration = "3s"/' \
        -e 's/^duration = "20s"/duration = "5s"/' \
        -e 's/^drain = "5s"/drain = "2s"/' \
        -e "s/^routing_delay = \"0s\"/routing_delay = \"$1\"/" \
        profiles/smoke.toml
}
short 0s >"$WORK/normal.toml"
short 100ms >"$WORK/slow.toml"
grep -q 'routing_delay = "100ms"' "$WORK/slow.toml" || { echo "cannot set routing_delay"; exit 2; }

run() { # profile out
    timeout 120 "$BIN" run "$1" --out "$2" --quiet >"$2.log" 2>&1
    local code=$?
    if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
        echo "run $2 exited $code:"; tail -5 "$2.log"; exit 2
    fi
}

false_alarms=0
noise_rows=0
for i in $(seq 1 "$PAIRS"); do
    run "$WORK/normal.toml" "$WORK/a$i"
    run "$WORK/normal.toml" "$WORK/b$i"
    out=$(timeout 60 "$BIN" compare "$WORK/a$i" "$WORK/b$i")
    code=$?
    tally=$(tail -1 <<<"$out")
    noise_rows=$((noise_rows + $(grep -c '^  noise ' <<<"$out")))
    if [ "$code" -ne 0 ]; then
        false_alarms=$((false_alarms + 1))
        echo "pair $i: FALSE REGRESSION ($tally)"
        grep REGRESSED <<<"$out"
    else
        echo "pair $i: exit 0 ($tally)"
    fi
done

caught=0
for i in $(seq 1 "$SLOW"); do
    run "$WORK/normal.toml" "$WORK/base$i"
    run "$WORK/slow.toml" "$WORK/slow$i"
    out=$(timeout 60 "$BIN" compare "$WORK/base$i" "$WORK/slow$i")
    code=$?
    if [ "$code" -eq 1 ] && grep -q 'REGRESSED *invite_delivery' <<<"$out"; then
        caught=$((caught + 1))
        echo "slow $i: caught ($(grep -c REGRESSED <<<"$out") rows regressed)"
    else
        echo "slow $i: MISSED (exit $code)"; tail -3 <<<"$out"
    fi
done

echo "identical pairs: $PAIRS, false regressions: $false_alarms, rows called noise: $noise_rows"
echo "routing_delay 100ms runs: $SLOW, caught: $caught"
[ "$false_alarms" -eq 0 ] && [ "$caught" -eq "$SLOW" ]
