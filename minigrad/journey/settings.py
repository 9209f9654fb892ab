"""How long each stage runs (``Budget``) and how big its steps are (``StepSizes``).

The step sizes are derived from the training data rather than hard-coded, so that one setting
works on the digits (65 features), the spiral (3) and CIFAR-10 (3073), whose scales differ by
orders of magnitude. Three sizes of the preprocessed data X (N, D+1) set them:

* the curvature lambda = the largest eigenvalue of X^T X / N. The softmax loss has Hessian
  <= (lambda / 2) I with respect to W (the softmax's own Hessian is at most 1/2), so gradient
  descent with lr = 1 / L = 2 / lambda cannot overshoot; the piecewise linear SVM loss gets
  1 / lambda. SGD uses the same rate as gradient descent (only the batches differ), momentum
  lr / (1 - mu) = the same effective step;
* the mean L1 norm of a row: Adagrad, RMSprop and Adam move every weight by about lr per step
  whatever the gradient's size, which changes a score by about lr * |x|_1;
* the mean L2 norm of a row: a random step N(0, std^2) on W changes a score by about
  std * |x|_2 (random search).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Budget", "DEFAULT_BUDGET", "QUICK_BUDGET", "StepSizes", "largest_eigenvalue"]


@dataclass(frozen=True)
class Budget:
    """The work each stage may do."""

    train_limit: int        # at most this many training samples (a seeded random subset)
    test_limit: int         # at most this many test samples
    random_steps: int       # random search: steps of the global, then of the local search
    numeric_steps: int      # steps with the numeric gradient (and the same with the analytic one)
    numeric_rows: int       # at most this many rows read by all its loss evaluations together:
                            # the numeric stage uses the whole training set if that fits, else a
                            # fixed batch of its first rows
    gd_steps: int           # full-batch gradient descent steps
    sgd_epochs: int         # epochs of mini-batch SGD, and of every optimizer of stage 6
    batch_size: int
    check_samples: int      # training samples the gradient check differentiates over
    check_weights: int      # weights it differences (all of W when it has no more than this)
    path_steps: int | None  # steps on each optimizer-path surface (None: the surface's own)


DEFAULT_BUDGET = Budget(train_limit=10_000, test_limit=2_000, random_steps=1000,
                        numeric_steps=5, numeric_rows=10_000_000, gd_steps=200, sgd_epochs=30,
                        batch_size=64, check_samples=64, check_weights=5000, path_steps=None)
QUICK_BUDGET = Budget(train_limit=500, test_limit=300, random_steps=150, numeric_steps=1,
                      numeric_rows=1_000_000, gd_steps=50, sgd_epochs=8, batch_size=64,
                      check_samples=16, check_weights=1000, path_steps=40)


def largest_eigenvalue(X, iterations: int = 200, rtol: float = 1e-6) -> float:
    """lambda_max(X^T X / N) by power iteration (never forms the D x D matrix)."""
    X = np.asarray(X, dtype=np.float64)
    v = np.random.default_rng(0).standard_normal(X.shape[1])
    v /= np.linalg.norm(v)
    value = 0.0
    for _ in range(iterations):
        w = X.T @ (X @ v) / len(X)
        new = float(np.linalg.norm(w))
        if new == 0.0:
            return 0.0
        v = w / new
        if abs(new - value) <= rtol * new:
            return new
        value = new
    return value


@dataclass(frozen=True)
class StepSizes:
    """Learning rates (and random-search step sizes) for one data set and loss."""

    curvature: float     # lambda_max(X^T X / N)
    l1: float            # mean |x|_1 of a row
    l2: float            # mean |x|_2 of a row
    loss: str

    @classmethod
    def from_data(cls, X, loss: str) -> "StepSizes":
        X = np.asarray(X, dtype=np.float64)
        return cls(curvature=largest_eigenvalue(X), l1=float(np.abs(X).sum(axis=1).mean()),
                   l2=float(np.linalg.norm(X, axis=1).mean()), loss=loss)

    @property
    def gradient_descent(self) -> float:
        """2 / lambda for the softmax (1 / L), 1 / lambda for the SVM."""
        return (2.0 if self.loss == "softmax" else 1.0) / self.curvature

    @property
    def momentum(self) -> float:
        """The gradient-descent rate times (1 - 0.9): the same effective step with mu = 0.9."""
        return self.gradient_descent * (1 - 0.9)

    @property
    def adam(self) -> float:
        """Adam and RMSprop: about a 0.5 change of a score per step at first."""
        return 0.5 / self.l1

    @property
    def adagrad(self) -> float:
        """Adagrad's steps shrink as its sum of squared gradients grows: start 4x bigger."""
        return 2.0 / self.l1

    @property
    def global_std(self) -> float:
        """CS231n's candidates W = 0.001 * N(0, 1) (the predictions do not depend on the scale)."""
        return 1e-3

    @property
    def local_std(self) -> float:
        """A local random step that moves a score by about 0.1."""
        return 0.1 / self.l2

    def describe(self) -> str:
        return (f"step sizes from the data: lambda_max(X^T X / N) = {self.curvature:.4g}, "
                f"mean |x|_1 = {self.l1:.4g}, mean |x|_2 = {self.l2:.4g}")
