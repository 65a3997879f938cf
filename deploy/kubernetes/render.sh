#!/usr/bin/env bash
# Renders shards-job.yaml and merge-job.yaml for one run into a folder: the
# number of shards (completions = parallelism = N), the run id, seed and start
# time every shard shares, the target and the image. Prints the values as
# key=value lines. See deploy/kubernetes/README.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: deploy/kubernetes/render.sh --shards N --target URL --image IMAGE --out DIR [options]

  --shards N          number of shard pods (completions = parallelism = N)
  --target URL        base URL of the system under test, as the pods reach it
  --image IMAGE       the agentload image (deploy/docker/Dockerfile)
  --out DIR           folder for the rendered shards-job.yaml and merge-job.yaml
  --start-in SECONDS  start time = now + SECONDS (default 120: every pod must be
                      pulled and running by then; a shard more than one interval
                      late exits 3)
  --start-at TIME     the start time itself (UTC RFC 3339, e.g. 2026-12-02T11:00:00Z)
  --run-id ID         default: k8s-<UTC time> (lower case, used in folder names)
  --seed S            default: a random 32-bit number
EOF
}

die() {
    echo "render.sh: $*" >&2
    exit 2
}

shards="" target="" image="" out="" start_in=120 start_at="" run_id="" seed=""
while (($#)); do
    case $1 in
    --shards) shards=${2:-} && shift ;;
    --target) target=${2:-} && shift ;;
    --image) image=${2:-} && shift ;;
    --out) out=${2:-} && shift ;;
    --start-in) start_in=${2:-} && shift ;;
    --start-at) start_at=${2:-} && shift ;;
    --run-id) run_id=${2:-} && shift ;;
    --seed) seed=${2:-} && shift ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && die "unknown argument '$1'" ;;
    esac
    shift
done

[[ $shards =~ ^[1-9][0-9]*$ ]] || die "--shards must be a whole number >= 1 (got '$shards')"
[[ -n $target ]] || die "--target is required (the URL the pods reach the system under test at)"
[[ -n $image ]] || die "--image is required"
[[ -n $out ]] || die "--out is required"
[[ $start_in =~ ^[0-9]+$ ]] || die "--start-in must be whole seconds (got '$start_in')"
[[ -n $run_id ]] || run_id="k8s-$(date -u +%Y%m%dt%H%M%Sz)"
[[ $run_id =~ ^[A-Za-z0-9._-]+$ ]] || die "--run-id may hold letters, digits, '.', '_' and '-' only (got '$run_id')"
[[ -n $seed ]] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
[[ $seed =~ ^[0-9]+$ ]] || die "--seed must be a whole number (got '$seed')"
[[ -n $start_at ]] || start_at=$(date -u -d "+${start_in} seconds" +%FT%TZ)
# The values go into YAML strings and sed replacements: nothing that could end either.
for v in "$target" "$image" "$start_at"; do
    [[ $v != *[\"\|\\]* && $v != *$'\n'* ]] || die "'$v' may not contain quotes, '|', backslashes or newlines"
done

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for f in shards-job.yaml merge-job.yaml; do
    sed -e "s|__SHARDS__|$shards|g" -e "s|__RUN_ID__|$run_id|g" -e "s|__SEED__|$seed|g" \
        -e "s|__START_AT__|$start_at|g" -e "s|__TARGET__|$target|g" -e "s|__IMAGE__|$image|g" \
        -e "s|^\(  *\)completions: [0-9]*$|\1completions: $shards|" \
        -e "s|^\(  *\)parallelism: [0-9]*$|\1parallelism: $shards|" \
        "$here/$f" >"$out/$f"
done

cat <<EOF
run_id=$run_id
seed=$seed
start_at=$start_at
shards=$shards
rendered=$out/shards-job.yaml $out/merge-job.yaml
EOF
