"""Reductions over ``axis`` (None = all, an int, or a tuple), with numpy's ``keepdims``."""
import numpy as np

from ..autograd import Function
from ._util import broadcast_to, keepdims_shape, normalize_axis, raw


def _unreduced(ctx, g):
    """The upstream gradient with the summed axes put back as size 1, so that it broadcasts
    over the input (a 0-d gradient of a full reduction already does)."""
    if ctx.axis is None or ctx.keepdims or not ctx.in_shape:
        return g
    return g.reshape(keepdims_shape(ctx.in_shape, normalize_axis(ctx.axis, len(ctx.in_shape))))


class Sum(Function):
    """f(x) = sum of x over ``axis``;  df/dx_i = 1: the upstream gradient is broadcast back."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.add.reduce(x, axis, None, None, keepdims)  # apply wraps a 0-d result

    @staticmethod
    def backward(ctx, g):
        return broadcast_to(_unreduced(ctx, g), ctx.in_shape), None, None


class Mean(Function):
    """f(x) = sum(x) / n over ``axis``;  df/dx_i = 1/n."""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        if x.ndim == 0 and axis not in (None, ()):  # as np.mean (np.sum lets it pass)
            raise np.exceptions.AxisError(axis, 0)
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        total = np.add.reduce(x, axis, None, None, keepdims)
        ctx.count = x.size // total.size if total.size else 1  # elements in each sum
        return total / ctx.count  # ints divide into float64, like np.mean

    @staticmethod
    def backward(ctx, g):
        return broadcast_to(_unreduced(ctx, g) / ctx.count, ctx.in_shape), None, None


class _Extremum(Function):
    """max/min over ``axis``. The gradient goes to the extreme element; when several elements
    tie for it, they share the gradient equally (each gets 1/k), so the sum stays exact."""

    reduce = None  # np.max or np.min

    @classmethod
    def forward(cls, ctx, x, axis, keepdims):
        if x.size == 0 and 0 in [x.shape[a] for a in normalize_axis(axis, x.ndim)]:
            raise ValueError(f"{cls.name().lower()} of an empty tensor of shape {x.shape} "
                             f"over axis {axis}")  # over other axes: an empty result, as numpy
        out = cls.reduce(x, axis=axis, keepdims=True)
        ctx.save_for_backward(x)
        ctx.out_k = out
        ctx.axis = axis
        return out if keepdims else np.squeeze(out, axis=normalize_axis(axis, x.ndim))

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        mask = raw(x) == ctx.out_k
        weights = mask / mask.sum(axis=ctx.axis, keepdims=True)
        weights = weights.astype(np.result_type(raw(g)), copy=False)
        return g.reshape(ctx.out_k.shape) * weights, None, None


class Max(_Extremum):
    """f(x) = max of x over ``axis``;  df/dx_i = 1/k for the k elements equal to the max, else 0."""

    reduce = staticmethod(np.max)


class Min(_Extremum):
    """f(x) = min of x over ``axis``;  df/dx_i = 1/k for the k elements equal to the min, else 0."""

    reduce = staticmethod(np.min)
