"""Load a pickle that may only contain plain containers and numpy arrays, and run nothing.

A pickle is a small program: its GLOBAL opcode imports any name and REDUCE calls it, so
``pickle.load`` on an untrusted file can run ``os.system``. Here ``find_class`` is the only door
to a callable, and it hands out none of numpy's or Python's own: only the few stand-ins below,
which record what the file describes (a dtype spec, an array's shape and raw bytes) and build
the arrays with ``np.frombuffer``. Anything else named by the file is refused before it is
imported. Files pickled by Python 2 (CIFAR-10's python version) are read with
``encoding="bytes"``, so their dict keys come back as bytes (``b"data"``).

The stand-ins cover what numpy writes for arrays, dtypes and scalars, under every protocol:
``numpy.core.multiarray._reconstruct`` + ``BUILD`` (protocols 0-4, and the numpy 2 spelling
``numpy._core``), ``numpy.core.numeric._frombuffer`` (protocol 5), ``multiarray.scalar``, and
``_codecs.encode`` / ``bytes`` which Python 3 uses for bytes under protocols 0-2. Only dtypes
of kind bool, int, uint, float and complex are built: object arrays could hold anything.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from ..errors import DataFileError, UnsafePickleError

__all__ = ["load_restricted_pickle"]

_PLAIN_KINDS = "biufc"


class _DtypeSpec:
    """Stand-in for ``numpy.dtype(spec, align, copy)``; BUILD then gives it the byte order."""

    def __init__(self, spec, align=False, copy=True):
        if isinstance(spec, bytes):
            spec = spec.decode("ascii")
        if not isinstance(spec, str):
            raise UnsafePickleError(f"a dtype must be given by a string, got {type(spec).__name__}")
        self.dtype = _plain_dtype(np.dtype(spec))

    def __setstate__(self, state):
        # numpy's dtype state: (version, byte order, subdtype, names, fields, size, align, flags)
        if not isinstance(state, tuple) or len(state) < 2:
            raise DataFileError(f"malformed dtype state {state!r}")
        order = state[1].decode("ascii") if isinstance(state[1], bytes) else state[1]
        if any(part is not None for part in state[2:5]):
            raise UnsafePickleError("structured or sub-array dtypes are not accepted")
        if order in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(order)
        elif order not in ("|", "="):
            raise DataFileError(f"unknown byte order {order!r} in a dtype")


class _ArraySpec:
    """Stand-in for ``_reconstruct(ndarray, (0,), b"b")``; BUILD then gives shape, dtype, bytes."""

    def __init__(self, subtype, shape, typecode):
        if subtype is not _NDARRAY:
            raise UnsafePickleError("only plain numpy.ndarray arrays are accepted")
        self.array = None

    def __setstate__(self, state):
        # numpy's ndarray state: (version, shape, dtype, is_fortran, raw bytes)
        if not isinstance(state, tuple) or len(state) != 5:
            raise DataFileError("malformed array state (expected a 5-tuple)")
        _, shape, dtype_spec, is_fortran, raw = state
        self.array = _array_from_bytes(raw, dtype_spec, shape, "F" if is_fortran else "C")


def _plain_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind not in _PLAIN_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise UnsafePickleError(
            f"dtype {dtype} is not accepted: only bool, integer, float and complex arrays")
    return dtype


_NDARRAY = object()  # what the file gets for ``numpy.ndarray``: a marker, never the class itself


def _array_from_bytes(raw, dtype_spec, shape, order) -> np.ndarray:
    if not isinstance(dtype_spec, _DtypeSpec):
        raise DataFileError("an array without a dtype")
    if not isinstance(raw, (bytes, bytearray, str)):
        raise DataFileError(f"array data must be bytes, got {type(raw).__name__}")
    if isinstance(raw, str):  # a Python 2 str read with encoding="latin1"
        raw = raw.encode("latin1")
    if not (isinstance(shape, tuple) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise DataFileError(f"malformed array shape {shape!r}")
    dtype = dtype_spec.dtype
    expected = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise DataFileError(
            f"an array of shape {shape} and dtype {dtype} needs {expected} bytes, the file "
            f"holds {len(raw)}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order=order).copy(order="K")


def _frombuffer(buffer, dtype_spec, shape, order):
    """Stand-in for numpy's protocol-5 ``_frombuffer(buffer, dtype, shape, order)``."""
    if isinstance(buffer, pickle.PickleBuffer):
        buffer = bytes(buffer)
    return _array_from_bytes(buffer, dtype_spec, tuple(shape), order)


