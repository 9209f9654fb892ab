"""Stateless functions behind the layers and losses: ``import minigrad.nn.functional as F``.

Each checks its inputs and says which argument is wrong (shape, dtype, value) before any work.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from .fused_losses import CrossEntropy, MulticlassHinge

__all__ = ["relu", "softmax", "log_softmax", "linear", "mse_loss", "cross_entropy",
           "multiclass_hinge_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_reduction(fn: str, reduction) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


# --------------------------------------------------------------------------- activations


def relu(x) -> Tensor:
    """max(x, 0) elementwise; gradient 1 where x > 0, else 0."""
    return _as_tensor(x).relu()


def softmax(x, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (or ``dim``; default -1), stable."""
    return _as_tensor(x).softmax(axis, dim=dim)


def log_softmax(x, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis`` (or ``dim``; default -1), stable."""
    return _as_tensor(x).log_softmax(axis, dim=dim)


# --------------------------------------------------------------------------- layers


def linear(x, weight, bias=None) -> Tensor:
    """y = x @ weight.T + bias, with weight (out_features, in_features) as in PyTorch.

    ``x`` has shape (..., in_features); y has shape (..., out_features).
    dL/dx = G @ weight, dL/dweight = G^T x (summed over leading dims), dL/dbias = sum of G.
    """
    x, weight = _as_tensor(x), _as_tensor(weight)
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-d (out_features, in_features), got shape "
                         f"{weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape}: "
            f"the input's last dimension must be in_features={weight.shape[1]}")
    out = x @ weight.T
    if bias is None:
        return out
    bias = _as_tensor(bias)
    if bias.shape != (weight.shape[0],):
        raise ShapeError(f"linear: bias must have shape (out_features,) = ({weight.shape[0]},),"
                         f" got {bias.shape}")
    return out + bias


# --------------------------------------------------------------------------- losses


def mse_loss(input, target, reduction: str = "mean") -> Tensor:  # noqa: A002 - PyTorch's name
    """Mean squared error: mean of (input - target)^2; d/dinput = 2 (input - target) / n.

    ``input`` and ``target`` must have the same shape (no silent broadcasting); a target that
    requires grad gets the opposite gradient.
    """
    _check_reduction("mse_loss", reduction)
    input, target = _as_tensor(input), _as_tensor(target)
    if input.shape != target.shape:
        raise ShapeError(f"mse_loss: input has shape {input.shape} but target has shape "
                         f"{target.shape}; they must be equal")
    diff = input - target
    squares = diff * diff
    if reduction == "mean":
        return squares.mean()
    return squares.sum() if reduction == "sum" else squares


def _scores_and_classes(fn: str, scores, target) -> tuple[Tensor, np.ndarray]:
    """Check (N, C) floating scores against (N,) integer classes in [0, C)."""
    scores = _as_tensor(scores)
    if scores.dtype.kind != "f":
        raise TypeError(f"{fn}: scores must be floating point, got dtype {scores.dtype}")
    if scores.ndim != 2:
        raise ShapeError(f"{fn}: scores must be 2-d (N samples, C classes), got shape "
                         f"{scores.shape}")
    n, c = scores.shape
    classes = target.data if isinstance(target, Tensor) else np.asarray(target)
    if classes.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class indices, got dtype "
                        f"{classes.dtype} (convert with .astype(np.int64))")
    if classes.shape != (n,):
        raise ShapeError(f"{fn}: target must have shape (N,) = ({n},) to match scores of shape "
                         f"{scores.shape}, got {classes.shape}")
    if n == 0:
        raise ValueError(f"{fn}: empty batch (scores of shape {scores.shape})")
    low, high = classes.min(), classes.max()
    if low < 0 or high >= c:
        raise ValueError(f"{fn}: target class indices must lie in [0, {c}) for scores of shape "
                         f"{scores.shape}, got values from {low} to {high}")
    return scores, classes


def cross_entropy(logits, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (N, C) against integer classes (N,).

    L_i = -log softmax(logits_i)[target_i], averaged (``'mean'``), summed (``'sum'``) or kept
    per sample (``'none'``). One fused, stable op; dL_i/dlogits_i = softmax(logits_i) - onehot.
    At tiny logits every class has probability 1/C, so the loss is ln(C).
    """
    _check_reduction("cross_entropy", reduction)
    logits, classes = _scores_and_classes("cross_entropy", logits, target)
    return CrossEntropy.apply(logits, classes, reduction)


def multiclass_hinge_loss(scores, target, margin: float = 1.0,
                          reduction: str = "mean") -> Tensor:
    """The multiclass SVM loss of CS231n: L_i = sum_{j != y_i} max(0, s_ij - s_iy_i + margin).

    Averaged over samples by default. Unlike PyTorch's ``MultiMarginLoss`` it does not divide by
    the number of classes. At tiny scores every wrong class costs ``margin``: the loss is about
    (C - 1) * margin.
    """
    _check_reduction("multiclass_hinge_loss", reduction)
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) \
            or not np.isfinite(margin):
        raise ValueError(f"multiclass_hinge_loss: margin must be a finite real number, got "
                         f"{margin!r}")
    scores, classes = _scores_and_classes("multiclass_hinge_loss", scores, target)
    return MulticlassHinge.apply(scores, classes, float(margin), reduction)
