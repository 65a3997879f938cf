"""One `agentload serve` on 127.0.0.1 for one measurement: fresh state, its
own session (so its CPU is read like a tool's), `/sim/stats` on demand."""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from .proctree import Usage, session_usage

_LISTENING = re.compile(r"listening on (http://\S+)")


class Simulator:
    """`agentload serve --listen 127.0.0.1:0 --agents USERS --config ...`
    with `connect_timeout = HOLD`; use it as a context manager."""

    def __init__(self, binary: Path, users: int, hold_s: float, folder: Path):
        self.binary, self.users, self.hold_s, self.folder = binary, users, hold_s, folder
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> "Simulator":
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "simulator.toml"
        # Logins stay valid for the whole measurement: no session expiry
        # beyond the defaults, only the hold under test changes.
        config.write_text(f'connect_timeout = "{self.hold_s:g}s"\n')
        log = self.folder / "simulator.log"
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(self.binary), "serve", "--listen", "127.0.0.1:0",
                 "--agents", str(self.users), "--config", str(config)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = _LISTENING.search(log.read_text(errors="replace"))
            if found:
                self.url = found.group(1)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError(f"agentload serve did not start; see {log}")

    def __exit__(self, *_exc) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stats(self) -> dict:
        """`GET /sim/stats`."""
        with urllib.request.urlopen(f"{self.url}/sim/stats", timeout=10) as resp:
            return json.load(resp)

    @property
    def pid(self) -> int:
        """The simulator's process id (also its session id)."""
        assert self.proc is not None, "the simulator is not running"
        return self.proc.pid

    def usage(self) -> Usage:
        """CPU and RSS of the simulator's process."""
        assert self.proc is not None, "the simulator is not running"
        return session_usage(self.proc.pid)
