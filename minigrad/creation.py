"""Factories: new leaf tensors filled with constants, ranges or random numbers."""
import numpy as np

from .random import default_generator
from .tensor import Tensor, get_default_dtype

__all__ = ["from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "randn", "rand",
           "arange", "eye", "linspace"]


def _shape(shape, factory):
    """``f(2, 3)`` and ``f((2, 3))`` alike, checked: non-negative whole numbers."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"{factory}: a shape holds whole numbers, got {shape!r}")
    if any(n < 0 for n in shape):
        raise ValueError(f"{factory}: negative dimension in shape {tuple(shape)}")
    return tuple(int(n) for n in shape)


def _leaf(arr, requires_grad, name=None):
    return Tensor(arr, requires_grad=requires_grad, name=name)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (no copy; its dtype kept), like
    ``torch.from_numpy``: writing into one changes the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def zeros(*shape, dtype=None, requires_grad=False):
    arr = np.zeros(_shape(shape, "zeros"), dtype=dtype or get_default_dtype())
    return _leaf(arr, requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    arr = np.ones(_shape(shape, "ones"), dtype=dtype or get_default_dtype())
    return _leaf(arr, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    shape = _shape((shape,) if isinstance(shape, (int, np.integer)) else tuple(shape), "full")
    return _leaf(np.full(shape, fill_value, dtype=dtype or get_default_dtype()), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _leaf(np.zeros_like(np.asarray(t), dtype=dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _leaf(np.ones_like(np.asarray(t), dtype=dtype), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _leaf(np.full_like(np.asarray(t), fill_value, dtype=dtype), requires_grad)


def randn(*shape, dtype=None, requires_grad=False, generator=None):
    """Standard normal samples, from ``generator`` or the package's seeded generator."""
    rng = generator or default_generator()
    arr = rng.standard_normal(_shape(shape, "randn"))
    arr = arr.astype(dtype or get_default_dtype(), copy=False)
    return _leaf(arr, requires_grad)


def rand(*shape, dtype=None, requires_grad=False, generator=None):
    """Uniform samples in [0, 1)."""
    rng = generator or default_generator()
    arr = rng.random(_shape(shape, "rand")).astype(dtype or get_default_dtype(), copy=False)
    return _leaf(arr, requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """Like ``np.arange``: integers stay int64, a float argument gives the default dtype."""
    arr = np.arange(start, stop, step) if stop is not None else np.arange(0, start, step)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype.kind == "f":
        arr = arr.astype(get_default_dtype())
    return _leaf(arr, requires_grad)


def linspace(start, stop, num=50, dtype=None, requires_grad=False):
    return _leaf(np.linspace(start, stop, num, dtype=dtype or get_default_dtype()), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _leaf(np.eye(n, m, dtype=dtype or get_default_dtype()), requires_grad)
