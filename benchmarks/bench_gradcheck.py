"""gradcheck on a CIFAR-sized linear classifier: full Jacobian check against fast_mode.

X (N, 3073) float64, W (3073, 10), mean softmax cross-entropy. The full check perturbs each of
the 30,730 weights twice (61,461 loss evaluations); fast_mode checks one random projection
v^T J u (3 evaluations and 2 backward passes). Both are timed on the correct gradient (the
check passes) and on a wrong one (a custom loss whose backward forgets the 1/N of the mean:
the check must fail). gradcheck_sparse (10 random coordinates) is timed for comparison.
Prints medians; not a test.

Run: python benchmarks/bench_gradcheck.py [--batch 32] [--full-repeats 1]
"""
import argparse

import numpy as np

import minigrad as mg
from _timing import median_time, report
from minigrad.gradcheck import GradcheckError, gradcheck, gradcheck_sparse

D, C = 3073, 10


class GradientTimes(mg.Function):
    """f(x) = x, but backward multiplies the gradient by ``factor``: a planted bug."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x

    @staticmethod
    def backward(ctx, g):
        return g * ctx.factor, None


def make_problem(batch, seed=0):
    rng = np.random.default_rng(seed)
    X = mg.Tensor(rng.standard_normal((batch, D)))
    labels = rng.integers(0, C, batch)
    W = mg.tensor(rng.standard_normal((D, C)) * 1e-3, requires_grad=True)

    def cross_entropy(scores):
        return -scores.log_softmax(axis=1)[np.arange(batch), labels].mean()

    def right(w):
        return cross_entropy(X @ w)

    def wrong(w):  # the gradient of the scores comes back N times too large
        return cross_entropy(GradientTimes.apply(X @ w, batch))

    return W, right, wrong


def check_outcome(loss, W, fast_mode):
    """True if gradcheck passes, False if it fails (detection only: no error message)."""
    return gradcheck(loss, W, fast_mode=fast_mode, seed=0, raise_exception=False)


def named_failure(loss, W):
    """The op the fast-mode error message blames (it runs gradcheck_graph to find it)."""
    try:
        gradcheck(loss, W, fast_mode=True, seed=0)
    except GradcheckError as err:
        return err.suspect_op
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="rows of X (default 32)")
    parser.add_argument("--full-repeats", type=int, default=1,
                        help="timed runs of each full check (default 1: it is slow)")
    parser.add_argument("--fast-repeats", type=int, default=15)
    args = parser.parse_args(argv)
    W, right, wrong = make_problem(args.batch)
    assert check_outcome(right, W, fast_mode=True) is True
    assert check_outcome(wrong, W, fast_mode=True) is False
    assert named_failure(wrong, W) == "GradientTimes"

    rows, speedups = [], []
    for label, loss, expected in (("correct W grad", right, True),
                                  ("wrong W grad", wrong, False)):
        fast = median_time(lambda: check_outcome(loss, W, True), repeats=args.fast_repeats)
        outcomes = []
        full = median_time(lambda: outcomes.append(check_outcome(loss, W, False)),
                           repeats=args.full_repeats, warmup=0)
        assert set(outcomes) == {expected}, f"full check of the {label}: {outcomes}"
        rows += [(f"{label}: full check, 61,461 evaluations", full, 1.0),
                 (f"{label}: fast_mode, 3 evaluations", fast, fast / full)]
        speedups.append(f"{label}: fast_mode {full / fast:,.0f}x faster")
    named = median_time(lambda: named_failure(wrong, W), repeats=args.fast_repeats)
    rows.append(("wrong W grad: fast_mode + error naming the op", named, named / full))
    W.grad = None
    right(W).backward()
    sparse = median_time(lambda: gradcheck_sparse(right, W, W.grad, num_checks=10, seed=0),
                         repeats=args.fast_repeats)
    rows.append(("gradcheck_sparse, 10 coordinates, 20 evaluations", sparse, sparse / full))
    report(f"gradcheck of a linear classifier, X ({args.batch}, {D}) float64, W ({D}, {C}); "
           "ratio: to the full check above it", rows)
    print("  " + "; ".join(speedups))
    return rows


if __name__ == "__main__":
    main()
