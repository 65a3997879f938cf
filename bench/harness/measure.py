"""One measurement: one tool, one workload, one agent count, against a fresh
`agentload serve`. The window starts once every agent holds a connect (and a
settling pause); CPU and RSS come from /proc, agents from `/sim/stats`,
connect cycles and invite_delivery from the tool's interval log."""

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from . import hlog
from .machine import load1, wait_quiet
from .proctree import session_pids, usage
from .simulator import Simulator
from .tools import Launch, Tool
from .workloads import Plan, Workload

# Held connects at or above this share of the agents count as "all holding":
# at a 2 s cycle a few agents are always between two connects.
HOLDING_SHARE = 0.97


@dataclass(frozen=True)
class Point:
    """What to measure."""

    workload: Workload
    tool: Tool
    agents: int
    repeat: int


def wait_holding(sim: Simulator, agents: int, timeout_s: float, proc) -> tuple[bool, float]:
    """Waits until every agent is Ready and (almost) every one holds a
    connect; (reached, seconds waited). Gives up when the tool has ended."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s and proc.poll() is None:
        stats = sim.stats()
        if stats["agents_ready"] >= agents and stats["held_connects"] >= HOLDING_SHARE * agents:
            return True, time.monotonic() - start
        time.sleep(0.5)
    return False, time.monotonic() - start


def measure(point: Point, plan: Plan, binary: Path, folder: Path) -> dict:
    """Runs one point and returns its figures (see `figures`)."""
    w, n = point.workload, point.agents
    ramp_timeout = 60.0 + 3.0 * n / w.ramp_per_s
    lifetime = int(ramp_timeout + plan.settle_s + w.window_s + 120)
    with Simulator(binary, n, w.hold_s, folder) as sim:
        quiet = wait_quiet(plan.quiet_load, plan.quiet_timeout_s)
        launch = Launch(w, n, sim.url, folder, plan.behaviour, lifetime)
        proc = point.tool.start(launch)
        try:
            reached, ramp_s = wait_holding(sim, n, ramp_timeout, proc)
            time.sleep(plan.settle_s)
            samples = sample_window(sim, proc.pid, w.window_s)
            if proc.poll() is not None:
                raise RuntimeError(f"{point.tool.name} ended during the window (exit {proc.returncode}); "
                                   f"see {folder / (point.tool.name + '.log')}")
        finally:
            point.tool.stop(proc)
        intervals = hlog.read(point.tool.hlog(launch))
    with open(folder / "cpu_samples.csv", "w") as out:
        out.write("unix_s,tool_cpu_s,sim_cpu_s\n")
        out.writelines(f"{t:.3f},{a:.2f},{b:.2f}\n" for t, a, b in samples["cpu"])
    return figures(point, samples, intervals, quiet, reached, ramp_s)


# CPU is read this often during the window, so its value at the window's
# edges (interval edges of the tool's log, known afterwards) is interpolated
# over 20 ms at most; utime/stime themselves count in 10 ms ticks.
CPU_PERIOD_S = 0.02


def sample_window(sim: Simulator, tool_session: int, window_s: float) -> dict:
    """CPU of the tool and the simulator every CPU_PERIOD_S for a little more
    than the window (one whole interval of the tool's log fits in at each
    end), RSS and the simulator's gauges every second."""
    first_stats = sim.stats()
    sim_pids = session_pids(sim.pid)
    tool_pids = session_pids(tool_session)
    cpu, rss, held, ready = [], [], [], []
    start = time.time()
    end = start + window_s + 2.5
    next_second = start
    while True:
        now = time.time()
        cpu.append((now, usage(tool_pids).cpu_s, usage(sim_pids).cpu_s))
        if now >= end:
            break
        if now >= next_second:
            next_second += 1.0
            tool_pids = session_pids(tool_session)
            rss.append(usage(tool_pids).rss_bytes)
            stats = sim.stats()
            held.append(stats["held_connects"])
            ready.append(stats["agents_ready"])
        time.sleep(CPU_PERIOD_S)
    last_stats = sim.stats()
    return {
        "cpu": cpu, "rss": rss, "held": held, "ready": ready,
        "sim_rss_bytes": usage(sim_pids).rss_bytes, "processes": len(tool_pids),
        "injected": last_stats["injected"] - first_stats["injected"],
        "completed": last_stats["completed"] - first_stats["completed"],
        "load1_end": load1(),
    }


