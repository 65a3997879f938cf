# shellcheck shell=bash
# A throw-away one-node Slurm cluster (munged, slurmctld, slurmd) in a folder
# of its own, for scripts/slurm_test.sh. Sourced, not run:
#
#   source scripts/slurm_cluster.sh
#   slurm_cluster_start "$dir"     # exports SLURM_CONF; the node is idle on return
#   sbatch ...; squeue ...
#   slurm_cluster_stop             # cancels what is left, stops the three daemons by pid
#
# Nothing is written outside "$dir": the munge key, its socket, the state and
# spool folders, the logs and the pid files all live there, and the daemons
# listen on free ports picked at start, so it can run beside a real
# installation (or another copy of itself). Needs root (slurmd starts jobs as
# their user) and Debian's `slurm-wlm munge` (slurm_cluster_install).

# Installs Debian's Slurm and MUNGE when a daemon is missing (CI machines are fresh).
slurm_cluster_install() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
        command -v munged >/dev/null && command -v sbatch >/dev/null; then
        return 0
    fi
    echo "+ apt-get install slurm-wlm munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

# A TCP port nobody listens on right now (the kernel's pick).
slurm_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds for the command in $3.. to succeed; $1 names what for the error.
slurm_wait_for() {
    local what=$1 limit=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "slurm_cluster: $what not ready after ${limit}s" >&2
            return 1
        fi
        sleep 0.5
    done
}

# Writes slurm.conf for this host into $SLURM_DIR.
slurm_write_conf() {
    local host node
    host=$(hostname -s)
    # The node as slurmd sees it (CPUs, sockets, cores, RealMemory): a node
    # configured with more than it has would be drained as invalid.
    node=$(slurmd -C | head -n 1)
    cat >"$SLURM_DIR/slurm.conf" <<EOF
# Written by scripts/slurm_cluster.sh: a one-node test cluster, gone with its folder.
ClusterName=agentload-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(slurm_free_port)
SlurmdPort=$(slurm_free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/munge/munge.socket
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: the test machine may be a container without a cgroup tree to write.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Quick turnaround: a finished array task makes room at once.
MinJobAge=300
KillWait=5
$node NodeAddr=127.0.0.1 State=UNKNOWN
# FORCE:8 lets the shards of one array share the two cores: they must all run
# at the same start time, and they wait on the network, not on the CPU.
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
EOF
}

# Starts the cluster in folder $1; on return `sinfo` shows the node idle.
slurm_cluster_start() {
    SLURM_DIR=$(realpath "$1")
    export SLURM_DIR
    mkdir -p "$SLURM_DIR"/{munge,state,spool,log}
    chmod 700 "$SLURM_DIR" "$SLURM_DIR/munge"
    slurm_write_conf
    export SLURM_CONF=$SLURM_DIR/slurm.conf

    mungekey --create --keyfile="$SLURM_DIR/munge/munge.key"
    # --force: munged refuses to run as root or under a world-writable /tmp
    # otherwise; the key and socket folder are root's own, mode 700.
    munged --force --socket="$SLURM_DIR/munge/munge.socket" \
        --key-file="$SLURM_DIR/munge/munge.key" \
        --pid-file="$SLURM_DIR/munge/munged.pid" \
        --log-file="$SLURM_DIR/log/munged.log" \
        --seed-file="$SLURM_DIR/munge/munged.seed"
    slurm_wait_for "munged" 20 munge -n --socket="$SLURM_DIR/munge/munge.socket"

    slurmctld -f "$SLURM_CONF"
    slurm_wait_for "slurmctld" 60 scontrol ping
    slurmd -f "$SLURM_CONF"
    slurm_wait_for "the node (idle)" 90 slurm_node_idle
}

slurm_node_idle() {
    [[ $(sinfo --noheader --format=%t 2>/dev/null) == idle ]]
}

# Prints every daemon's log (for a failed test).
slurm_cluster_logs() {
    local f
    for f in "$SLURM_DIR"/log/*.log; do
        [[ -f $f ]] || continue
        echo "----- $f (last 60 lines)"
        tail -n 60 "$f"
    done
}

# Stops what slurm_cluster_start started: jobs first, then the daemons by
# their pid files, each waited for (bounded), so nothing is left behind.
slurm_cluster_stop() {
    [[ -n ${SLURM_DIR:-} && -f $SLURM_DIR/slurm.conf ]] || return 0
    if [[ -f $SLURM_DIR/slurmctld.pid ]]; then
        scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
        slurm_wait_for "the job queue to empty" 30 slurm_queue_empty || true
    fi
    local pidfile
    for pidfile in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid" "$SLURM_DIR/munge/munged.pid"; do
        slurm_stop_pid "$pidfile"
    done
}

slurm_queue_empty() {
    [[ -z $(squeue --noheader --format=%i 2>/dev/null) ]]
}

# Sends SIGTERM to the pid in file $1, waits up to 15 s, then SIGKILL.
slurm_stop_pid() {
    local pid
    [[ -f $1 ]] || return 0
    pid=$(cat "$1")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    rm -f "$1"
}
