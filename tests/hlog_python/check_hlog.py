"""Decodes a run's histograms.hlog with HdrHistogram's Python library (PyPI
`hdrhistogram`, written by nobody here) and checks that every measurement's
p99 matches summary.json within HdrHistogram's precision (3 significant
digits). Used by .ci/run on the CI smoke run, and by
scripts/shards_by_hand.sh on a merge of three shards:

    python3 tests/hlog_python/check_hlog.py RUN_DIR
"""

import json
import math
import sys
from pathlib import Path

from hdrh.histogram import HdrHistogram


def value_at_percentile(h: HdrHistogram, percentile: float) -> int:
    """The value at a percentile with the rank rule of HdrHistogram's Java
    reference and the Rust crate (ceil of percentile x count); the Python
    package's own get_value_at_percentile rounds the rank instead, which only
    differs on small counts."""
    target = max(1, math.ceil(percentile / 100.0 * h.get_total_count()))
    seen = 0
    for item in h.get_recorded_iterator():
        seen += item.count_added_in_this_iter_step
        if seen >= target:
            return h.get_highest_equivalent_value(item.value_iterated_to)
    return h.get_max_value()


def main(run_dir: Path) -> int:
    summary = json.loads((run_dir / "summary.json").read_text())
    merged = {}
    for line in (run_dir / "histograms.hlog").read_text().splitlines():
        if not line.startswith("Tag="):
            continue  # comments, headers, agentload's interval metadata
        tag_field, start, length, _max, payload = line.split(",", 4)
        tag = tag_field[len("Tag="):]
        h = HdrHistogram.decode(payload.encode())
        if tag in merged:
            merged[tag].add(h)
        else:
            merged[tag] = h
    if not merged:
        print(f"{run_dir}: no histogram in histograms.hlog", file=sys.stderr)
        return 1
    failures = 0
    for tag, h in sorted(merged.items()):
        ours = summary["metrics"][tag]
        theirs_count = h.get_total_count()
        theirs_p99 = value_at_percentile(h, 99.0)
        tolerance = max(1, ours["p99_us"] // 500)  # 3 significant digits, both roundings
        ok = theirs_count == ours["count"] and abs(theirs_p99 - ours["p99_us"]) <= tolerance
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {tag}: count {theirs_count} vs {ours['count']}, "
              f"p99 {theirs_p99} us vs {ours['p99_us']} us")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
