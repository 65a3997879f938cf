"""The tools' command lines: Goose's runs examples/goose_bench on the same
profile as agentload, Goose's flags after `--`, and stops on SIGTERM."""

import signal
import tempfile
import tomllib
import unittest
from pathlib import Path

from harness import install
from harness.tools import Goose, Launch
from harness.workloads import Behaviour, quick


class GooseCommand(unittest.TestCase):
    def test_command_line(self):
        w1 = quick().workloads[0]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "W1-200-goose-1"
            launch = Launch(w1, 200, "http://127.0.0.1:9", folder, Behaviour(), 150)
            goose = Goose(Path("/x/target/release/examples/goose_bench"))
            argv, env = goose.command(launch)
            self.assertEqual(env, {})
            self.assertEqual(argv[:6], ["/x/target/release/examples/goose_bench", str(folder / "profile.toml"),
                                        "--target", "http://127.0.0.1:9", "--out", str(folder / "run")])
            goose_flags = argv[argv.index("--") + 1:]
            self.assertEqual(goose_flags, ["--users", "200", "--increase-rate", str(w1.ramp_per_s),
                                           "--run-time", "150s", "--no-metrics", "--no-telnet", "--quiet"])
            profile = tomllib.loads((folder / "profile.toml").read_text())
            self.assertEqual(profile["agents"]["count"], 200, "the pool holds every Goose user")
            self.assertEqual(goose.hlog(launch), folder / "run" / "histograms.hlog")
        self.assertEqual(goose.stop_signal, signal.SIGTERM)

    def test_goose_version_from_cargo_lock(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            self.assertEqual(install.goose_version(root), "?")
            (root / "Cargo.lock").write_text('[[package]]\nname = "gix"\nversion = "1.0.0"\n\n'
                                             '[[package]]\nname = "goose"\nversion = "0.19.0"\n')
            self.assertEqual(install.goose_version(root), "0.19.0")


if __name__ == "__main__":
    unittest.main()
