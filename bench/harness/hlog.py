"""HdrHistogram interval logs (`histograms.hlog` of agentload, the
locustfile's own log), read the same way for every tool: what happened in a
measurement window."""

import math
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
          period: float = 0.0) -> tuple[float, float] | None:
    """A window [t0, t1] inside [s0, s1] whose ends are interval edges of
    `tag`, so every interval is wholly in or wholly out and counts need no
    prorating (connects come in bursts: prorating would be off by a burst).
    With a `period` (the hold), its length is the longest whole number of
    periods that fits: idle agents cycle in step, so a window of 10.5 cycles
    would count 10 or 11 of them per agent depending on where it starts.
    A tool may leave out an interval with nothing recorded; nothing is lost
    then, wherever the window ends. None when no whole interval fits."""
    bounds = sorted({b for i in intervals if i.tag == tag for b in (i.start, i.start + i.length)})
    inside = [b for b in bounds if s0 <= b <= s1]
    if len(inside) < 2:
        return None
    t0 = inside[0]
    periods = int((inside[-1] - t0 + 0.1) // period) if period > 0 else 0
    if periods == 0:
        return t0, inside[-1]
    # Interval edges lie about a second apart: take the one nearest the target.
    return t0, min(inside, key=lambda b: abs(b - t0 - periods * period))


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
    reference and agentload (rank = ceil(p/100 x count)), so both tools'
    percentiles come out of one computation."""
    total = h.get_total_count()
    rank = max(1, math.ceil(p / 100.0 * total))
    seen = 0
    for item in h.get_recorded_iterator():
        seen += item.count_added_in_this_iter_step
        if seen >= rank:
            return h.get_highest_equivalent_value(item.value_iterated_to)
    return h.get_max_value()
