"""Target 5, depth: a chain of up to 1,000,000 ops, forward + backward, and how the time per op
changes with the length of the chain (it should stay about constant).

Run: python benchmarks/bench_depth.py
"""
import time

import numpy as np

import minigrad as mg


def chain(n):
    x = mg.tensor(np.float64(0.5), requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.0
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    assert x.grad.item() == 1.0
    return (t1 - t0) / n, (t2 - t1) / n


def main():
    print("\n## Depth: chain of n multiplications, time per op")
    print(f"  {'n':>9}  {'forward':>10}  {'backward':>10}")
    rows = []
    for n in (10_000, 100_000, 1_000_000):
        f, b = chain(n)
        rows.append((n, f, b))
        print(f"  {n:>9}  {f * 1e6:8.2f} us  {b * 1e6:8.2f} us")
    return rows


if __name__ == "__main__":
    main()
