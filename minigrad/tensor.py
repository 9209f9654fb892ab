"""Tensor: an ndarray that remembers how it was computed.

``data`` is a plain ``np.ndarray``; ``grad_fn`` is the graph node (a ``Function``) that made the
tensor, or None for a leaf. Every op method is a thin call into one ``Function`` in ``ops/``.
Naming follows PyTorch (``backward``, ``grad``, ``detach``, ``requires_grad_``); shapes,
broadcasting, ``axis``/``keepdims`` and dtype promotion follow numpy (``dim``/``keepdim`` are
accepted as aliases).
"""
from __future__ import annotations

import weakref

import numpy as np

from .errors import ShapeError

__all__ = ["Tensor", "tensor", "set_default_dtype", "get_default_dtype"]

_FLOAT_DTYPES = (np.float16, np.float32, np.float64)
_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python floats (and float lists) become: float32 unless changed."""
    global _default_dtype
    dt = np.dtype(dtype)
    if dt.type not in _FLOAT_DTYPES:
        raise TypeError(f"the default dtype must be a floating dtype (float16/32/64), got {dt}")
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats become (float32 by default, like PyTorch)."""
    return _default_dtype


def _as_array(data, dtype=None) -> np.ndarray:
    """Turn user data into an ndarray following PyTorch's dtype rules, or raise TypeError."""
    if isinstance(data, Tensor):
        arr = data.data
        from_python = False
    elif isinstance(data, np.ndarray):
        arr = data
        from_python = False
    else:
        from_python = not isinstance(data, np.generic)
        try:
            arr = np.array(data)
        except ValueError as exc:  # ragged nested lists
            raise TypeError(f"cannot make a tensor from ragged or mixed data: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"cannot make a tensor from data of dtype {arr.dtype} ({type(data).__name__}): "
            "tensors hold numbers (bool, integer or floating)")
    if dtype is not None:
        dt = np.dtype(dtype)
        if dt.kind not in "biuf":
            raise TypeError(f"unsupported tensor dtype {dt}: use bool, an integer or a float dtype")
        if arr.dtype != dt:
            arr = arr.astype(dt)
    elif from_python and arr.dtype.kind == "f" and arr.dtype != _default_dtype:
        arr = arr.astype(_default_dtype)
    return arr


def _check_requires_grad(arr: np.ndarray) -> None:
    if arr.dtype.kind != "f":
        raise TypeError(
            f"only floating point tensors can require gradients, got dtype {arr.dtype}: a "
            "derivative needs a continuous value (convert with .float() or dtype=mg.float32)")


