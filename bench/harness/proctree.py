"""CPU and memory of a process tree, read from /proc.

A tool is started in a session of its own (`start_new_session`), so its tree
is every process of that session, children it forked included, however they
were reparented. CPU is utime+stime of each live process plus cutime+cstime
(children that exited and were waited for), in clock ticks; RSS is field 24
of /proc/PID/stat, in pages.
"""

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Usage:
    """A process tree at one moment."""

    cpu_s: float
    rss_bytes: int
    processes: int


def parse_stat(text: str) -> tuple[int, int, int]:
    """(session id, CPU ticks incl. waited-for children, RSS pages) of one
    /proc/PID/stat line. The command name may hold spaces and parentheses,
    so fields are counted from its last ')'."""
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): field k of proc(5) is fields[k - 3].
    session = int(fields[6 - 3])
    ticks = sum(int(fields[k - 3]) for k in (14, 15, 16, 17))
    rss_pages = int(fields[24 - 3])
    return session, ticks, rss_pages


def session_pids(session: int, proc: Path = Path("/proc")) -> list[int]:
    """Every live process whose session id is `session`."""
    pids = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if parse_stat((entry / "stat").read_text())[0] == session:
                pids.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile, or not readable
    return pids


def usage(pids: list[int], proc: Path = Path("/proc")) -> Usage:
    """The summed usage of the processes `pids` (those still alive)."""
    ticks = pages = count = 0
    for pid in pids:
        try:
            _sid, t, p = parse_stat((proc / str(pid) / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue
        ticks += t
        pages += p
        count += 1
    return Usage(cpu_s=ticks / CLOCK_TICKS, rss_bytes=pages * PAGE_BYTES, processes=count)


def session_usage(session: int, proc: Path = Path("/proc")) -> Usage:
    """The summed usage of every live process whose session id is `session`."""
    return usage(session_pids(session, proc), proc)
