"""Matrix product with numpy's ``@`` rules: 1-d operands, and batch dims that broadcast."""
import numpy as np

from ..autograd import UfuncFunction


class MatMul(UfuncFunction):
    """f(A, B) = A @ B;  dL/dA = G @ B^T, dL/dB = A^T @ G.

    A 1-d A is a row (1, k) and a 1-d B a column (k, 1), removed again from the result, as in
    numpy. Only the gradients that are needed are computed: for X @ W with a constant X, no dX.
    """

    ufunc, saves = np.matmul, "inputs"  # a generalized ufunc: recorded like Mul

    @staticmethod
    def forward(ctx, a, b):  # what a re-run calls; its parameters name the inputs in traces
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshapes
            return (g @ b.T if na else None), (a.T @ g if nb else None)
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        out_shape = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + \
            (a2.shape[-2], b2.shape[-1])
        g2 = g.reshape(out_shape)
        ga = g2 @ b2.swapaxes(-1, -2) if na else None
        gb = a2.swapaxes(-1, -2) @ g2 if nb else None
        if na and a.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + (a.shape[0],))
        if nb and b.ndim == 1:
            gb = gb.reshape(gb.shape[:-2] + (b.shape[0],))
        return ga, gb