def _axis_arg(axis, dim):
    """numpy's ``axis``, with PyTorch's ``dim`` as an alias; a list becomes a tuple."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis= or dim=, not both")
        axis = dim
    return tuple(axis) if isinstance(axis, list) else axis


def _keepdims_arg(keepdims, keepdim):
    return bool(keepdim) if keepdim is not None else bool(keepdims)


def _shape_arg(shape):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return shape


def _index_arg(index):
    """Replace Tensors and lists inside an index by ndarrays (numpy semantics)."""
    if isinstance(index, tuple):
        return tuple(_index_arg(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        arr = np.asarray(index)
        return arr.astype(np.intp) if arr.size == 0 else arr  # [] selects nothing, as in numpy
    return index


class Tensor:
    """An n-d array with reverse-mode automatic differentiation.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x + x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([3., 5., 7.])
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "name", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        arr = _as_array(data, dtype)
        if requires_grad:
            _check_requires_grad(arr)
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self.name = name

    @classmethod
    def _make(cls, data, grad_fn):
        """Fast internal constructor: wrap an ndarray made by an op, no checks."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        t.name = None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (not the result of a recorded op)."""
        return self.grad_fn is None

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shares memory; no gradient flows through it)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        if dtype is None or np.dtype(dtype) == self.data.dtype:
            return self.data.copy() if copy else self.data
        return self.data.astype(dtype)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors with one element can be used as an index")
        return int(self.data)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype != _default_dtype and self.data.dtype.kind == "f" or \
                self.data.dtype.kind in "biu" and self.data.dtype != np.int64:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, trace=False):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is dL/d(self) for a non-scalar ``self``. The graph's saved values are freed
        afterwards unless ``retain_graph=True``. With ``create_graph=True`` the gradients are
        recorded (for gradients of gradients). ``trace=True`` (or a ``Tracer``, or being inside
        ``mg.trace_backward()``) prints each chain-rule step.
        """
        if trace:
            tracer = trace if callable(trace) else _trace.Tracer()
        else:
            tracer = _trace.active_tracer()  # None outside mg.trace_backward()
        _autograd.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
                           trace=tracer)

    def _accumulate_grad(self, g, owned: bool = False) -> None:
        """Add ``g`` (an ndarray, or a Tensor when building a graph) into ``self.grad``.

        ``owned`` says that nothing else holds the array ``g``, so it may be adopted as is.
        """
        if isinstance(g, Tensor):
            self.grad = g if self.grad is None else self.grad + g
        elif self.grad is not None:
            self.grad = Tensor._make(self.grad.data + g, None)
        elif owned:
            self.grad = Tensor._make(g, None)
        else:
            self.grad = Tensor._make(np.array(g, dtype=self.data.dtype, copy=True), None)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too (leaves always keep theirs)."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad() on a tensor that does not require grad")
            return
        self.grad_fn.retained = weakref.ref(self)

    def clone(self) -> "Tensor":
        """A copy of the data, recorded: the gradient flows back to this tensor unchanged."""
        if self.data.dtype == np.bool_:
            return Tensor._make(self.data.copy(), None)
        return _ufunc(Clone, self)

    def detach(self) -> "Tensor":
        """A new leaf sharing this data, cut from the graph (no gradient flows through it)."""
        t = Tensor._make(self.data, None)
        return t

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor: use .detach() to cut it from the graph")
        if requires_grad:
            _check_requires_grad(self.data)
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other): return _ufunc(Add, self, other)
    def __radd__(self, other): return _ufunc(Add, other, self)
    def __sub__(self, other): return _ufunc(Sub, self, other)
    def __rsub__(self, other): return _ufunc(Sub, other, self)
    def __mul__(self, other): return _ufunc(Mul, self, other)
    def __rmul__(self, other): return _ufunc(Mul, other, self)
    def __truediv__(self, other): return _ufunc(Div, self, other)
    def __rtruediv__(self, other): return _ufunc(Div, other, self)
    def __pow__(self, other): return Pow.apply(self, other)
    def __rpow__(self, other): return Pow.apply(other, self)
    def __matmul__(self, other): return _ufunc(MatMul, self, other)
    def __rmatmul__(self, other): return _ufunc(MatMul, other, self)
    def __neg__(self): return _ufunc(Neg, self)
    def __pos__(self): return self
    def __abs__(self): return _ufunc(Abs, self)

    # comparisons: bool tensors, never part of the graph
    def __lt__(self, other): return _compare(np.less, self, other)
    def __le__(self, other): return _compare(np.less_equal, self, other)
    def __gt__(self, other): return _compare(np.greater, self, other)
    def __ge__(self, other): return _compare(np.greater_equal, self, other)
    def __eq__(self, other): return _compare(np.equal, self, other)
    def __ne__(self, other): return _compare(np.not_equal, self, other)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """Let numpy ufuncs on Tensors (``np.exp(t)``, ``array * t``) run as recorded ops."""
        if method != "__call__" or kwargs:
            return NotImplemented
        op = UFUNC_OPS.get(ufunc)
        if op is None:
            return NotImplemented
        return op(*inputs)

    # ------------------------------------------------------------------ elementwise
    def exp(self): return _ufunc(Exp, self)
    def log(self): return _ufunc(Log, self)
    def sqrt(self): return _ufunc(Sqrt, self)
    def abs(self): return _ufunc(Abs, self)
    def tanh(self): return _ufunc(Tanh, self)
    def sigmoid(self): return Sigmoid.apply(self)
    def relu(self): return Relu.apply(self)

    def clip(self, min=None, max=None):
        """Limit values to [min, max]; the gradient is 1 inside, 0 where clipped."""
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        return Clip.apply(self, min, max)

    clamp = clip

    def astype(self, dtype) -> "Tensor":
        """Cast to ``dtype``; the gradient is cast back to this tensor's dtype."""
        dt = np.dtype(dtype)
        if dt.kind not in "biuf":
            raise TypeError(f"astype: unsupported tensor dtype {dt}: use bool, an integer or a "
                            "float dtype")
        if dt == self.data.dtype:
            return self
        if self.requires_grad and dt.kind != "f":
            return Tensor._make(self.data.astype(dt), None)
        return Cast.apply(self, dt)

    def float(self): return self.astype(np.float32)
    def double(self): return self.astype(np.float64)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return Sum.apply(self, _axis_arg(axis, dim), _keepdims_arg(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return Mean.apply(self, _axis_arg(axis, dim), _keepdims_arg(keepdims, keepdim))

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Largest value along ``axis``; ties share the gradient equally."""
        return Max.apply(self, _axis_arg(axis, dim), _keepdims_arg(keepdims, keepdim))

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Smallest value along ``axis``; ties share the gradient equally."""
        return Min.apply(self, _axis_arg(axis, dim), _keepdims_arg(keepdims, keepdim))

    def argmax(self, axis=None, *, dim=None) -> "Tensor":
        return _unrecorded(np.argmax, self, _axis_arg(axis, dim))

    def argmin(self, axis=None, *, dim=None) -> "Tensor":
        return _unrecorded(np.argmin, self, _axis_arg(axis, dim))

    def any(self, axis=None) -> "Tensor":
        return _unrecorded(np.any, self, axis)

    def all(self, axis=None) -> "Tensor":
        return _unrecorded(np.all, self, axis)

    def softmax(self, axis=None, *, dim=None):
        """exp(x) / sum(exp(x)) along ``axis`` (default -1), computed stably (shifted by the max)."""
        axis = _axis_arg(axis, dim)
        return Softmax.apply(self, -1 if axis is None else axis)

    def log_softmax(self, axis=None, *, dim=None):
        """x - logsumexp(x) along ``axis`` (default -1), computed stably."""
        axis = _axis_arg(axis, dim)
        return LogSoftmax.apply(self, -1 if axis is None else axis)

    # ------------------------------------------------------------------ movement
    def reshape(self, *shape):
        return Reshape.apply(self, _shape_arg(shape))

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """Merge dims ``start_dim..end_dim`` into one (all of them by default)."""
        shape = self.data.shape
        if not shape:
            return self.reshape(1)
        start = self._axis("flatten", start_dim)
        end = self._axis("flatten", end_dim)
        if start > end:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor of shape {shape}")
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def transpose(self, *axes):
        """Permute axes like numpy: no argument reverses them (``.T``)."""
        axes = _shape_arg(axes) if axes else None
        return Transpose.apply(self, axes)

    def permute(self, *axes):
        return Transpose.apply(self, _shape_arg(axes))

    def swapaxes(self, axis1: int, axis2: int):
        perm = list(range(self.data.ndim))
        a, b = self._axis("swapaxes", axis1), self._axis("swapaxes", axis2)
        perm[a], perm[b] = perm[b], perm[a]
        return Transpose.apply(self, tuple(perm))

    def unsqueeze(self, axis: int):
        """Insert an axis of size 1 at ``axis`` (which may be ``ndim``, or negative)."""
        shape = self.data.shape
        a = self._axis("unsqueeze", axis, ndim=len(shape) + 1)
        return Reshape.apply(self, shape[:a] + (1,) + shape[a:])

    expand_dims = unsqueeze

    def squeeze(self, axis=None):
        """Remove axes of size 1: all of them, or the ones named by ``axis``."""
        shape = self.data.shape
        if axis is None:
            return Reshape.apply(self, tuple(n for n in shape if n != 1))
        axes = {self._axis("squeeze", a)
                for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
        for a in sorted(axes):
            if shape[a] != 1:
                raise ShapeError(f"squeeze: axis {a} has size {shape[a]}, only axes of size 1 "
                                 f"can be removed (tensor of shape {shape})")
        return Reshape.apply(self, tuple(n for i, n in enumerate(shape) if i not in axes))

    def _axis(self, op: str, axis, ndim: int | None = None) -> int:
        """``axis`` as a non-negative int below ``ndim`` (default: this tensor's), or an error
        naming the op, the axis and the shape."""
        ndim = self.data.ndim if ndim is None else ndim
        if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
            raise ShapeError(f"{op}: axis {axis} is out of range for a tensor of shape "
                             f"{self.data.shape} (valid: {-ndim} to {ndim - 1})")
        return int(axis) % ndim

    def broadcast_to(self, shape):
        return BroadcastTo.apply(self, (shape,) if isinstance(shape, (int, np.integer))
                                 else tuple(shape))

    def __getitem__(self, index):
        return GetItem.apply(self, _index_arg(index))

    # ------------------------------------------------------------------ in place
    # In-place changes are not recorded. They are allowed where they cannot corrupt a gradient
    # silently: on tensors that do not require grad, or under mg.no_grad() (parameter updates:
    # ``with mg.no_grad(): w -= lr * w.grad``).
    def _check_inplace(self, op: str) -> None:
        if self.requires_grad and _autograd.is_grad_enabled():
            raise RuntimeError(
                f"{op}: an in-place change of a tensor that requires grad would silently change "
                "values the graph recorded; do it under mg.no_grad() (e.g. a parameter update) "
                "or on .data")

    def __setitem__(self, index, value):
        self._check_inplace("setitem")
        value = value.data if isinstance(value, Tensor) else value
        try:
            self.data[_index_arg(index)] = value
        except ValueError as exc:
            raise ShapeError(f"setitem: cannot assign a value of shape {np.shape(value)} at "
                             f"index {index!r} of a tensor of shape {self.shape} ({exc})") from None
        except IndexError as exc:
            raise IndexError(f"setitem: {exc} (tensor of shape {self.shape})") from None
        _autograd.mark_changed(self.data)

    def _update(self, op: str, ufunc, other) -> "Tensor":
        """self = ufunc(self, other), in place: the result must keep self's shape and dtype."""
        self._check_inplace(op)
        other = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self.data, other, out=self.data, casting="same_kind")
        except ValueError as exc:
            raise ShapeError(f"{op}: a value of shape {np.shape(other)} cannot update a tensor "
                             f"of shape {self.shape} in place ({exc})") from None
        except TypeError as exc:
            raise TypeError(f"{op}: {exc} (tensor of dtype {self.dtype})") from None
        _autograd.mark_changed(self.data)
        return self

    def add_(self, other): return self._update("add_", np.add, other)
    def sub_(self, other): return self._update("sub_", np.subtract, other)
    def mul_(self, other): return self._update("mul_", np.multiply, other)
    def div_(self, other): return self._update("div_", np.true_divide, other)

    # ``t += x``: in place where allowed; on a non-leaf that is part of a graph it is recorded
    # as ``t = t + x`` instead (the graph keeps the old value), as PyTorch records it.
    def __iadd__(self, other): return self + other if self._recorded() else self.add_(other)
    def __isub__(self, other): return self - other if self._recorded() else self.sub_(other)
    def __imul__(self, other): return self * other if self._recorded() else self.mul_(other)
    def __itruediv__(self, other):
        return self / other if self._recorded() else self.div_(other)

    def _recorded(self) -> bool:
        return self.grad_fn is not None and _autograd.is_grad_enabled()

    def zero_(self) -> "Tensor":
        """Set every element to 0, in place (``w.grad.zero_()``)."""
        return self._fill("zero_", 0)

    def fill_(self, value) -> "Tensor":
        return self._fill("fill_", value)

    def _fill(self, op: str, value) -> "Tensor":
        self._check_inplace(op)
        self.data[...] = value
        _autograd.mark_changed(self.data)
        return self

    def copy_(self, src) -> "Tensor":
        """Copy ``src`` (broadcast to this shape) into this tensor, in place."""
        return self._update("copy_", lambda a, b, out, casting: np.copyto(out, b, casting),
                            src)


def _compare(ufunc, a, b):
    try:
        return Tensor._make(ufunc(a.data if isinstance(a, Tensor) else a,
                                  b.data if isinstance(b, Tensor) else b), None)
    except (ValueError, TypeError) as exc:  # an error naming the comparison and both inputs
        kind = ShapeError if isinstance(exc, ValueError) else TypeError
        raise kind(f"{ufunc.__name__}: {exc} (inputs: {_autograd.describe(a)}, "
                   f"{_autograd.describe(b)})") from None


def _unrecorded(func, t, axis):
    """``func(t.data, axis=axis)`` (argmax, any, ...) as a Tensor outside the graph."""
    try:
        return Tensor._make(np.asarray(func(t.data, axis=axis)), None)
    except (ValueError, TypeError) as exc:
        kind = ValueError if isinstance(exc, ValueError) else TypeError  # never numpy's own
        raise kind(f"{func.__name__}: {exc} (tensor of shape {t.shape}, {t.dtype})") from None


def tensor(data, requires_grad: bool = False, dtype=None, name: str | None = None) -> Tensor:
    """Make a new leaf tensor holding a copy of ``data`` (like ``torch.tensor``)."""
    arr = _as_array(data, dtype)
    if arr is data or (isinstance(data, Tensor) and arr is data.data):
        arr = arr.copy()
    return Tensor(arr, requires_grad=requires_grad, name=name)


# The engine and the op classes are imported last: they import Tensor from this module.
from . import autograd as _autograd  # noqa: E402
from .autograd import apply_ufunc as _ufunc  # noqa: E402
from . import trace as _trace  # noqa: E402
from .ops import (  # noqa: E402
    Abs, Add, BroadcastTo, Cast, Clip, Clone, Div, Exp, GetItem, Log, LogSoftmax, MatMul, Max, Mean,
    Min, Mul, Neg, Pow, Relu, Reshape, Sigmoid, Softmax, Sqrt, Sub, Sum, Tanh, Transpose,
    UFUNC_OPS,
)
