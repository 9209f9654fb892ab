"""The journey's model: a linear classifier, scores = X @ W, with a softmax or SVM loss (CS231n).

After the bias trick (a last column of ones in X) the weights are one matrix W of shape
(D+1, C): row d holds feature d's weight for each of the C classes, the last row the biases.
For a batch X (N, D+1) with classes y (N,):

    softmax:  L = mean_i [logsumexp(s_i) - s_iy],  y = y_i
              dL/ds_ij = (p_ij - [j = y]) / N,  with p_i = softmax(s_i)
    svm:      L = mean_i sum_{j != y} max(0, m_ij),  with the margins m_ij = s_ij - s_iy + 1
              dL/ds_ij = [m_ij > 0] / N for j != y,  dL/ds_iy = -#{j != y : m_ij > 0} / N

with s = X @ W, and dL/dW = X^T dL/ds. At tiny weights every score is ~0, so the softmax loss
is ln(C) and the SVM loss C - 1 (each wrong class costs the margin 1): the sanity check of
CS231n. No regularisation term: the journey compares optimizers on the data loss alone.

The classifier also counts its own loss evaluations and the samples they read, independently of
the optimizers' counters, so the two can be checked against each other.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import no_grad
from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["LOSSES", "LinearClassifier", "initial_weights"]

#: loss name -> function of (scores (N, C), classes (N,)) returning the mean loss
LOSSES = {
    "softmax": F.cross_entropy,
    "svm": F.multiclass_hinge_loss,
}


def initial_weights(n_features: int, n_classes: int, seed: int, std: float = 1e-3,
                    dtype=np.float32) -> np.ndarray:
    """CS231n's start: W = 0.001 * N(0, 1), shape (n_features, n_classes) (bias row included)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_features, n_classes)) * std).astype(dtype)


class LinearClassifier:
    """scores = X @ W; ``loss(X, y)`` is the softmax (cross-entropy) or multiclass SVM loss.

    ``W0``: the initial weights (D+1, C), copied into ``self.W``, a leaf Tensor that requires
    grad. ``calls`` and ``samples`` count the loss evaluations and the rows they read.
    """

    def __init__(self, W0, loss: str = "softmax"):
        if loss not in LOSSES:
            raise ValueError(f"LinearClassifier: loss must be one of {', '.join(LOSSES)}, "
                             f"got {loss!r}")
        W0 = np.asarray(W0)
        if W0.ndim != 2 or W0.dtype.kind != "f":
            raise ValueError(f"LinearClassifier: W0 must be a 2-d float array (D+1, C), got "
                             f"shape {W0.shape} and dtype {W0.dtype}")
        self.loss_name = loss
        self.W = Tensor(W0.copy(), requires_grad=True, name="W")
        self.calls = 0
        self.samples = 0

    @property
    def n_classes(self) -> int:
        return self.W.shape[1]

    def expected_initial_loss(self) -> tuple[float, str]:
        """The loss at tiny weights and how it is derived: (ln C, "ln(C)") or (C - 1, "C - 1")."""
        c = self.n_classes
        if self.loss_name == "softmax":
            return math.log(c), f"ln({c})"
        return float(c - 1), f"{c} - 1"

    def scores(self, X) -> Tensor:
        """s = X @ W, shape (N, C)."""
        X = X if isinstance(X, Tensor) else Tensor(X)
        if X.ndim != 2 or X.shape[1] != self.W.shape[0]:
            raise ValueError(f"LinearClassifier: X must have shape (N, {self.W.shape[0]}) (the "
                             f"features plus the bias column), got {X.shape}")
        return X @ self.W

    def loss(self, X, y) -> Tensor:
        """The mean loss over the batch (X, y), as a graph back to ``W``; counted."""
        self.calls += 1
        self.samples += len(y)
        return LOSSES[self.loss_name](self.scores(X), y)

    def evaluate(self, X, y) -> tuple[float, float]:
        """(loss, accuracy) on (X, y) without recording a graph and without counting: a
        measurement, not part of any optimizer's budget."""
        with no_grad():
            scores = self.scores(X)
            loss = LOSSES[self.loss_name](scores, y)
        y = y.data if isinstance(y, Tensor) else np.asarray(y)
        return float(loss.item()), float(np.mean(scores.data.argmax(axis=1) == y))
