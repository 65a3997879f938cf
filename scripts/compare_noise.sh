#!/usr/bin/env bash
# compare_noise.sh: is `agentload compare` right about noise? Runs PAIRS pairs
# of identical short runs (the smoke profile cut to ~10 s: same seed, same
# machine, back to back) and counts the pairs `compare` calls a regression
# (false alarms; there should be none), then SLOW runs whose simulator routes
# every invite 100 ms later, each compared with a fresh normal run (caught
# when compare exits 1). Every run is bounded by `timeout`.
#
#   scripts/compare_noise.sh [PAIRS=20] [SLOW=5] [LANES=1]
#
# LANES > 1 runs that many pairs at once (each pair still back to back): a
# busier machine, so a harder test, and a shorter wait.
# Prints one line per comparison and a final tally; exits 1 when a pair
# falsely regressed or a slow run was missed.
set -u
PAIRS=${1:-20}
SLOW=${2:-5}
LANES=${3:-1}
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

pair() { # i: two identical runs, then compare; writes $WORK/pair$i.txt
    run "$WORK/normal.toml" "$WORK/a$1"
    run "$WORK/normal.toml" "$WORK/b$1"
    timeout 60 "$BIN" compare "$WORK/a$1" "$WORK/b$1" >"$WORK/pair$1.txt"
    echo "exit=$?" >>"$WORK/pair$1.txt"
}
slow() { # i: a normal run, then a slow one, then compare
    run "$WORK/normal.toml" "$WORK/base$1"
    run "$WORK/slow.toml" "$WORK/slow$1"
    timeout 60 "$BIN" compare "$WORK/base$1" "$WORK/slow$1" >"$WORK/slow$1.txt"
    echo "exit=$?" >>"$WORK/slow$1.txt"
}
for i in $(seq 1 "$PAIRS"); do
    pair "$i" &
    [ $((i % LANES)) -eq 0 ] && wait
done
wait
for i in $(seq 1 "$SLOW"); do
    slow "$i" &
    [ $((i % LANES)) -eq 0 ] && wait
done
wait

false_alarms=0
noise_rows=0
for i in $(seq 1 "$PAIRS"); do
    out=$(cat "$WORK/pair$i.txt")
    tally=$(grep -E '^(no regression|regression)' <<<"$out")
    noise_rows=$((noise_rows + $(grep -c '^  noise ' <<<"$out")))
    if ! grep -q '^exit=0$' <<<"$out"; then
        false_alarms=$((false_alarms + 1))
        echo "pair $i: FALSE REGRESSION ($tally)"
        grep REGRESSED <<<"$out"
    else
        echo "pair $i: exit 0 ($tally)"
    fi
done
caught=0
for i in $(seq 1 "$SLOW"); do
    out=$(cat "$WORK/slow$i.txt")
    if grep -q '^exit=1$' <<<"$out" && grep -q 'REGRESSED *invite_delivery' <<<"$out"; then
        caught=$((caught + 1))
        echo "slow $i: caught ($(grep -c REGRESSED <<<"$out") rows regressed)"
    else
        echo "slow $i: MISSED ($(grep -E '^(no regression|regression)' <<<"$out"))"
        grep 'invite_delivery.p50' <<<"$out"
    fi
done

echo "identical pairs: $PAIRS, false regressions: $false_alarms, rows called noise: $noise_rows"
echo "routing_delay 100ms runs: $SLOW, caught: $caught"
[ "$false_alarms" -eq 0 ] && [ "$caught" -eq "$SLOW" ]
