#!/usr/bin/env bash
# The acceptance demo of a distributed run, by hand on one machine: starts
# `agentload serve` on a free 127.0.0.1 port, runs the three shards of
# PROFILE (default profiles/smoke.toml) at once with the same run id, seed
# and start time, merges their folders with `agentload merge`, and checks
# that the merged run counts exactly the interactions the simulator says
# were injected, none lost, 3 shards listed, that HdrHistogram's Python
# library reads the merged histograms.hlog to the summary's counts and p99s
# (tests/hlog_python/check_hlog.py; `pip install -r
# tests/hlog_python/requirements.txt` first), and that a merge missing a
# shard is refused with exit 3. `agentload serve` is stopped on exit,
# whatever happened. Uses target/release/agentload (built when missing).
#
#   bash scripts/shards_by_hand.sh [PROFILE]     KEEP=1 keeps the temp folder
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/merged_check.sh

SHARDS=3
profile=${1:-profiles/smoke.toml}
bin=target/release/agentload
began=$SECONDS

if [[ ! -x $bin ]]; then
    echo "+ cargo build --release --locked"
    cargo build --release --locked
fi
[[ -f $profile ]] || { echo "shards_by_hand: profile '$profile' not found" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/agentload-shards.XXXXXX")
serve_pid=""
cleanup() {
    local rc=$?
    if [[ -n $serve_pid ]]; then
        kill -TERM "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    if [[ ${KEEP:-} == 1 ]]; then
        echo "shards_by_hand: kept $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "shards_by_hand: FAILED: $*" >&2
    [[ -f $work/serve.log ]] && echo "----- serve.log" && tail -n 40 "$work/serve.log"
    exit 1
}

# The simulator gets as many users as the profile has agents, and the
# profile's invite timeout (its [simulator] table is for the embedded one).
read -r agents invite_timeout < <(python3 - "$profile" <<'PY'
import sys, tomllib
p = tomllib.load(open(sys.argv[1], "rb"))
print(p["agents"]["count"], p.get("simulator", {}).get("invite_timeout", "30s"))
PY
)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target="http://127.0.0.1:$port"
echo "+ agentload serve --listen 127.0.0.1:$port --agents $agents --invite-timeout $invite_timeout"
"$bin" serve --listen "127.0.0.1:$port" --agents "$agents" --invite-timeout "$invite_timeout" \
    >"$work/serve.log" 2>&1 &
serve_pid=$!
sim_injected() { merged_check_sim_injected "$target"; }
for _ in $(seq 50); do
    sim_injected >/dev/null 2>&1 && break
    kill -0 "$serve_pid" 2>/dev/null || fail "agentload serve exited"
    sleep 0.2
done
sim_injected >/dev/null 2>&1 || fail "agentload serve did not answer on $target"

# One identity for every shard; the start far enough ahead for all three to
# be waiting for it.
run_id="by-hand-$(date -u +%Y%m%dT%H%M%SZ)"
seed=42
start_at=$(date -u -d '+10 seconds' +%Y-%m-%dT%H:%M:%SZ)
pids=()
for i in $(seq 0 $((SHARDS - 1))); do
    echo "+ agentload run $profile --target $target --shard $i/$SHARDS --run-id $run_id --seed $seed --start-at $start_at --out $work/shard-$i"
    timeout 600 "$bin" run "$profile" --quiet --target "$target" --shard "$i/$SHARDS" \
        --run-id "$run_id" --seed "$seed" --start-at "$start_at" --out "$work/shard-$i" \
        >"$work/shard-$i.log" 2>&1 &
    pids+=("$!")
done
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        cat "$work/shard-$i.log"
        fail "shard $i/$SHARDS did not exit 0"
    fi
done

echo "+ agentload merge --expect-shards $SHARDS --out $work/merged $work/shard-{0..$((SHARDS - 1))}"
"$bin" merge --expect-shards "$SHARDS" --out "$work/merged" --gate "interactions_lost == 0" \
    "$work"/shard-{0..2} || fail "the merge did not pass"

injected=$(sim_injected) || fail "no /sim/stats at the end"
merged_check_summary "$work/merged/summary.json" "$injected" "$SHARDS" ||
    fail "the merged summary is wrong"

echo "+ python3 tests/hlog_python/check_hlog.py $work/merged"
python3 tests/hlog_python/check_hlog.py "$work/merged" || fail "the merged hlog does not decode to the summary"

echo "+ agentload merge of shards 0 and 2 only (must exit 3)"
set +e
"$bin" merge --expect-shards "$SHARDS" --out "$work/partial" "$work/shard-0" "$work/shard-2" \
    >"$work/partial.log" 2>&1
rc=$?
set -e
cat "$work/partial.log"
[[ $rc == 3 ]] || fail "a merge missing shard 1 exited $rc, not 3"
grep -q "shard 1 of $SHARDS is missing" "$work/partial.log" || fail "the refusal does not name shard 1"
echo "shards_by_hand: passed in $((SECONDS - began))s ($SHARDS shards of $profile and their merge)"
