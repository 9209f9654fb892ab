"""``mg.save`` / ``mg.load``: state dicts (of modules and optimizers) as ``.npz`` files, no pickle.

A saved object is a tree of dicts, lists, tuples, strings, numbers, booleans, None and arrays.
``save`` stores every array as its own ``.npz`` entry and the tree's shape as a JSON manifest
(one more entry, a uint8 array), so ``load`` rebuilds exactly what was saved (int keys stay
ints, tuples stay tuples; Tensors come back as ndarrays) while reading with
``allow_pickle=False``: loading a file can never run code.

Writes are atomic: the archive is written to a temporary file next to ``path``, flushed to
disk, then renamed over ``path``; if anything fails, ``path`` keeps its previous content. As
with ``open(path, "wb")``, a symlink is written through (its target is replaced) and a file
that is overwritten keeps its permissions.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load", "SerializationError"]

FORMAT = "minigrad.save"
VERSION = 1
MANIFEST_KEY = "__minigrad_manifest__"


class SerializationError(ValueError):
    """A file that is not a readable minigrad save file: corrupt, truncated or foreign."""


# --------------------------------------------------------------------------- the manifest


class _Encoder:
    """Turn a tree of Python values into a JSON-able manifest node plus named arrays.

    Nodes are ``{"t": tag, ...}``: none, bool/int/str (``v``), float (``v`` = ``float.hex``,
    exact and able to hold inf/nan), array/scalar (``k`` = entry name), list/tuple (``v`` =
    nodes), dict (``v`` = [key node, value node] pairs).
    """

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self._open: set[int] = set()  # containers being encoded (to catch cycles)

    def encode(self, obj, where: str) -> dict:
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, Tensor):
            obj = obj.data
        if isinstance(obj, (np.ndarray, np.generic)):  # before float: np.float64 is a float
            return self._array(obj, where)
        if isinstance(obj, bool):
            return {"t": "bool", "v": bool(obj)}
        if isinstance(obj, int):
            return {"t": "int", "v": int(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": float(obj).hex()}
        if isinstance(obj, str):
            return {"t": "str", "v": str(obj)}
        if isinstance(obj, (list, tuple, Mapping)):
            return self._container(obj, where)
        hint = " (save its .state_dict())" if hasattr(obj, "state_dict") else ""
        raise TypeError(f"save: cannot store {where} of type {type(obj).__name__}{hint}: "
                        "supported are dicts, lists, tuples, str, int, float, bool, None, "
                        "arrays and Tensors")

    def _array(self, obj, where: str) -> dict:
        if obj.dtype.hasobject:
            raise TypeError(f"save: {where} is an array of Python objects (dtype object), "
                            "which cannot be stored without pickle")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.asarray(obj)
        return {"t": "array" if isinstance(obj, np.ndarray) else "scalar", "k": key}

    def _container(self, obj, where: str) -> dict:
        if id(obj) in self._open:
            raise ValueError(f"save: {where} contains itself (a circular reference)")
        self._open.add(id(obj))
        try:
            if isinstance(obj, Mapping):
                items = [[self.encode(k, f"a key of {where}"),
                          self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]
                return {"t": "dict", "v": items}
            return {"t": "tuple" if isinstance(obj, tuple) else "list",
                    "v": [self.encode(x, f"{where}[{i}]") for i, x in enumerate(obj)]}
        finally:
            self._open.discard(id(obj))


_SCALARS = {"bool": bool, "int": int, "str": str}


def _decode(node, archive):
    """Rebuild the value a manifest node describes (arrays read from ``archive``).

    Raises KeyError/TypeError/ValueError on a malformed node; ``load`` reports them.
    """
    tag = node["t"]
    if tag == "none":
        return None
    if tag in _SCALARS:
        value = node["v"]
        if type(value) is not _SCALARS[tag]:
            raise ValueError(f"a {tag} node holds a {type(value).__name__}")
        return value
    if tag == "float":
        return float.fromhex(node["v"])
    if tag in ("array", "scalar"):
        key = node["k"]
        if key not in archive.files:
            raise KeyError(f"the manifest refers to array entry {key!r}, which is missing")
        array = archive[key]
        return array if tag == "array" else array[()]
    if tag in ("list", "tuple"):
        items = [_decode(x, archive) for x in node["v"]]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        return {_decode(k, archive): _decode(v, archive) for k, v in node["v"]}
    raise ValueError(f"unknown manifest node type {tag!r}")


# --------------------------------------------------------------------------- files


def _as_path(fn: str, path) -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{fn}: path must be a str or os.PathLike, got "
                        f"{type(path).__name__}") from None


def _write_archive(file, entries: dict) -> None:
    """Write ``entries`` as an uncompressed .npz into the open binary ``file``."""
    np.savez(file, **entries)


def _open_temporary(path: str) -> tuple[int, str]:
    """Create a new, unique hidden file next to ``path`` (mode 0666 minus the umask, like an
    ordinary new file); returns (fd, its path)."""
    directory, base = os.path.split(os.path.abspath(path))
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"save: could not create a temporary file next to {path}")


def _fsync_directory(directory: str) -> None:
    """Make a rename inside ``directory`` durable (where the platform allows it)."""
    fd = None
    try:
        fd = os.open(directory, os.O_RDONLY)
        os.fsync(fd)
    except (OSError, AttributeError):
        pass
    finally:
        if fd is not None:
            os.close(fd)


def _atomic_write(path: str, write) -> None:
    """Call ``write(file)`` on a temporary file, flush it to disk, then rename it to ``path``.

    On any failure (including KeyboardInterrupt) the temporary file is removed and ``path`` is
    left as it was. Every resource is acquired inside the ``try`` that releases it, so an
    interrupt between any two lines leaks neither a file nor a descriptor. A symlink ``path``
    is written through; an existing file's permission bits are kept.
    """
    if os.path.islink(path):
        path = os.path.realpath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory {directory!r} of {path!r} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: 0666 minus the umask
    fd = tmp = file = None
    try:
        fd, tmp = _open_temporary(path)
        file = os.fdopen(fd, "wb")  # from here on the file object owns (and closes) fd
        if mode is not None:
            os.chmod(tmp, mode)
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
        tmp = None
    except BaseException:
        if file is not None:
            file.close()  # closing twice is harmless
        elif fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    _fsync_directory(directory)


def save(obj, path) -> None:
    """Write ``obj`` (a state dict, or any tree of dicts/lists/tuples/str/numbers/bool/None/
    arrays/Tensors) to exactly ``path`` as an .npz archive, atomically.

    The file name is used as given: no ``.npz`` is appended.
    """
    path = _as_path("save", path)
    encoder = _Encoder()
    root = encoder.encode(obj, "obj")
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    entries = dict(encoder.arrays)
    entries[MANIFEST_KEY] = np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8)
    _atomic_write(path, lambda file: _write_archive(file, entries))


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"  # an .npz is a zip archive; an empty one cannot hold a manifest

# zipfile, zlib and numpy report damaged archives with these
_READ_ERRORS = (ValueError, KeyError, TypeError, IndexError, EOFError, OSError,
                zipfile.BadZipFile, zlib.error, UnicodeDecodeError, json.JSONDecodeError,
                RecursionError)  # a crafted manifest nested too deep


def _manifest(archive, path: str) -> dict:
    if MANIFEST_KEY not in archive.files:
        raise SerializationError(
            f"{path!r} is an .npz archive but not a minigrad save file (it has no "
            f"{MANIFEST_KEY!r} entry); read it with numpy.load")
    try:
        manifest = json.loads(archive[MANIFEST_KEY].tobytes().decode("utf-8"))
        fmt, version = manifest["format"], manifest["version"]
    except _READ_ERRORS as exc:
        raise SerializationError(f"{path!r}: corrupt minigrad save file (unreadable manifest: "
                                 f"{exc})") from None
    if fmt != FORMAT:
        raise SerializationError(f"{path!r}: not a minigrad save file (format {fmt!r})")
    if not isinstance(version, int) or version > VERSION:
        raise SerializationError(
            f"{path!r} was written in minigrad save format version {version!r}; this minigrad "
            f"reads versions up to {VERSION}: upgrade minigrad")
    return manifest


def load(path):
    """Read what ``save`` wrote to ``path`` (with ``allow_pickle=False``).

    Arrays (including saved Tensors) come back as ndarrays. A file that is not a minigrad save
    file, or is corrupt or truncated, raises ``SerializationError`` naming the file.
    """
    path = _as_path("load", path)
    with open(path, "rb") as file:
        head = file.read(len(_NPY_MAGIC))
        file.seek(0)
        if head.startswith(_NPY_MAGIC):
            raise SerializationError(f"{path!r} is a single .npy array, not a minigrad save "
                                     "file (an .npz archive)")
        if not head.startswith(_ZIP_MAGIC):
            raise SerializationError(f"{path!r} is not a minigrad save file (not an .npz "
                                     "archive: it does not start like a zip file)")
        try:
            archive = np.load(file, allow_pickle=False)
        except _READ_ERRORS as exc:
            raise SerializationError(f"{path!r}: corrupt or truncated .npz archive "
                                     f"({type(exc).__name__}: {exc})") from None
        with archive:
            manifest = _manifest(archive, path)
            try:
                return _decode(manifest["root"], archive)
            except _READ_ERRORS as exc:
                raise SerializationError(
                    f"{path!r}: corrupt or truncated minigrad save file "
                    f"({type(exc).__name__}: {exc})") from None
