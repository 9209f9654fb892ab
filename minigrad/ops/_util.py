"""Small helpers shared by the backward rules (they accept ndarrays and Tensors alike)."""
import math

import numpy as np

from ..tensor import Tensor


def raw(a):
    """The ndarray behind a Tensor (other values as they are): for constant masks."""
    return a.data if isinstance(a, Tensor) else a


def broadcast_to(g, shape):
    """Broadcast a gradient to ``shape``: a recorded op for Tensors; for arrays a new filled
    array when it is small (``np.broadcast_to`` is Python code costing ~2 us, 6x more than
    filling a small array, and a leaf can then adopt the array without a copy), else a
    read-only view (no memory)."""
    if isinstance(g, Tensor):
        return g.broadcast_to(shape)
    if math.prod(shape) <= _SMALL:
        out = np.empty(shape, g.dtype)
        out[...] = g
        return out
    return np.broadcast_to(g, shape)


_SMALL = 1 << 14  # elements: 128 KiB of float64


def normalize_axis(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints (None means every axis)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        if not -ndim <= a < max(ndim, 1):
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def keepdims_shape(shape, axes):
    """The shape a reduction over ``axes`` has with keepdims=True."""
    kept = list(shape)
    for a in axes:
        kept[a] = 1
    return tuple(kept)
