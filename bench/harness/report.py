"""The outputs of one invocation: results.json (everything), results.csv
(one line per measurement) and table.md (the medians, ratios and slopes)."""

import csv
import json
from pathlib import Path

from .workloads import Plan


def _num(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,.{digits}f}"


def _ratio(value) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _ms(us) -> str:
    return "–" if us is None else f"{us / 1000:.2f}"


def workload_table(workload, rows: list[dict]) -> list[str]:
    delivery = workload.measures_delivery
    head = ["agents", "tool", "agents sustained", "cycles/agent/s", "CPU µs/cycle", "× agentload",
            "RSS MiB", "RSS/N KiB", "× agentload", "sim CPU µs/cycle"]
    if delivery:
        head += ["invite p50 ms", "p99 ms", "CPU µs/interaction", "× agentload"]
    head += ["load 1 min (start, end)"]
    lines = [f"### {workload.name}: {workload.title} (window {workload.window_s:g} s)", "",
             "| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in sorted((r for r in rows if r["workload"] == workload.name),
                    key=lambda r: (r["agents"], r["tool"] != "agentload", r["tool"])):
        held = _num(r["agents_sustained"]) + ("" if r["all_holding"] else " (not all held)")
        cells = [_num(r["agents"]), r["tool"], held, _num(r["cycles_per_agent_s"], 3),
                 _num(r["tool_cpu_us_per_cycle"], 0), _ratio(r.get("tool_cpu_us_per_cycle_x_agentload")),
                 _num(r["tool_rss_kib"] / 1024 if r["tool_rss_kib"] else None, 1),
                 _num(r["rss_per_agent_kib"], 1), _ratio(r.get("rss_per_agent_kib_x_agentload")),
                 _num(r["sim_cpu_us_per_cycle"], 0)]
        if delivery:
            cells += [_ms(r.get("invite_p50_us")), _ms(r.get("invite_p99_us")),
                      _num(r.get("tool_cpu_us_per_interaction")),
                      _ratio(r.get("tool_cpu_us_per_interaction_x_agentload"))]
        cells += [f"{r['load1_start']:.2f}, {r['load1_end']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def slope_table(slopes: list[dict]) -> list[str]:
    lines = ["### Memory per agent (least-squares slope of RSS over the agent counts)", "",
             "| workload | tool | RSS slope KiB/agent | × agentload | fixed part MiB | points |",
             "|---|---|---:|---:|---:|---:|"]
    for s in slopes:
        lines.append(f"| {s['workload']} | {s['tool']} | {_num(s['rss_slope_kib_per_agent'], 1)} | "
                     f"{_ratio(s.get('rss_slope_kib_per_agent_x_agentload'))} | "
                     f"{_num(s['rss_intercept_mib'], 1)} | {s['points']} |")
    return lines + [""]


def ceiling_table(c: dict | None) -> list[str]:
    if not c:
        return []
    total = c["wrk_cpu_us_per_request"] + c["sim_cpu_us_per_request"]
    return ["### The floor: wrk against `GET /sim/stats`", "",
            "| wrk threads, connections | requests/s | wrk CPU µs/request | simulator CPU µs/request | both | load 1 min |",
            "|---|---:|---:|---:|---:|---:|",
            f"| {c['threads']}, {c['connections']} | {_num(c['requests_per_s'])} | "
            f"{c['wrk_cpu_us_per_request']:.1f} | {c['sim_cpu_us_per_request']:.1f} | {total:.1f} | "
            f"{c['load1_start']:.2f} |", ""]


def markdown(plan: Plan, result: dict) -> str:
    m = result["machine"]
    busy = [x for x in result["measurements"] if not x["quiet"]]
    lines = [f"## bench/run --{plan.mode}: {result['started_utc']}", "",
             f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
             f"agentload {result['commit']}; Locust {result['versions'].get('locust', '?')}; "
             f"Goose {result['versions'].get('goose', '?')}. "
             f"Medians of {plan.repeat} run(s) per point; CPU = utime+stime of the tool's process tree "
             f"over the window, per connect cycle completed in it.", ""]
    if busy:
        loads = [x["load1_start"] for x in result["measurements"]]
        lines += [f"**Busy machine:** {len(busy)} of {len(result['measurements'])} measurements started "
                  f"above the quiet bound (1-minute load {plan.quiet_load:g}) after waiting "
                  f"{plan.quiet_timeout_s:g} s; loads at the start {min(loads):.2f} .. {max(loads):.2f}.", ""]
    for w in plan.workloads:
        lines += workload_table(w, result["summary"]["rows"])
    lines += slope_table(result["summary"]["slopes"])
    lines += ceiling_table(result.get("ceiling"))
    return "\n".join(lines)


def write(folder: Path, plan: Plan, result: dict) -> Path:
    """Writes the three files; the path of table.md."""
    (folder / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = result["measurements"]
    names = list(dict.fromkeys(k for r in rows for k in r))
    with open(folder / "results.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    table = folder / "table.md"
    table.write_text(markdown(plan, result) + "\n")
    return table
