"""What the harness needs besides its virtual environment (which bench/run
makes): a release build of agentload, and wrk from Debian."""

import shutil
import subprocess
from pathlib import Path


def agentload(root: Path, build: bool) -> Path:
    """`cargo build --release --locked` (unless told not to) and the binary."""
    if build:
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=root, check=True)
    binary = root / "target" / "release" / "agentload"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run `cargo build --release --locked` or drop --no-build")
    return binary


def wrk() -> str:
    """The wrk binary, installed with apt-get (Debian package `wrk`) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if not shutil.which("apt-get"):
        raise RuntimeError("wrk is missing and apt-get is not here: install wrk, or pass --no-wrk")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("apt-get installed wrk but it is not on PATH")
    return found
