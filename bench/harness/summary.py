"""From measurements to the figures of the table: medians over repeats, the
RSS slope over agent counts (least squares), ratios to agentload."""

import statistics
from itertools import groupby

BASELINE = "agentload"
# Figures whose ratio to agentload the table shows.
RATIO_FIGURES = ("tool_cpu_us_per_cycle", "rss_per_agent_kib")


def least_squares(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(slope, intercept) of the least-squares line through `points`; None
    with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    slope = sxy / sxx
    return slope, my - slope * mx


def medians(measurements: list[dict]) -> list[dict]:
    """One row per (workload, tool, agents): the median of every numeric
    figure over the repeats, `repeats` the count, `all_holding`/`quiet`
    true only when true in every repeat."""
    key = lambda m: (m["workload"], m["tool"], m["agents"])  # noqa: E731
    rows = []
    for (workload, tool, agents), group in groupby(sorted(measurements, key=key), key=key):
        group = list(group)
        row = {"workload": workload, "tool": tool, "agents": agents, "repeats": len(group)}
        for name in group[0]:
            if name in row or name == "repeat":
                continue
            values = [m[name] for m in group if m.get(name) is not None]
            if values and all(isinstance(v, bool) for v in values):
                row[name] = all(values)
            elif values and all(isinstance(v, (int, float)) for v in values):
                row[name] = statistics.median(values)
            else:
                row[name] = None
        rows.append(row)
    return rows


def slopes(rows: list[dict]) -> list[dict]:
    """Per (workload, tool): RSS slope in KiB per agent over the agent counts."""
    key = lambda r: (r["workload"], r["tool"])  # noqa: E731
    out = []
    for (workload, tool), group in groupby(sorted(rows, key=key), key=key):
        points = [(r["agents"], r["tool_rss_kib"]) for r in group if r.get("tool_rss_kib")]
        fit = least_squares(points)
        out.append({"workload": workload, "tool": tool, "points": len(points),
                    "rss_slope_kib_per_agent": round(fit[0], 2) if fit else None,
                    "rss_intercept_mib": round(fit[1] / 1024, 1) if fit else None})
    return add_ratios(out, ("rss_slope_kib_per_agent",), ("workload",))


def add_ratios(rows: list[dict], names: tuple[str, ...], match: tuple[str, ...]) -> list[dict]:
    """Adds `<name>_x_agentload` to every row: its figure over agentload's in
    the row that agrees on `match`."""
    base = {tuple(r[k] for k in match): r for r in rows if r["tool"] == BASELINE}
    for r in rows:
        ours = base.get(tuple(r[k] for k in match))
        for name in names:
            mine, theirs = r.get(name), ours.get(name) if ours else None
            r[f"{name}_x_agentload"] = round(mine / theirs, 2) if mine and theirs else None
    return rows


def interaction_cost(rows: list[dict], idle: str = "W1") -> list[dict]:
    """Adds `tool_cpu_us_per_interaction` to rows with interactions: the CPU
    per second above the idle workload's at the same tool and agent count,
    over the interactions created per second."""
    base = {(r["tool"], r["agents"]): r for r in rows if r["workload"] == idle}
    for r in rows:
        idle_row = base.get((r["tool"], r["agents"]))
        rate = r.get("injected_per_s")
        if r["workload"] != idle and idle_row and rate:
            extra = r["tool_cpu_per_s"] - idle_row["tool_cpu_per_s"]
            r["tool_cpu_us_per_interaction"] = round(extra * 1e6 / rate)
    return rows


def summarise(measurements: list[dict]) -> dict:
    rows = interaction_cost(medians(measurements))
    rows = add_ratios(rows, RATIO_FIGURES + ("tool_cpu_us_per_interaction",), ("workload", "agents"))
    return {"rows": rows, "slopes": slopes(rows)}
