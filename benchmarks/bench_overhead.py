"""Target 1, per-op overhead: a chain of 1000 elementwise ops (mul, add, tanh) on a (4, 4)
float64 tensor, forward + backward, per op, against numpy forward-only on the same chain.

A third contender, ``bare_chain``, is not an engine: the least Python that can record this
chain and run it backward (one object per op, no checks, no graph walk, nothing but the chain).
It measures the floor of dispatching each op from Python, against which minigrad's overhead
and the target can be read.

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


class _BareNode:
    """One recorded op of ``bare_chain``: its input, its local-derivative rule, what it saved."""

    __slots__ = ("parent", "rule", "saved")


def _bare_record(parent, rule, saved):
    node = object.__new__(_BareNode)
    node.parent, node.rule, node.saved = parent, rule, saved
    return node


def _mul_rule(g, w): return g * w            # d(y w)/dy = w
def _add_rule(g, _): return g                # d(y + b)/dy = 1
def _tanh_rule(g, out): return g - g * out * out  # d tanh(y)/dy = 1 - tanh^2 y


def bare_chain():
    """Forward and backward of the chain with the least possible Python per op."""
    y, node = X0, None
    for _ in range(N_OPS // 3):
        node = _bare_record(node, _mul_rule, W)
        y = y * W
        node = _bare_record(node, _add_rule, None)
        y = y + B
        y = np.tanh(y)
        node = _bare_record(node, _tanh_rule, y)
    g = np.ones_like(y)
    while node is not None:
        g = node.rule(g, node.saved)
        node = node.parent
    return g


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
    t_np, t_mg_f, t_mg, t_bare = (t / ops for t in interleaved_medians(
        [numpy_forward, minigrad_forward, minigrad_forward_backward, bare_chain], repeats=21))
    rows = [("numpy forward only (per op)", t_np, 1.0),
            ("minigrad forward only (per op)", t_mg_f, t_mg_f / t_np),
            ("minigrad forward + backward (per op)", t_mg, t_mg / t_np),
            ("bare Python chain, forward + backward (floor)", t_bare, t_bare / t_np)]
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
    np.testing.assert_allclose(g, bare_chain(), rtol=1e-12)
    report(f"Overhead: chain of {ops} elementwise ops on (4, 4) float64", rows,
           target="minigrad forward + backward <= 4x numpy forward-only")
    return rows


if __name__ == "__main__":
    main()
