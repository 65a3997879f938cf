"""The side-by-side benchmark harness behind bench/run (see bench/README.md)."""
