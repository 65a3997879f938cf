"""HdrHistogram interval logs (`histograms.hlog` of agentload, the
locustfile's own log), read the same way for every tool: what happened in a
measurement window."""

import math
from fractions import Fraction
from dataclasses import dataclass
from pathlib import Path

from hdrh.histogram import HdrHistogram


@dataclass
class Interval:
    """One tagged interval histogram, its start in seconds since the epoch."""

    tag: str
    start: float
    length: float
    histogram: HdrHistogram


def read(path: Path) -> list[Interval]:
    """Every `Tag=` interval of the log; timestamps are relative to
    `#[BaseTime]` (or `#[StartTime]` when there is none)."""
    base = start_time = None
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("#[BaseTime:"):
            base = float(line.split()[1])
        elif line.startswith("#[StartTime:"):
            start_time = float(line.split()[1])
        elif line.startswith("Tag="):
            tag_field, start, length, _max, payload = line.split(",", 4)
            origin = base if base is not None else (start_time or 0.0)
            out.append(Interval(tag_field[4:], origin + float(start), float(length),
                                HdrHistogram.decode(payload.encode())))
    return out


def edges(intervals: list[Interval], tag: str, s0: float, s1: float,
          period: float = 0.0, slack: float = 0.002) -> tuple[float, float] | None:
    """A window [t0, t1] inside [s0, s1] whose ends fall inside no interval
    of `tag`, so every interval is wholly in or wholly out and counts need no
    prorating (connects come in bursts: prorating would be off by a burst).
    An end may fall on an interval edge or in a stretch the log leaves out
    (agentload writes no line for an interval with nothing recorded).
    With a `period` (the hold) the window lasts the longest whole number of
    periods that fits, give or take the interval an end would cut: idle
    agents cycle in step, so a window of 10.5 cycles would count 10 or 11 per
    agent depending on where it starts. None when nothing fits."""
    spans = [(i.start, i.start + i.length) for i in intervals if i.tag == tag]

    def cut(t: float) -> tuple[float, float] | None:
        return next(((a, b) for a, b in spans if a + slack < t < b - slack), None)

    hit = cut(s0)
    t0 = hit[1] if hit else s0
    periods = int((s1 - t0) // period) if period > 0 else 0
    target = t0 + periods * period if periods else s1
    hit = cut(target)
    if hit:
        a, b = hit
        target = b if b - target < target - a and b <= s1 else a
    return (t0, target) if target > t0 else None


def between(intervals: list[Interval], tag: str, t0: float, t1: float,
            slack: float = 0.002) -> tuple[int, HdrHistogram | None]:
    """The count of `tag` in the intervals wholly inside [t0, t1] (edges
    compared within `slack` seconds, the log's millisecond rounding) and their
    merged histogram (None when none is inside)."""
    count = 0
    merged = None
    for i in intervals:
        if i.tag != tag or i.start < t0 - slack or i.start + i.length > t1 + slack:
            continue
        count += i.histogram.get_total_count()
        if merged is None:
            merged = HdrHistogram(1, 3_600_000_000, 3)
        merged.add(i.histogram)
    return count, merged


def percentile(h: HdrHistogram, p: float) -> int:
    """The value at percentile `p` by the rank rule of HdrHistogram's Java
    reference and agentload (rank = ceil(p/100 x count), in exact
    arithmetic), so both tools' percentiles come out of one computation.
    hdrh rounds its own rank (int(q/100 x count + 0.5)), so it is asked for
    the percentile whose rounded rank is that one."""
    total = h.get_total_count()
    rank = max(1, math.ceil(Fraction(str(p)) * total / 100))
    return h.get_value_at_percentile(100.0 * (rank - 0.25) / total)
