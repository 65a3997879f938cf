#!/usr/bin/env bash
# Submits one sharded agentload run to Slurm: a job array of N shards
# (deploy/slurm/shards.sbatch) and a merge job that runs after all of them
# (deploy/slurm/merge.sbatch, --dependency=afterany). Picks the run id, the
# seed and the start time every shard shares, then prints them and the job ids
# as key=value lines. See deploy/slurm/README.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: deploy/slurm/submit.sh --shards N --profile PROFILE --results DIR [options] [-- MERGE_ARGS...]

  --shards N          number of shards (array tasks 0..N-1)
  --profile PATH      the load profile (on a filesystem every node sees)
  --results DIR       shared folder for shard-0..shard-(N-1) and merged/ (created)
  --target URL        system under test (default: the profile's [target])
  --start-in SECONDS  start time = now + SECONDS (default 60; every shard must be
                      running by then: a shard more than one interval late exits 3)
  --run-id ID         default: <profile file name>-<UTC time>
  --seed S            default: a random 32-bit number
  --binary PATH       agentload binary on the nodes (default: agentload on PATH)
  --password-env NAME environment variable holding the agents' password (it is
                      exported to the jobs; the password never goes on a command line)
  --sbatch-arg ARG    extra sbatch option for both jobs (repeatable), e.g. --sbatch-arg=--partition=load
  MERGE_ARGS          passed to `agentload merge`, e.g. --gate "interactions_lost == 0"
EOF
}

die() {
    echo "submit.sh: $*" >&2
    exit 2
}

shards="" profile="" results="" target="" start_in=60 run_id="" seed="" binary="agentload" password_env=""
sbatch_args=()
while (($#)); do
    case $1 in
    --shards) shards=${2:-} && shift ;;
    --profile) profile=${2:-} && shift ;;
    --results) results=${2:-} && shift ;;
    --target) target=${2:-} && shift ;;
    --start-in) start_in=${2:-} && shift ;;
    --run-id) run_id=${2:-} && shift ;;
    --seed) seed=${2:-} && shift ;;
    --binary) binary=${2:-} && shift ;;
    --password-env) password_env=${2:-} && shift ;;
    --sbatch-arg=*) sbatch_args+=("${1#--sbatch-arg=}") ;;
    --sbatch-arg) sbatch_args+=("${2:-}") && shift ;;
    -h | --help) usage && exit 0 ;;
    --) shift && break ;;
    *) usage >&2 && die "unknown argument '$1'" ;;
    esac
    shift
done

[[ $shards =~ ^[1-9][0-9]*$ ]] || die "--shards must be a whole number >= 1 (got '$shards')"
[[ -n $profile ]] || die "--profile is required"
[[ -f $profile ]] || die "profile '$profile' not found"
[[ -n $results ]] || die "--results is required"
[[ $start_in =~ ^[0-9]+$ ]] || die "--start-in must be whole seconds (got '$start_in')"
if [[ -n $password_env && -z ${!password_env:-} ]]; then
    die "--password-env $password_env: that environment variable is empty or not set"
fi
here=$(cd "$(dirname "$0")" && pwd)
# Absolute paths: the jobs start in the submit folder, but a node's view of a
# relative path is easy to get wrong.
profile=$(realpath "$profile")
mkdir -p "$results"
results=$(realpath "$results")
if [[ $binary == */* ]]; then
    binary=$(realpath "$binary")
fi

[[ -n $run_id ]] || run_id="$(basename "$profile" .toml)-$(date -u +%Y%m%dT%H%M%SZ)"
[[ -n $seed ]] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
start_at=$(date -u -d "+${start_in} seconds" +%FT%TZ)

export AGENTLOAD=$binary PROFILE=$profile RUN_ID=$run_id SEED=$seed START_AT=$start_at
export TARGET=$target RESULTS=$results SHARDS=$shards PASSWORD_ENV=$password_env

shards_job=$(sbatch --parsable "${sbatch_args[@]}" --array="0-$((shards - 1))" \
    --output="$results/slurm-shard-%a.out" "$here/shards.sbatch")
shards_job=${shards_job%%;*}
merge_job=$(sbatch --parsable "${sbatch_args[@]}" --dependency="afterany:$shards_job" \
    --output="$results/slurm-merge.out" "$here/merge.sbatch" "$@")
merge_job=${merge_job%%;*}

cat <<EOF
run_id=$run_id
seed=$seed
start_at=$start_at
results=$results
shards_job=$shards_job
merge_job=$merge_job
EOF
