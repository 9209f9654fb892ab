"""minigrad: a small, exact, fast reverse-mode automatic differentiation engine on numpy.

>>> import minigrad as mg
>>> x = mg.tensor(3.0, requires_grad=True)
>>> y = x * x + x
>>> y.backward()
>>> x.grad.item()
7.0
"""
__version__ = "0.1.0"

import numpy as np

from .tensor import Tensor, tensor, set_default_dtype, get_default_dtype  # noqa: I001
from .autograd import (Function, UfuncFunction, backward, detect_anomaly, enable_grad, grad,
                       is_anomaly_enabled, is_grad_enabled, no_grad, set_grad_enabled)
from .creation import (arange, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand,
                       randn, zeros, zeros_like)
from .errors import AnomalyError, GradientShapeError, ShapeError
from .ops import (abs, clip, concatenate, exp, log, matmul, maximum, minimum, relu, sigmoid,
                  sqrt, stack, tanh, where)
from .random import manual_seed
from .trace import trace_backward

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_
cat = concatenate


def softmax(x, axis=None, *, dim=None):
    return x.softmax(axis, dim=dim)


def log_softmax(x, axis=None, *, dim=None):
    return x.log_softmax(axis, dim=dim)


__all__ = [
    "Tensor", "tensor", "set_default_dtype", "get_default_dtype",
    "Function", "UfuncFunction", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled", "trace_backward",
    "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "randn", "rand", "arange",
    "eye", "linspace", "manual_seed",
    "abs", "clip", "concatenate", "cat", "stack", "exp", "log", "matmul", "maximum", "minimum",
    "relu", "sigmoid", "sqrt", "tanh", "where", "softmax", "log_softmax",
    "AnomalyError", "GradientShapeError", "ShapeError",
    "float16", "float32", "float64", "int32", "int64", "bool_",
    "save", "load",
]

_SUBMODULES = {"nn", "optim", "data", "viz", "gradcheck", "serialization", "journey"}


def __getattr__(name):
    # Submodules load on first use (``mg.optim.SGD``), so ``import minigrad`` stays light.
    import importlib
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module(f"{__name__}.serialization"), name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
