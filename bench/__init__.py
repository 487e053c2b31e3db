"""Benchmarks of the real app and its parts; run each as ``python -m bench.<name>``."""
