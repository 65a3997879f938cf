"""The harness's arithmetic: process stats, interval logs, medians, slopes,
ratios, wrk's output, the generated profile. Run with bench/test."""

import os
import signal
import subprocess
import tempfile
import tomllib
import unittest
from pathlib import Path

from hdrh.histogram import HdrHistogram

from harness import ceiling, hlog, proctree, summary
from harness.tools import Launch, agentload_profile
from harness.workloads import Behaviour, quick


def histogram(*values: int) -> HdrHistogram:
    h = HdrHistogram(1, 3_600_000_000, 3)
    for v in values:
        h.record_value(v)
    return h


class ProcTree(unittest.TestCase):
    def test_a_command_name_with_spaces_and_parentheses(self):
        fields = ["S", "1", "2", "77"] + ["0"] * 7 + ["120", "30", "5", "1"] + ["0"] * 6 + ["250"]
        session, ticks, pages = proctree.parse_stat("4242 (a (b) c) " + " ".join(fields))
        self.assertEqual((session, ticks, pages), (77, 156, 250))

    def test_a_session_is_the_tree_started_in_it(self):
        child = subprocess.Popen(["sh", "-c", "sleep 5 & sleep 5"], start_new_session=True)
        try:
            for _ in range(100):
                pids = proctree.session_pids(child.pid)
                if len(pids) == 3:
                    break
                subprocess.run(["sleep", "0.02"])
            self.assertEqual(len(pids), 3, pids)
            self.assertIn(child.pid, pids)
            self.assertGreater(proctree.usage(pids).rss_bytes, 0)
        finally:
            os.killpg(child.pid, signal.SIGTERM)  # the group the session leader made
            child.wait()


class IntervalLog(unittest.TestCase):
    def write(self, lines: list[str]) -> Path:
        folder = Path(tempfile.mkdtemp())
        path = folder / "x.hlog"
        path.write_text("\n".join(lines) + "\n")
        return path

    def test_exact_counts_between_interval_edges(self):
        # agentload leaves out intervals with nothing recorded (here 101..102).
        burst = histogram(*[1000] * 200).encode().decode()
        one = histogram(5).encode().decode()
        path = self.write(["#[StartTime: 100.000 (seconds since epoch)]", "#[BaseTime: 100.000 (seconds since epoch)]",
                           f"Tag=connect_cycle,0.000,1.000,0.001,{burst}",
                           f"Tag=connect_cycle,2.000,1.000,0.001,{one}",
                           f"Tag=invite_delivery,2.000,1.000,0.001,{one}",
                           f"Tag=connect_cycle,3.000,1.000,0.001,{burst}"])
        intervals = hlog.read(path)
        self.assertEqual(intervals[0].start, 100.0)
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 104.0), (101.0, 104.0))
        self.assertEqual(hlog.between(intervals, "connect_cycle", 101.0, 104.0)[0], 201)
        self.assertEqual(hlog.between(intervals, "connect_cycle", 100.0, 103.0)[0], 201)
        count, merged = hlog.between(intervals, "invite_delivery", 101.0, 104.0)
        self.assertEqual((count, merged.get_total_count()), (1, 1))
        self.assertIsNone(hlog.edges(intervals, "connect_cycle", 100.2, 100.9))

    def test_a_window_of_whole_cycles(self):
        # Every interval of 1 s from 100 to 130: at a 2 s cycle the longest
        # whole number of cycles in [100.5, 109.6] is 4 (101 .. 109).
        one = histogram(5).encode().decode()
        path = self.write(["#[BaseTime: 100.000 (seconds since epoch)]"] +
                          [f"Tag=connect_cycle,{k}.000,1.000,0.001,{one}" for k in range(30)])
        intervals = hlog.read(path)
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 109.6, 2.0), (101.0, 109.0))
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 109.6), (101.0, 109.0))
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 110.0, 2.0), (101.0, 109.0))
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 110.0, 3.0), (101.0, 110.0))
        # 22.9 s of sampling from 101.0 hold 11 whole cycles; 12 would not fit.
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 123.9, 2.0), (101.0, 123.0))
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 104.0, 30.0), (101.0, 104.0))

    def test_a_window_over_intervals_left_out(self):
        # At a 30 s hold agentload logs only the intervals where connects end.
        burst = histogram(*[1000] * 50).encode().decode()
        path = self.write(["#[BaseTime: 100.000 (seconds since epoch)]",
                           f"Tag=connect_cycle,0.000,1.000,0.001,{burst}",
                           f"Tag=connect_cycle,30.000,1.000,0.001,{burst}"])
        intervals = hlog.read(path)
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 100.5, 133.0, 30.0), (101.0, 131.0))
        self.assertEqual(hlog.between(intervals, "connect_cycle", 101.0, 131.0)[0], 50)
        self.assertEqual(hlog.edges(intervals, "connect_cycle", 105.0, 137.5, 30.0), (105.0, 135.0))

    def test_percentiles_take_the_ceiling_rank(self):
        h = histogram(*range(1, 101))
        self.assertEqual(hlog.percentile(h, 50), 50)
        self.assertEqual(hlog.percentile(h, 99), 99)
        self.assertEqual(hlog.percentile(histogram(1000, 3000), 50), 1000)
        # 7 % of 100 is rank 7 exactly (0.07 x 100 is 7.000000000000001 in floats).
        self.assertEqual(hlog.percentile(h, 7), 7)
        self.assertEqual(hlog.percentile(histogram(*range(1, 1001)), 99.9), 999)
        self.assertEqual(hlog.percentile(histogram(123_456), 99), 123_519)


