"""bench/run: agentload and its peers side by side, one command.

    bench/run --quick        # ~10 min of measuring on a 2-core machine (plus builds on a first run)
    bench/run --full         # the whole plan (hours: every N, 3 repeats)

See bench/README.md for what is measured and how."""

import argparse
import dataclasses
import importlib.metadata
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import ceiling, install, machine, report, summary, workloads
from .measure import Point, measure
from .tools import Agentload, Goose, Locust

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
TOOLS = ("agentload", "locust", "goose")


def arguments(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer agent counts, shorter windows (default)")
    mode.add_argument("--full", action="store_true", help="N = 500 .. 8,000 (10,000 for W3), 3 repeats")
    p.add_argument("--workloads", help="comma-separated subset, e.g. W1,W3")
    p.add_argument("--agents", help="comma-separated agent counts replacing the plan's, e.g. 200,400")
    p.add_argument("--tools", default="agentload,locust,goose",
                   help="comma-separated: agentload, locust, goose (goose builds examples/goose_bench.rs)")
    p.add_argument("--repeat", type=int, help="runs per point (median taken)")
    p.add_argument("--window", type=float, help="measurement window in seconds")
    p.add_argument("--quiet-load", type=float, help="1-minute load to wait for before each measurement")
    p.add_argument("--quiet-timeout", type=float, help="longest wait for it, seconds")
    p.add_argument("--out", type=Path, help="output folder (default bench/results/<UTC timestamp>)")
    p.add_argument("--no-build", action="store_true",
                   help="use target/release/agentload (and examples/goose_bench) as they are")
    p.add_argument("--no-wrk", action="store_true", help="skip the wrk ceiling")
    return p.parse_args(argv)


def plan_of(args: argparse.Namespace) -> workloads.Plan:
    plan = workloads.full() if args.full else workloads.quick()
    names = args.workloads.split(",") if args.workloads else None
    agents = [int(a) for a in args.agents.split(",")] if args.agents else None
    plan = workloads.narrowed(plan, names, agents, args.window)
    changes = {k: v for k, v in (("repeat", args.repeat), ("quiet_load", args.quiet_load),
                                 ("quiet_timeout_s", args.quiet_timeout)) if v is not None}
    if not plan.workloads:
        raise SystemExit(f"no workload left of {args.workloads!r}: the workloads are W1, W2, W3")
    return dataclasses.replace(plan, **changes) if changes else plan


def commit() -> str:
    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--", "src", "Cargo.lock") else "")


def main(argv: list[str]) -> int:
    args = arguments(argv)
    plan = plan_of(args)
    started = datetime.now(timezone.utc)
    folder = args.out or BENCH / "results" / started.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    binary = install.agentload(ROOT, build=not args.no_build)
    wrk = None if args.no_wrk else install.wrk()
    names = args.tools.split(",")
    unknown = [t for t in names if t not in TOOLS]
    if unknown:
        raise SystemExit(f"unknown tool {', '.join(unknown)}: the tools are {', '.join(TOOLS)}")
    goose = install.goose(ROOT, build=not args.no_build) if "goose" in names else None
    known = {"agentload": lambda: Agentload(binary),
             "locust": lambda: Locust(BENCH / ".venv", BENCH / "peers" / "locustfile.py"),
             "goose": lambda: Goose(goose)}
    tools = [known[t]() for t in names]
    result = {"schema": "agentload.bench/1", "mode": plan.mode,
              "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"), "commit": commit(),
              "versions": {"locust": importlib.metadata.version("locust"),
                           "geventhttpclient": importlib.metadata.version("geventhttpclient"),
                           "goose": install.goose_version(ROOT)},
              "machine": machine.describe(), "plan": repr(plan),
              "measurements": [], "failures": []}
    points = [Point(w, t, n, r) for r in range(1, plan.repeat + 1) for w in plan.workloads
              for n in w.agents for t in tools]
    clock = time.monotonic()
    for i, p in enumerate(points, 1):
        where = folder / f"{p.workload.name}-{p.agents}-{p.tool.name}-{p.repeat}"
        print(f"[{i}/{len(points)}] {p.workload.name} {p.tool.name} {p.agents} agents (run {p.repeat})", flush=True)
        try:
            m = measure(p, plan, binary, where)
        except (RuntimeError, OSError, ValueError) as e:
            print(f"  failed: {e}", flush=True)
            result["failures"].append({"workload": p.workload.name, "tool": p.tool.name,
                                       "agents": p.agents, "repeat": p.repeat, "error": str(e)})
            continue
        result["measurements"].append(m)
        print("  " + json.dumps({k: m.get(k) for k in ("load1_start", "agents_sustained", "cycles_per_agent_s",
                                                        "tool_cpu_us_per_cycle", "rss_per_agent_kib",
                                                        "sim_cpu_us_per_cycle", "invite_p99_us")}), flush=True)
        result["summary"] = summary.summarise(result["measurements"])
        report.write(folder, plan, result)
    if wrk:
        print("wrk ceiling", flush=True)
        result["ceiling"] = ceiling.measure(wrk, plan, binary, folder / "wrk")
    result["summary"] = summary.summarise(result["measurements"])
    result["wall_s"] = round(time.monotonic() - clock)
    table = report.write(folder, plan, result)
    print(table.read_text())
    print(f"written: {table}, results.json, results.csv ({result['wall_s']} s of measuring)")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
