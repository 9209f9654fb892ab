"""Classification losses as single fused ops (one graph node each).

Each takes scores of shape (N, C) and integer classes ``target`` of shape (N,) (validated by
``nn.functional``), and does O(N*C) work with few temporaries, so a training step costs little
more than the matrix product that made the scores. ``backward`` returns the closed-form
gradient; under ``create_graph=True`` it records that gradient as a differentiable graph.
"""
import numpy as np

from ..autograd import Function
from ..ops._util import raw
from ..tensor import Tensor

__all__ = ["CrossEntropy", "MulticlassHinge"]


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    """Per-sample losses (N,) -> their mean, sum, or themselves ('none')."""
    # np.add.reduce: the ufunc itself, without ndarray.sum/mean's Python-level wrappers
    if reduction == "mean":
        return np.asarray(np.add.reduce(losses) / losses.shape[0])
    if reduction == "sum":
        return np.asarray(np.add.reduce(losses))
    return losses


def _sample_weights(g, reduction: str, n: int):
    """dL/dL_i for each sample, shaped to broadcast over (N, C): the upstream gradient, divided
    by N for 'mean'; a 0-d value for 'mean'/'sum', a column (N, 1) for 'none'."""
    if reduction == "none":
        return g.reshape(-1, 1)
    return g / n if reduction == "mean" else g


class CrossEntropy(Function):
    """Softmax cross-entropy with integer classes, stable and fused.

    For a sample with scores s (C values) and class y, with p = softmax(s):
        L = -log p_y = logsumexp(s) - s_y,   computed as m + log(sum_j e^(s_j - m)) - s_y,
        m = max_j s_j (so no exp overflows);
        dL/ds_j = p_j - [j == y].
    forward(scores (N, C), target (N,), reduction); the 'mean' gradient is divided by N.
    """

    @staticmethod
    def forward(ctx, scores, target, reduction):
        rows = np.arange(scores.shape[0])
        shifted = scores - scores.max(axis=1, keepdims=True)
        picked = shifted[rows, target]              # s_y - m (a copy, taken before exp)
        probs = np.exp(shifted, out=shifted)
        totals = probs.sum(axis=1)
        probs /= totals[:, None]
        losses = np.log(totals)
        losses -= picked
        ctx.save_for_backward(probs)
        ctx.target = target.copy()  # the caller may refill its array before backward
        ctx.reduction = reduction
        return _reduce(losses, reduction)

    @staticmethod
    def backward(ctx, g):
        target, reduction = ctx.target, ctx.reduction
        weights = _sample_weights(g, reduction, len(target))
        if isinstance(g, Tensor):  # create_graph: the softmax must itself be recorded
            scores = ctx.inputs[0]
            onehot = np.zeros(scores.shape, dtype=scores.dtype)
            onehot[np.arange(len(target)), target] = 1
            return (scores.softmax(axis=1) - onehot) * weights, None, None
        (probs,) = ctx.saved_tensors
        grad = probs * weights
        grad[np.arange(len(target)), target] -= weights.reshape(-1)
        return grad, None, None


class MulticlassHinge(Function):
    """The multiclass SVM loss of CS231n (Weston-Watkins form).

    For a sample with scores s and class y:
        L = sum_{j != y} max(0, s_j - s_y + margin)
        dL/ds_j = [s_j - s_y + margin > 0]                 for j != y
        dL/ds_y = -#{j != y : s_j - s_y + margin > 0}
    (the kink at exactly 0 gets gradient 0). forward(scores, target, margin, reduction).
    """

    @staticmethod
    def forward(ctx, scores, target, margin, reduction):
        rows = np.arange(scores.shape[0])
        margins = scores - scores[rows, target][:, None]
        margins += margin
        margins[rows, target] = 0
        np.maximum(margins, 0, out=margins)
        ctx.save_for_backward(margins)
        ctx.target = target.copy()  # the caller may refill its array before backward
        ctx.reduction = reduction
        return _reduce(margins.sum(axis=1), reduction)

    @staticmethod
    def backward(ctx, g):
        (margins,) = ctx.saved_tensors
        target, reduction = ctx.target, ctx.reduction
        active = raw(margins) > 0
        coef = active.astype(raw(g).dtype)
        coef[np.arange(len(target)), target] = -active.sum(axis=1)
        weights = _sample_weights(g, reduction, len(target))
        if isinstance(g, Tensor):  # piecewise linear: the gradient is coef times g, recorded
            return coef * weights, None, None, None
        coef *= weights
        return coef, None, None, None
