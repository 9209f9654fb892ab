"""Target 4, memory: the extra peak memory of one CIFAR-shape step (softmax classifier,
X (4096, 3073) float32, W (3073, 10)) against the numpy version's, and whether the traced memory
stays flat over many steps. Target: at most 1.3x numpy's extra peak, flat over 10,000 steps.

Memory is measured with tracemalloc, which numpy reports its array buffers to.

Run: python benchmarks/bench_memory.py [--steps 10000]
"""
import argparse
import tracemalloc

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from bench_classifier import W0, X, numpy_softmax, y

Xt = mg.Tensor(X)


def numpy_step(W):
    loss, dW = numpy_softmax(W)
    W -= 1e-3 * dW


def minigrad_step(W):
    loss = F.cross_entropy(Xt @ W, y)
    W.grad = None
    loss.backward()
    W.data -= 1e-3 * W.grad.data


def extra_peak(step, W):
    step(W)  # warm-up
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step(W)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def growth(step, W, steps):
    tracemalloc.start()
    for _ in range(min(steps, 500)):
        step(W)
    start = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        step(W)
    grown = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    return grown


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10_000,
                        help="steps for the flatness check (uses a 256-row slice of X)")
    args = parser.parse_args(argv)
    p_np = extra_peak(numpy_step, W0.copy())
    p_mg = extra_peak(minigrad_step, mg.Tensor(W0.copy(), requires_grad=True))
    print("\n## Memory: one CIFAR-shape step, extra peak over the resident data")
    print(f"  numpy     {p_np / 2**20:8.2f} MiB")
    print(f"  minigrad  {p_mg / 2**20:8.2f} MiB   {p_mg / p_np:.2f}x   (target <= 1.30x)")
    # flatness over many steps on a smaller batch, so that 10,000 steps take seconds
    global Xt
    Xs, ys = X[:256], y[:256]
    Xt = mg.Tensor(Xs)

    def small_step(W):
        loss = F.cross_entropy(Xt @ W, ys)
        W.grad = None
        loss.backward()
        W.data -= 1e-3 * W.grad.data
    g = growth(small_step, mg.Tensor(W0.copy(), requires_grad=True), args.steps)
    print(f"  traced memory change over {args.steps} steps: {g} bytes (target: flat)")
    return p_np, p_mg, g


if __name__ == "__main__":
    main()