def cpu_at(samples: list[tuple[float, float, float]], t: float) -> tuple[float, float]:
    """(tool, simulator) CPU seconds at time `t`, interpolated between the
    samples around it."""
    for (ta, tool_a, sim_a), (tb, tool_b, sim_b) in zip(samples, samples[1:]):
        if ta <= t <= tb:
            f = (t - ta) / (tb - ta) if tb > ta else 0.0
            return tool_a + f * (tool_b - tool_a), sim_a + f * (sim_b - sim_a)
    raise ValueError(f"no CPU sample around {t:.3f} (samples {samples[0][0]:.3f} .. {samples[-1][0]:.3f})")


def figures(point: Point, s: dict, intervals: list[hlog.Interval], quiet, reached: bool,
            ramp_s: float) -> dict:
    """The figures of one measurement, plain numbers for JSON and CSV."""
    w, n = point.workload, point.agents
    span = hlog.edges(intervals, "connect_cycle", s["cpu"][0][0], s["cpu"][-1][0], w.hold_s)
    if span is None:
        raise RuntimeError(f"{point.tool.name} logged no whole interval of connect cycles in the window")
    t0, t1 = span
    window = t1 - t0
    cycles, _ = hlog.between(intervals, "connect_cycle", t0, t1)
    (tool0, sim0), (tool1, sim1) = cpu_at(s["cpu"], t0), cpu_at(s["cpu"], t1)
    tool_cpu, sim_cpu = tool1 - tool0, sim1 - sim0
    per_cycle = (lambda cpu: cpu * 1e6 / cycles) if cycles > 0 else (lambda _cpu: None)
    held_mean = statistics.fmean(s["held"]) if s["held"] else None
    out = {
        "workload": w.name, "tool": point.tool.name, "agents": n, "repeat": point.repeat,
        "all_holding": reached, "ramp_s": round(ramp_s, 1), "window_s": round(window, 3),
        "load1_start": quiet.load1, "load1_end": s["load1_end"], "quiet": quiet.quiet,
        "quiet_wait_s": round(quiet.waited_s, 1),
        "agents_sustained": min(s["ready"]) if s["ready"] else 0,
        "held_connects_mean": round(held_mean, 1) if held_mean is not None else None,
        "connect_cycles": cycles,
        "cycles_per_agent_s": round(cycles / (n * window), 4),
        # Little's law on the server's gauge, a cross-check of the tool's own
        # count: a connect with nothing to deliver is held the whole hold, so
        # cycles = mean held x window / hold (an undercount when invites
        # return connects early).
        "server_cycles_estimate": round(held_mean * window / w.hold_s, 1) if held_mean else None,
        "tool_cpu_s": round(tool_cpu, 3),
        "tool_cpu_us_per_cycle": _round(per_cycle(tool_cpu)),
        "sim_cpu_s": round(sim_cpu, 3),
        "sim_cpu_us_per_cycle": _round(per_cycle(sim_cpu)),
        "tool_rss_kib": round(statistics.median(s["rss"]) / 1024) if s["rss"] else None,
        "tool_processes": s["processes"],
        "sim_rss_kib": round(s["sim_rss_bytes"] / 1024),
        "tool_cpu_per_s": round(tool_cpu / window, 4),
        "injected_per_s": round(s["injected"] / (s["cpu"][-1][0] - s["cpu"][0][0]), 1),
        "completed": s["completed"],
    }
    out["rss_per_agent_kib"] = _round(out["tool_rss_kib"] / n) if out["tool_rss_kib"] else None
    if w.measures_delivery:
        count, merged = hlog.between(intervals, "invite_delivery", t0, t1)
        out["invites_measured"] = count
        out["invite_p50_us"] = hlog.percentile(merged, 50) if merged else None
        out["invite_p99_us"] = hlog.percentile(merged, 99) if merged else None
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
