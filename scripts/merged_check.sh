# Sourced by scripts/slurm_test.sh and scripts/shards_by_hand.sh: what both
# check of a merged run against the `agentload serve` its shards ran against.

# Prints how many interactions the simulator at $1 (http://ADDR) injected.
merged_check_sim_injected() {
    python3 -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/sim/stats", timeout=5))["injected"])' "$1"
}

# Checks the merged summary.json $1 against the simulator's injected count
# $2 and the shard count $3: the same injected, none lost, every shard
# listed, passed. Prints one line of figures; fails (exit 1) on a mismatch.
merged_check_summary() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, injected, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = json.load(open(path))
c = s["counters"]
print(f"merged: verdict {s['verdict']}, injected {c['interactions_injected']} "
      f"(simulator {injected}), lost {c['interactions_lost']}, shards {len(s['shards'])}")
assert injected > 0, "the simulator got no interaction"
assert c["interactions_injected"] == injected, "merged injected differs from the simulator's count"
assert c["interactions_lost"] == 0, "interactions were lost"
assert len(s["shards"]) == shards, f"expected {shards} shards in summary.json"
assert s["verdict"] == "passed", "the merged run did not pass"
PY
}
