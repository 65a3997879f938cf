"""What the harness needs besides its virtual environment (which bench/run
makes): a release build of agentload, the Goose example (only when Goose is
measured), and wrk from Debian."""

import re
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


GOOSE_BUILD = ["cargo", "build", "--release", "--locked", "--features", "goose", "--example", "goose_bench"]


def goose(root: Path, build: bool) -> Path:
    """examples/goose_bench.rs built with the `goose` feature (unless told
    not to; the first build compiles Goose's ~100 crates, minutes) and its binary."""
    if build:
        subprocess.run(GOOSE_BUILD, cwd=root, check=True)
    binary = root / "target" / "release" / "examples" / "goose_bench"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run `{' '.join(GOOSE_BUILD)}` or drop --no-build")
    return binary


def goose_version(root: Path) -> str:
    """The goose crate's version in Cargo.lock ("?" when it is not there)."""
    try:
        lock = (root / "Cargo.lock").read_text()
    except OSError:
        return "?"
    found = re.search(r'^\[\[package\]\]\nname = "goose"\nversion = "([^"]+)"', lock, re.MULTILINE)
    return found.group(1) if found else "?"


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
