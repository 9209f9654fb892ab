"""``Linear``: the affine layer y = x W^T + b."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import get_default_dtype
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Linear"]


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Linear: {name} must be a positive int, got {value!r}")
    return int(value)


class Linear(Module):
    """y = x @ weight.T + bias, for x of shape (..., in_features).

    weight has shape (out_features, in_features) and, like the bias, starts as
    U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's default), drawn from ``generator``
    or the package generator seeded by ``mg.manual_seed``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype=None, generator=None):
        super().__init__()
        self.in_features = _positive_int("in_features", in_features)
        self.out_features = _positive_int("out_features", out_features)
        dtype = np.dtype(dtype if dtype is not None else get_default_dtype())
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be floating point, got {dtype}")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Draw fresh weights (and bias) from U(-1/sqrt(in_features), 1/sqrt(in_features))."""
        bound = 1.0 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound, generator)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
