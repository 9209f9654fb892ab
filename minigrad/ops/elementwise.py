"""Elementwise ops. Each docstring gives f and its partial derivatives.

Binary ops broadcast like numpy; their backward returns gradients of the broadcast shape and the
engine sums them back to each input's shape (``autograd.sum_to_shape``), the one place that does.
"""
import numpy as np

from ..autograd import Function, UfuncFunction
from ._util import raw


class Add(UfuncFunction):
    """f(x, y) = x + y;  df/dx = 1, df/dy = 1."""

    ufunc, saves = np.add, ""

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(UfuncFunction):
    """f(x, y) = x - y;  df/dx = 1, df/dy = -1."""

    ufunc, saves = np.subtract, ""

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(UfuncFunction):
    """f(x, y) = x * y;  df/dx = y, df/dy = x."""

    ufunc, saves = np.multiply, "inputs"

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        return (g * y if nx else None), (g * x if ny else None)


class Div(UfuncFunction):
    """f(x, y) = x / y;  df/dx = 1/y, df/dy = -x/y^2."""

    ufunc, saves = np.true_divide, "inputs"

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        return (g / y if nx else None), (-g * x / (y * y) if ny else None)


class Pow(Function):
    """f(x, p) = x^p;  df/dx = p x^(p-1) (0 where p = 0, even at x = 0), df/dp = x^p ln x
    (taken as 0 where x <= 0)."""

    @staticmethod
    def forward(ctx, x, p):
        out = x ** p
        ctx.save_for_backward(x, p, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, p, out = ctx.saved_tensors
        nx, np_ = ctx.needs_input_grad
        gx = None
        if nx:
            pr = raw(p)
            if np.ndim(pr) == 0 and pr != 0:  # the common case, x ** 2: no mask
                gx = g * p * x ** (p - 1)
            else:  # where p = 0 and x = 0, x^(p-1) is 1/0 (0 * inf = nan): use x^0 there
                gx = g * p * x ** (p - ((pr != 0) | (raw(x) != 0)))
        gp = None
        if np_:
            positive = raw(x) > 0
            safe_x = x * positive + (1 - positive)  # x where x > 0, else 1 (so ln is 0 there)
            gp = g * out * np.log(safe_x)
        return gx, gp


class Clone(UfuncFunction):
    """f(x) = x, in a new array (``np.positive`` copies);  f'(x) = 1."""

    ufunc, saves = np.positive, ""

    @staticmethod
    def backward(ctx, g):
        return g


class Neg(UfuncFunction):
    """f(x) = -x;  f'(x) = -1."""

    ufunc, saves = np.negative, ""

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(UfuncFunction):
    """f(x) = e^x;  f'(x) = e^x (the saved output)."""

    ufunc, saves = np.exp, "output"

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(UfuncFunction):
    """f(x) = ln x;  f'(x) = 1/x."""

    ufunc, saves = np.log, "inputs"

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(UfuncFunction):
    """f(x) = sqrt(x);  f'(x) = 1 / (2 sqrt(x))."""

    ufunc, saves = np.sqrt, "output"

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out + out)


class Abs(UfuncFunction):
    """f(x) = |x|;  f'(x) = sign(x) (0 at the kink x = 0, like PyTorch)."""

    ufunc, saves = np.absolute, "inputs"

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.sign(raw(x))


class Tanh(UfuncFunction):
    """f(x) = tanh x;  f'(x) = 1 - tanh^2 x (from the saved output, y)."""

    ufunc, saves = np.tanh, "output"

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - g * out * out  # = g (1 - y^2), without a slow scalar-array op


class Sigmoid(Function):
    """f(x) = 1 / (1 + e^-x);  f'(x) = f(x) (1 - f(x)). Computed without overflow for any x."""

    @staticmethod
    def forward(ctx, x):
        # e^-|x| never overflows; pick the algebraically equal form for each sign
        z = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        gy = g * out
        return gy - gy * out  # = g y (1 - y)


class Relu(Function):
    """f(x) = max(x, 0);  f'(x) = 1 where x > 0, else 0 (0 at the kink)."""

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (raw(out) > 0)


class Clip(Function):
    """f(x, lo, hi) = min(max(x, lo), hi);  df/dx = 1 where lo <= x <= hi, df/dlo = 1 where
    x < lo <= hi, df/dhi = 1 where max(x, lo) > hi, else 0 (as torch.clamp; None: no bound)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        x = raw(x)
        _, nlo, nhi = ctx.needs_input_grad
        ge_lo = True if lo is None else x >= lo
        le_hi = True if hi is None else x <= hi
        inside = np.logical_and(ge_lo, le_hi)
        glo = ghi = None
        if nlo:  # lo is the result where x is below it, unless hi is below lo
            glo = g * (~ge_lo if hi is None else ~ge_lo & (lo <= hi))
        if nhi:  # hi is the result where it is below max(x, lo)
            ghi = g * ~le_hi if lo is None else g * (np.maximum(x, lo) > hi)
        return g * inside, glo, ghi


class _Extremum2(UfuncFunction):
    """Shared backward of maximum/minimum: the winner takes the gradient, ties split it 1/2-1/2."""

    pick = None  # np.greater for maximum, np.less for minimum: does x win?
    saves = "inputs"

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        x, y = raw(x), raw(y)
        wins = cls.pick(x, y)
        tie = np.equal(x, y)
        dtype = np.result_type(raw(g))
        wx = (wins + 0.5 * tie).astype(dtype)
        wy = ((~wins & ~tie) + 0.5 * tie).astype(dtype)
        nx, ny = ctx.needs_input_grad
        return (g * wx if nx else None), (g * wy if ny else None)


class Maximum(_Extremum2):
    """f(x, y) = max(x, y) elementwise;  df/dx = [x > y] (+1/2 on ties), df/dy likewise."""

    pick, ufunc = np.greater, np.maximum


class Minimum(_Extremum2):
    """f(x, y) = min(x, y) elementwise;  df/dx = [x < y] (+1/2 on ties), df/dy likewise."""

    pick, ufunc = np.less, np.minimum


class Where(Function):
    """f(c, x, y) = x where c else y;  df/dx = [c], df/dy = [not c]; c is a constant mask."""

    @staticmethod
    def forward(ctx, cond, x, y):
        cond = np.asarray(cond, dtype=bool)
        ctx.cond = cond
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.cond
        _, nx, ny = ctx.needs_input_grad
        return None, (g * cond if nx else None), (g * ~cond if ny else None)


class Cast(Function):
    """f(x) = x as another dtype;  f'(x) = 1 (the engine casts the gradient back)."""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g, None
