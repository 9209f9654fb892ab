"""Ops that move or select elements without arithmetic: their backward routes gradients back."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class Reshape(Function):
    """f(x) = x viewed with a new shape;  backward reshapes the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Transpose(Function):
    """f(x) = x with its axes permuted;  backward applies the inverse permutation."""

    @staticmethod
    def forward(ctx, x, axes):
        out = x.transpose(axes)  # numpy checks the axes
        # the inverse permutation, of the axes made non-negative (argsort of (-1, 0) is wrong)
        perm = range(x.ndim - 1, -1, -1) if axes is None else [a % x.ndim for a in axes]
        ctx.inverse = tuple(sorted(range(x.ndim), key=perm.__getitem__))  # argsort
        return out

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse), None


class BroadcastTo(Function):
    """f(x) = x repeated to ``shape``;  backward sums the copies (done by the engine)."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _has_integer_array(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in items)


class GetItem(Function):
    """f(x) = x[index] (numpy basic and advanced indexing);  backward scatters the gradient into
    zeros of x's shape, adding where an integer array repeats an index."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape = x.shape
        ctx.index = index
        return np.asarray(x[index])

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):  # building a graph of the gradient: record the scatter
            return ScatterAdd.apply(g, ctx.index, ctx.in_shape), None
        return _scatter_add(g, ctx.index, ctx.in_shape), None


def _scatter_add(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    if _has_integer_array(index):
        np.add.at(out, index, g)
    else:
        out[index] = g  # basic indexing and boolean masks never repeat an element
    return out


class ScatterAdd(Function):
    """f(g) = zeros(shape) with g added at ``index``;  its backward is g'[index] (the gradient
    of indexing, recorded so that indexing has a second derivative)."""

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index = index
        return _scatter_add(g, index, shape)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index], None, None


class Concatenate(Function):
    """f(x1, ..., xn) = the xi joined along ``axis``;  backward slices the gradient apart."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        out = np.concatenate(xs, axis=axis)
        axis = axis % out.ndim
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [x.shape[axis] for x in xs])
        return out

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        b = ctx.bounds
        return tuple(g[lead + (slice(int(b[i]), int(b[i + 1])),)] for i in range(len(b) - 1))


class Stack(Function):
    """f(x1, ..., xn) = the xi stacked along a new ``axis``;  backward selects each slice."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        out = np.stack(xs, axis=axis)
        ctx.axis = axis % out.ndim
        return out

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        n = g.shape[ctx.axis]
        return tuple(g[lead + (i,)] for i in range(n))


__all__ = ["Reshape", "Transpose", "BroadcastTo", "GetItem", "ScatterAdd", "Concatenate",
           "Stack"]
