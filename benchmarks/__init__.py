"""Benchmarks of the project against its simulator: `python -m benchmarks` (see README.md)."""
