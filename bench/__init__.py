"""Benchmarks at national scale: `python -m bench` runs them all (see bench/README.md)."""
