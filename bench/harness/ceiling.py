"""The floor under every generator: `wrk` against the simulator's cheapest
endpoint (`GET /sim/stats`), so the kernel's and the server's cost of one
request and response at the limit sits beside a generator's cost per cycle."""

import os
import re
import subprocess
from pathlib import Path

from .machine import wait_quiet
from .simulator import Simulator
from .workloads import Plan

_REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)(ms|s|m)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0}


def parse_requests(output: str) -> tuple[int, float]:
    """(requests, seconds) from wrk's summary line `N requests in 10.00s`."""
    found = _REQUESTS.search(output)
    if not found:
        raise ValueError(f"no `N requests in T` line in wrk's output:\n{output}")
    return int(found.group(1)), float(found.group(2)) * _UNIT_S[found.group(3)]


def measure(wrk: str, plan: Plan, binary: Path, folder: Path,
            threads: int = 2, connections: int = 100) -> dict:
    """Runs wrk against a fresh simulator; wrk's CPU comes from its own
    rusage (it is waited for), the simulator's from /proc."""
    with Simulator(binary, 10, 30.0, folder) as sim:
        quiet = wait_quiet(plan.quiet_load, plan.quiet_timeout_s)
        before = sim.usage()
        proc = subprocess.Popen(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{plan.wrk_s:g}s", f"{sim.url}/sim/stats"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output = proc.stdout.read() if proc.stdout else ""
        _pid, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        after = sim.usage()
    (folder / "wrk.log").write_text(output)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed (exit {proc.returncode}):\n{output}")
    requests, seconds = parse_requests(output)
    wrk_cpu = rusage.ru_utime + rusage.ru_stime
    sim_cpu = after.cpu_s - before.cpu_s
    return {
        "threads": threads, "connections": connections, "requests": requests,
        "seconds": seconds, "requests_per_s": round(requests / seconds),
        "wrk_cpu_us_per_request": round(wrk_cpu * 1e6 / requests, 2),
        "wrk_user_share": round(rusage.ru_utime / wrk_cpu, 2) if wrk_cpu else None,
        "sim_cpu_us_per_request": round(sim_cpu * 1e6 / requests, 2),
        "load1_start": quiet.load1, "quiet": quiet.quiet,
    }
