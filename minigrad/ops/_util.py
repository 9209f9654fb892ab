"""Small helpers shared by the backward rules (they accept ndarrays and Tensors alike)."""
import numpy as np

from ..tensor import Tensor


def raw(a):
    """The ndarray behind a Tensor (other values as they are): for constant masks."""
    return a.data if isinstance(a, Tensor) else a


def broadcast_to(g, shape):
    """Broadcast a gradient to ``shape``: a read-only view for arrays, a recorded op for Tensors."""
    if isinstance(g, Tensor):
        return g.broadcast_to(shape)
    return np.broadcast_to(g, shape)


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
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
