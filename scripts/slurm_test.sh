#!/usr/bin/env bash
# The Slurm deployment, for real: a one-node Slurm cluster (Debian's
# slurm-wlm and munge, installed when missing) runs deploy/slurm/submit.sh's
# 3-shard job array against one `agentload serve` on 127.0.0.1, then the merge
# job (afterany). Passes when the merge job exited 0 and the merged
# summary.json counts exactly the interactions the simulator says were
# injected, none lost, and lists 3 shards. Every daemon it started is stopped
# on exit, whatever happened. Needs root; run by .ci/run after the smoke run
# (which builds target/release/agentload).
#
#   bash scripts/slurm_test.sh            KEEP=1 keeps the temp folder
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
source scripts/slurm_cluster.sh
source scripts/merged_check.sh

SHARDS=3
AGENTS=9
WAIT_LIMIT=300 # seconds for the whole job chain, start time included
began=$SECONDS

if [[ $(id -u) != 0 ]]; then
    echo "slurm_test: needs root (slurmd starts the jobs as their user)" >&2
    exit 3
fi
slurm_cluster_install
bin=$here/target/release/agentload
if [[ ! -x $bin ]]; then
    echo "+ cargo build --release --locked"
    cargo build --release --locked
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/agentload-slurm.XXXXXX")
serve_pid=""
cleanup() {
    local rc=$?
    if [[ -n $serve_pid ]]; then
        kill -TERM "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    slurm_cluster_stop || true
    if [[ ${KEEP:-} == 1 ]]; then
        echo "slurm_test: kept $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

job_logs_shown=""
show_job_logs() {
    local f
    for f in "$work"/results/slurm-*.out; do
        [[ -f $f ]] && echo "----- $(basename "$f")" && cat "$f"
    done
    job_logs_shown=1
}
fail() {
    echo "slurm_test: FAILED: $*" >&2
    [[ -n $job_logs_shown ]] || show_job_logs
    [[ -f $work/serve.log ]] && echo "----- serve.log" && tail -n 40 "$work/serve.log"
    slurm_cluster_logs
    exit 1
}

echo "+ one-node Slurm cluster in $work/slurm"
slurm_cluster_start "$work/slurm" || fail "the cluster did not come up"
sinfo

port=$(slurm_free_port)
target="http://127.0.0.1:$port"
"$bin" serve --listen "127.0.0.1:$port" --agents "$AGENTS" >"$work/serve.log" 2>&1 &
serve_pid=$!
sim_stats() { merged_check_sim_injected "$target"; }
slurm_wait_for "agentload serve" 30 sim_stats || fail "agentload serve did not answer on $target"

# A short run: 3 agents per shard, about 15 s, a few interactions per second.
cat >"$work/slurm-test.toml" <<EOF
name = "slurm-test"
description = "scripts/slurm_test.sh: $AGENTS agents in $SHARDS shards, ~15 s"
[agents]
count = $AGENTS
password_env = "AGENTLOAD_SLURM_TEST_PASSWORD"
channels = ["email", "chat"]
[[stages]]
duration = "4s"
agents = $AGENTS
[[stages]]
duration = "8s"
agents = $AGENTS
[traffic]
email_rate = 2.0
chat_rate = 2.0
drain = "3s"
[behaviour]
handle_time = "200ms..500ms"
EOF
# The simulator's default password; the jobs get it from their environment.
export AGENTLOAD_SLURM_TEST_PASSWORD=password
"$bin" check "$work/slurm-test.toml" >/dev/null || fail "the test profile does not check"

echo "+ deploy/slurm/submit.sh --shards $SHARDS"
bash deploy/slurm/submit.sh --shards "$SHARDS" --profile "$work/slurm-test.toml" \
    --results "$work/results" --target "$target" --start-in 10 --binary "$bin" \
    --password-env AGENTLOAD_SLURM_TEST_PASSWORD \
    -- --gate "interactions_lost == 0" >"$work/submit.out" || fail "submit.sh failed"
cat "$work/submit.out"
shards_job=$(sed -n 's/^shards_job=//p' "$work/submit.out")
merge_job=$(sed -n 's/^merge_job=//p' "$work/submit.out")
[[ -n $shards_job && -n $merge_job ]] || fail "submit.sh printed no job ids"

# JobState of one job (scontrol keeps finished jobs for MinJobAge).
job_field() {
    scontrol show job --oneliner "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
job_ended() {
    case $(job_field "$merge_job" JobState) in
    PENDING | RUNNING | CONFIGURING | COMPLETING | "") return 1 ;;
    *) return 0 ;;
    esac
}
slurm_wait_for "the merge job $merge_job" "$WAIT_LIMIT" job_ended ||
    { squeue; fail "the jobs did not end within ${WAIT_LIMIT}s"; }

show_job_logs
state=$(job_field "$merge_job" JobState)
exit_code=$(job_field "$merge_job" ExitCode)
[[ $state == COMPLETED && $exit_code == 0:0 ]] ||
    fail "merge job $merge_job ended $state (exit $exit_code)"

injected=$(sim_stats) || fail "no /sim/stats at the end"
merged_check_summary "$work/results/merged/summary.json" "$injected" "$SHARDS" ||
    fail "the merged summary is wrong"
echo "slurm_test: passed in $((SECONDS - began))s (apt install, cluster, $SHARDS shards and merge)"
