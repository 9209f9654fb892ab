"""Stage 3's gradient check: backward()'s gradient of the classifier's loss against central
differences, in float64 (CS231n: "always check your analytic gradient against the numeric one").

Two checks at the initial weights (small, so every SVM margin is about 1: far from the hinge's
kink, where a difference quotient would straddle it):

* ``gradcheck_sparse``: a few random weights, one line each (numerical, analytic, relative error);
* the whole gradient, every weight differenced (at most ``max_weights`` of them, drawn at
  random when W is bigger, e.g. 5,000 of CIFAR-10's 30,730), compared as one vector:
  ||a - n|| / (||a|| + ||n||). The per-weight form is reported too, but it is not a verdict: a
  weight whose gradient is tiny, say 4e-5, shows a relative error of ~1e-7 from the rounding of
  the difference quotient alone (~1e-11 in float64 with h = 1e-5).

Below 1e-7 in float64 the gradient is right. The check differentiates the mean loss over the
first ``samples`` training rows: the formula is what is checked, and a few rows keep the
2 evaluations per weight cheap.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..gradcheck import SparseCheckReport, gradcheck_sparse, numerical_grad
from ..tensor import Tensor
from .classifier import LOSSES, LinearClassifier

__all__ = ["GradientCheck", "check_gradient", "GOOD_RELATIVE_ERROR"]

GOOD_RELATIVE_ERROR = 1e-7


@dataclass
class GradientCheck:
    sparse: SparseCheckReport
    relative_error: float         # ||a - n|| / (||a|| + ||n||) over the weights differenced
    max_weight_error: float       # the largest per-weight relative error
    gradient_at_max: float        # |analytic gradient| of that weight
    differenced: int              # weights differenced: all of them, or a random subset
    weights: int
    samples: int

    @property
    def passed(self) -> bool:
        return self.sparse.passed and self.relative_error < GOOD_RELATIVE_ERROR

    def __str__(self) -> str:
        state = "good" if self.relative_error < GOOD_RELATIVE_ERROR else "FAILED"
        which = (f"whole gradient: {self.weights:,} weights" if self.differenced == self.weights
                 else f"{self.differenced:,} random weights of {self.weights:,}")
        return (f"{self.sparse}\n"
                f"  {which}, {2 * self.differenced:,} loss evaluations on {self.samples} samples\n"
                f"    relative error ||a - n|| / (||a|| + ||n||) = {self.relative_error:.2e}: "
                f"{state} (float64, threshold {GOOD_RELATIVE_ERROR:g})\n"
                f"    largest per-weight relative error {self.max_weight_error:.2e}, at a weight "
                f"whose gradient is {self.gradient_at_max:.2g}")


def check_gradient(W0, X, y, loss: str, samples: int, num_checks: int = 10, seed: int = 0,
                   max_weights: int = 5000) -> GradientCheck:
    """Check d loss / d W at ``W0`` on the first ``samples`` rows of (X, y), in float64."""
    X64 = Tensor(np.asarray(X[:samples], dtype=np.float64))
    y = np.asarray(y[:samples])
    classifier = LinearClassifier(np.asarray(W0, dtype=np.float64), loss)
    classifier.loss(X64, y).backward()
    analytic = classifier.W.grad.data
    loss_fn = LOSSES[loss]

    def loss_at(W):
        return loss_fn(X64 @ (W if isinstance(W, Tensor) else Tensor(W)), y)

    def sparse_check(count, check_seed):
        return gradcheck_sparse(loss_at, classifier.W.data.copy(), analytic, num_checks=count,
                                seed=check_seed, threshold=GOOD_RELATIVE_ERROR)

    sparse = sparse_check(num_checks, seed)
    if analytic.size <= max_weights:
        a = analytic.ravel()
        n = numerical_grad(loss_at, classifier.W.data.copy(), eps=sparse.eps).ravel()
    else:
        subset = sparse_check(max_weights, seed + 1).rows
        a = np.array([row.analytic for row in subset])
        n = np.array([row.numerical for row in subset])
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    # CS231n's per-weight relative error (gradcheck.relative_error keeps only its maximum)
    per_weight = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), np.finfo(np.float64).tiny)
    worst = int(np.argmax(per_weight))
    return GradientCheck(sparse=sparse,
                         relative_error=float(np.linalg.norm(a - n) / scale) if scale > 0 else 0.0,
                         max_weight_error=float(per_weight[worst]),
                         gradient_at_max=float(abs(a[worst])), differenced=a.size,
                         weights=analytic.size, samples=len(y))
