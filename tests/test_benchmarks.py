"""The benchmarks time equal work: each contender computes the same result (no timing here)."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_overhead  # noqa: E402


def test_overhead_contenders_compute_the_same_chain_and_gradient():
    x, y = bench_overhead.minigrad_forward()
    np.testing.assert_allclose(y.data, bench_overhead.numpy_forward(), rtol=1e-13)
    grad = bench_overhead.minigrad_forward_backward().data
    np.testing.assert_allclose(grad, bench_overhead.bare_chain(), rtol=1e-12)
    # and both agree with the closed form: the product of the local derivatives
    expected, h = np.ones((4, 4)), bench_overhead.X0
    for _ in range(bench_overhead.N_OPS // 3):
        h = np.tanh(h * bench_overhead.W + bench_overhead.B)
        expected = expected * bench_overhead.W * (1 - h * h)
    np.testing.assert_allclose(grad, expected, rtol=1e-10)