def _scalar(dtype_spec, raw):
    """Stand-in for ``multiarray.scalar(dtype, bytes)``: one numpy number."""
    return _array_from_bytes(raw, dtype_spec, (), "C")[()]


def _latin1_encode(text, encoding="latin1"):
    """Stand-in for ``_codecs.encode(str, "latin1")``: Python 3's bytes under protocol <= 2."""
    if not isinstance(text, str) or encoding.replace("-", "") != "latin1":
        raise UnsafePickleError("_codecs.encode is accepted only to turn a str into latin-1 bytes")
    return text.encode("latin1")


def _empty_bytes(*args):
    """Stand-in for ``bytes()`` (Python 3's empty bytes under protocol <= 2)."""
    if args:
        raise UnsafePickleError("bytes() is accepted only without arguments")
    return b""


class _StandIn:
    """A stand-in function as the file gets it: it may be called, never changed. (BUILD on a
    plain function would set attributes, even ``__defaults__``, for the rest of the process;
    the stand-in classes above refuse it through their own ``__setstate__``.)"""

    __slots__ = ("_function",)

    def __init__(self, function):
        object.__setattr__(self, "_function", function)

    def __call__(self, *args):
        return self._function(*args)

    def __setstate__(self, state):
        raise UnsafePickleError(f"the pickle tries to modify {self._function.__name__}")

    def __setattr__(self, name, value):
        raise UnsafePickleError(f"the pickle tries to modify {self._function.__name__}")


_ALLOWED = {}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[_module, "_reconstruct"] = _ArraySpec
    _ALLOWED[_module, "scalar"] = _StandIn(_scalar)
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[_module, "_frombuffer"] = _StandIn(_frombuffer)
_ALLOWED["numpy", "ndarray"] = _NDARRAY
_ALLOWED["numpy", "dtype"] = _DtypeSpec
_ALLOWED["_codecs", "encode"] = _StandIn(_latin1_encode)
_ALLOWED["builtins", "bytes"] = _ALLOWED["__builtin__", "bytes"] = _StandIn(_empty_bytes)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise UnsafePickleError(
                f"refused to load: the pickle asks for {module}.{name}, which could run code; "
                "only plain containers and numpy arrays are allowed") from None

    def persistent_load(self, pid):
        raise UnsafePickleError("refused to load: the pickle uses persistent ids")


def _resolve(value):
    """Replace every ``_ArraySpec`` in nested dicts, lists and tuples by the array it built."""
    if isinstance(value, _ArraySpec):
        if value.array is None:
            raise DataFileError("an array whose data never came (no BUILD)")
        return value.array
    if isinstance(value, _DtypeSpec):
        return value.dtype
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _resolve(item)
        return value
    if isinstance(value, list):
        value[:] = [_resolve(item) for item in value]
        return value
    if isinstance(value, tuple):
        return tuple(_resolve(item) for item in value)
    return value


def load_restricted_pickle(path) -> object:
    """Unpickle ``path`` allowing only plain containers and numpy arrays of plain dtypes.

    Raises ``UnsafePickleError`` (a ``DataFileError``) for anything that could run code, before
    it runs, and ``DataFileError`` for a truncated or malformed file; both name the file.
    """
    path = Path(path)
    with open(path, "rb") as file:
        try:
            return _resolve(_RestrictedUnpickler(file, encoding="bytes").load())
        except UnsafePickleError as exc:
            raise UnsafePickleError(f"{path}: {exc}") from None
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:  # EOFError, UnpicklingError, bad opcodes, bad array data...
            raise DataFileError(
                f"{path}: not a readable pickle (truncated or corrupt?): "
                f"{type(exc).__name__}: {exc}") from None
