"""Softmax and log-softmax: fused ops with a stable forward and a closed-form backward."""
import numpy as np

from ..autograd import Function


class Softmax(Function):
    """s = exp(x - max x) / sum exp(x - max x) along ``axis``;  ds/dx: dL/dx = s * (g - sum(g s)).

    Fused (not built from exp/sum/div) and shifted by the max, so logits of 1000 do not overflow.
    """

    @staticmethod
    def forward(ctx, x, axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``axis``;  dL/dx = g - softmax(x) * sum(g).

    Fused and stable (logsumexp is shifted by the max).
    """

    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - np.exp(y) * g.sum(axis=ctx.axis, keepdims=True), None
