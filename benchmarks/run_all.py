"""Run every benchmark in one process and print their tables (see benchmarks/README.md).

The depth benchmark runs first: importing torch and scikit-learn leaves millions of young
objects that the garbage collector then scans during the next forward passes.
"""
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

RUNS = [("bench_depth", None), ("bench_overhead", None), ("bench_classifier", None),
        ("bench_training", []), ("bench_memory", []), ("bench_gradcheck", [])]

if __name__ == "__main__":
    for name, argv in RUNS:
        module = importlib.import_module(name)
        module.main() if argv is None else module.main(argv)
