"""The machine: what it is, and whether it is quiet enough to measure on."""

import os
import platform
import resource
import time
from dataclasses import dataclass
from pathlib import Path


def load1() -> float:
    """The 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


@dataclass(frozen=True)
class Quiet:
    """How the wait for a quiet machine went."""

    load1: float
    waited_s: float
    quiet: bool


def wait_quiet(bound: float, timeout_s: float, poll_s: float = 2.0) -> Quiet:
    """Waits until the 1-minute load is under `bound`, at most `timeout_s`;
    the measurement goes ahead either way, with the load it had recorded."""
    start = time.monotonic()
    while True:
        load = load1()
        waited = time.monotonic() - start
        if load < bound:
            return Quiet(load, waited, True)
        if waited >= timeout_s:
            return Quiet(load, waited, False)
        time.sleep(min(poll_s, max(0.1, timeout_s - waited)))


def describe() -> dict:
    """What a reader needs to compare figures across machines."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nofile_soft": soft,
        "nofile_hard": hard,
    }