class Summary(unittest.TestCase):
    def row(self, tool, agents, rss, cpu, workload="W1", repeat=1, **more):
        return {"workload": workload, "tool": tool, "agents": agents, "repeat": repeat, "tool_rss_kib": rss,
                "tool_cpu_us_per_cycle": cpu, "rss_per_agent_kib": rss / agents, "all_holding": True, **more}

    def test_least_squares(self):
        self.assertEqual(summary.least_squares([(1, 5), (2, 7), (4, 11)]), (2.0, 3.0))
        self.assertIsNone(summary.least_squares([(1, 5), (1, 6)]))

    def test_medians_slopes_and_ratios(self):
        ms = [self.row("agentload", 1000, 20_000, 40, repeat=r, all_holding=r != 2) for r in (1, 2, 3)]
        ms[0]["tool_cpu_us_per_cycle"] = 90
        ms += [self.row("agentload", 2000, 30_000, 30), self.row("locust", 1000, 40_000, 400),
               self.row("locust", 2000, 70_000, 450)]
        result = summary.summarise(ms)
        first = next(r for r in result["rows"] if r["tool"] == "agentload" and r["agents"] == 1000)
        self.assertEqual((first["repeats"], first["tool_cpu_us_per_cycle"], first["all_holding"]), (3, 40, False))
        locust = next(r for r in result["rows"] if r["tool"] == "locust" and r["agents"] == 2000)
        self.assertEqual(locust["tool_cpu_us_per_cycle_x_agentload"], 15.0)
        slopes = {s["tool"]: s for s in result["slopes"]}
        self.assertEqual(slopes["agentload"]["rss_slope_kib_per_agent"], 10.0)
        self.assertEqual(slopes["locust"]["rss_slope_kib_per_agent"], 30.0)
        self.assertEqual(slopes["locust"]["rss_slope_kib_per_agent_x_agentload"], 3.0)

    def test_cost_of_an_interaction_is_above_the_idle_run(self):
        idle = self.row("agentload", 500, 1, 1, tool_cpu_per_s=0.02)
        busy = self.row("agentload", 500, 1, 1, workload="W2", tool_cpu_per_s=0.17, injected_per_s=100.0)
        rows = summary.interaction_cost(summary.medians([idle, busy]))
        self.assertEqual(next(r for r in rows if r["workload"] == "W2")["tool_cpu_us_per_interaction"], 1500)


class Wrk(unittest.TestCase):
    def test_requests_and_seconds(self):
        out = "Running 10s test @ http://127.0.0.1:1/sim/stats\n  811830 requests in 10.00s, 300.00MB read\n"
        self.assertEqual(ceiling.parse_requests(out), (811830, 10.0))
        self.assertEqual(ceiling.parse_requests("  5000 requests in 500.00ms, 1MB read"), (5000, 0.5))
        with self.assertRaises(ValueError):
            ceiling.parse_requests("connection refused")


class Profile(unittest.TestCase):
    def test_generated_profile(self):
        w2 = quick().workloads[1]
        text = agentload_profile(Launch(w2, 600, "http://127.0.0.1:1", Path("/tmp"), Behaviour(), 100))
        p = tomllib.loads(text)
        self.assertEqual([s["duration"] for s in p["stages"]], ["3s", "97s"])
        self.assertEqual((p["stages"][0]["rate_scale"], p["traffic"]["email_rate"]), (0.0, 100.0))
        self.assertEqual((p["behaviour"]["answer_delay"], p["behaviour"]["handle_time"]), ("100ms", "1000ms"))
        self.assertEqual(p["agents"]["channels"], ["email", "chat"])


if __name__ == "__main__":
    unittest.main()
