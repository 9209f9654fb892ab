"""Every built-in op: one small ``Function`` subclass each, grouped by family.

The functional forms here (``exp(x)``, ``maximum(x, y)``, ``where(c, x, y)``, ...) accept
Tensors, arrays and numbers, and are what ``mg.<name>`` exports.
"""
import numpy as np

from ..tensor import Tensor
from ..tensor import _compare as compare
from .elementwise import (Abs, Add, Cast, Clip, Clone, Div, Exp, Log, Maximum, Minimum, Mul, Neg,
                          Pow, Relu, Sigmoid, Sqrt, Sub, Tanh, Where)
from .matmul import MatMul
from .movement import BroadcastTo, Concatenate, GetItem, Reshape, ScatterAdd, Stack, Transpose
from .reduce import Max, Mean, Min, Sum
from .softmax import LogSoftmax, Softmax


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x): return Exp.apply(_tensor(x))
def log(x): return Log.apply(_tensor(x))
def sqrt(x): return Sqrt.apply(_tensor(x))
def tanh(x): return Tanh.apply(_tensor(x))
def sigmoid(x): return Sigmoid.apply(_tensor(x))
def relu(x): return Relu.apply(_tensor(x))
def matmul(a, b): return MatMul.apply(a, b)


def abs(x):  # noqa: A001 - numpy's name
    return Abs.apply(_tensor(x))


def maximum(x, y):
    """Elementwise max(x, y); on ties each side gets half the gradient."""
    return Maximum.apply(x, y)


def minimum(x, y):
    """Elementwise min(x, y); on ties each side gets half the gradient."""
    return Minimum.apply(x, y)


def where(condition, x, y):
    """x where ``condition`` else y (numpy broadcasting); the condition gets no gradient."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    return Where.apply(cond, x, y)


def clip(x, min=None, max=None):  # noqa: A002 - numpy's names
    return _tensor(x).clip(min, max)


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (``torch.cat``)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    return Concatenate.apply(*tensors, axis=axis if dim is None else dim)


def stack(tensors, axis=0, *, dim=None):
    """Join tensors along a new axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    return Stack.apply(*tensors, axis=axis if dim is None else dim)


def _binary(op):
    return lambda a, b: op.apply(a, b)


def _compare(ufunc):
    return lambda a, b: compare(ufunc, a, b)


# numpy ufuncs that act on Tensors as recorded ops (``np.exp(t)``, ``ndarray * t``)
UFUNC_OPS = {
    np.add: _binary(Add), np.subtract: _binary(Sub), np.multiply: _binary(Mul),
    np.true_divide: _binary(Div), np.power: _binary(Pow), np.matmul: _binary(MatMul),
    np.maximum: _binary(Maximum), np.minimum: _binary(Minimum),
    np.negative: lambda x: Neg.apply(x), np.positive: lambda x: x,
    np.exp: lambda x: Exp.apply(x), np.log: lambda x: Log.apply(x),
    np.sqrt: lambda x: Sqrt.apply(x), np.tanh: lambda x: Tanh.apply(x),
    np.absolute: lambda x: Abs.apply(x),
    np.less: _compare(np.less), np.less_equal: _compare(np.less_equal),
    np.greater: _compare(np.greater), np.greater_equal: _compare(np.greater_equal),
    np.equal: _compare(np.equal), np.not_equal: _compare(np.not_equal),
    np.sign: lambda x: Tensor._make(np.sign(x.data), None),
}

__all__ = [
    "Abs", "Add", "BroadcastTo", "Cast", "Clip", "Clone", "Concatenate", "Div", "Exp", "GetItem", "Log",
    "LogSoftmax", "MatMul", "Max", "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "Pow",
    "Relu", "Reshape", "ScatterAdd", "Sigmoid", "Softmax", "Sqrt", "Stack", "Sub", "Sum", "Tanh",
    "Transpose", "Where", "UFUNC_OPS",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "maximum", "minimum", "where",
    "clip", "concatenate", "stack", "matmul",
]
