"""Benchmarks of the DESIGN §8 performance targets: ``python -m bench [p1|p2] [--write]``."""
