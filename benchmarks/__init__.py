"""The benchmark suite: ``python3 dev.py bench`` (or ``python -m benchmarks``) writes BENCHMARKS.md."""
