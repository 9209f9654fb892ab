"""``Parameter``: a Tensor that a ``Module`` registers as one of its learnable weights."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, get_default_dtype

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that a Module picks up automatically.

    Assigning a Parameter to an attribute of a ``Module`` registers it under that name, so it
    appears in ``parameters()``, ``named_parameters()`` and ``state_dict()``. It shares memory
    with the ndarray (or Tensor) it is made from, like ``mg.Tensor``. Results of ops on a
    Parameter are ordinary Tensors.

    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> w = nn.Parameter(mg.zeros(2, 3))
    >>> w.requires_grad, w.shape
    (True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True, name: str | None = None):
        if data is None:
            data = np.empty((0,), dtype=get_default_dtype())
        if isinstance(data, Tensor) and data.grad_fn is not None:
            raise ValueError(
                "Parameter: the data is the result of a recorded op (it has a grad_fn); "
                "pass t.detach() to make a parameter from its value")
        if isinstance(data, Tensor):
            name = name if name is not None else data.name
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
