"""CIFAR-10 from files the user already has (nothing is downloaded).

Both versions from https://www.cs.toronto.edu/~kriz/cifar.html are read:

* ``cifar-10-batches-bin``: ``data_batch_1.bin`` .. ``data_batch_5.bin`` and ``test_batch.bin``,
  each a sequence of 3073-byte records (1 label byte, then 1024 red, 1024 green, 1024 blue bytes,
  each plane row-major over the 32x32 image), and ``batches.meta.txt`` (one class name a line);
* ``cifar-10-batches-py``: ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``, each a pickled
  dict with ``b"data"`` (a 10000x3072 uint8 array, the same channel-major layout) and
  ``b"labels"``, and ``batches.meta`` (``b"label_names"``). The pickles are read by a restricted
  unpickler that builds only plain containers and numpy arrays and runs nothing from the file.

The binary version is preferred when both are present (no pickle involved at all).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataFileError
from ..split import TrainTestSplit
from ._safe_pickle import load_restricted_pickle

__all__ = ["load_cifar10", "load_cifar10_classes", "CIFAR10_CLASSES"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
_SIDE, _CHANNELS = 32, 3
_PIXELS = _SIDE * _SIDE * _CHANNELS  # 3072 bytes per image
_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST_BATCH = "test_batch"
_FORMATS = {  # folder name in the archive, batch file suffix, class-names file
    "binary": ("cifar-10-batches-bin", ".bin", "batches.meta.txt"),
    "python": ("cifar-10-batches-py", "", "batches.meta"),
}


def load_cifar10(root) -> TrainTestSplit:
    """Load CIFAR-10: ``X_train, y_train, X_test, y_test = load_cifar10(root)``.

    Args:
        root: the extracted ``cifar-10-batches-bin`` or ``cifar-10-batches-py`` folder, or the
            folder that contains it.

    Returns a ``TrainTestSplit`` (a named tuple of the four arrays, plus ``.classes``, the ten
    class names): X as uint8 of shape (N, 32, 32, 3), i.e. (image, row, column, RGB channel) as
    in the CS231n loader, and y as int64 labels in 0..9. With the full data set N is 50000 for
    training and 10000 for testing.

    Raises ``FileNotFoundError`` when a batch is missing, ``DataFileError`` (a ``ValueError``)
    naming the file when one is truncated or malformed, and ``UnsafePickleError`` when a pickle
    asks to run code.
    """
    folder, fmt = _find_batches(root)
    _, suffix, _ = _FORMATS[fmt]
    read = _read_binary_batch if fmt == "binary" else _read_python_batch
    train = [read(folder / (name + suffix)) for name in _TRAIN_BATCHES]
    X_test, y_test = read(folder / (_TEST_BATCH + suffix))
    X_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    return TrainTestSplit(X_train, y_train, X_test, y_test, classes=_read_classes(folder, fmt))


def load_cifar10_classes(root) -> tuple[str, ...]:
    """The ten class names (from ``batches.meta.txt`` or ``batches.meta``), label order."""
    return _read_classes(*_find_batches(root))


def _find_batches(root) -> tuple[Path, str]:
    """The folder holding the batches, and its format ("binary" or "python")."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"load_cifar10: {root} is not a directory")
    for fmt, (folder_name, suffix, _) in _FORMATS.items():
        for folder in (root, root / folder_name):
            if (folder / (_TRAIN_BATCHES[0] + suffix)).is_file():
                missing = [name + suffix for name in (*_TRAIN_BATCHES, _TEST_BATCH)
                           if not (folder / (name + suffix)).is_file()]
                if missing:
                    raise FileNotFoundError(
                        f"load_cifar10: {folder} lacks {', '.join(missing)} (CIFAR-10 has five "
                        "training batches and one test batch)")
                return folder, fmt
    raise FileNotFoundError(
        f"load_cifar10: no CIFAR-10 batches in {root}: give the extracted cifar-10-batches-bin "
        "folder (data_batch_1.bin ...) or cifar-10-batches-py folder (data_batch_1 ...) or their "
        "parent; get them from https://www.cs.toronto.edu/~kriz/cifar.html (minigrad downloads "
        "nothing)")


def _rows_to_images(rows: np.ndarray) -> np.ndarray:
    """(N, 3072) channel-major rows -> (N, 32, 32, 3).

    Byte ``k*1024 + r*32 + c`` of a row is channel k (0 red, 1 green, 2 blue) at row r, column c.
    """
    return rows.reshape(len(rows), _CHANNELS, _SIDE, _SIDE).transpose(0, 2, 3, 1)


def _checked_labels(labels: np.ndarray, path: Path) -> np.ndarray:
    if len(labels) and (labels.min() < 0 or labels.max() >= len(CIFAR10_CLASSES)):
        raise DataFileError(
            f"{path}: labels must be in 0..9, found values from {labels.min()} to {labels.max()}")
    return labels.astype(np.int64)


def _read_binary_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Records of 1 label byte + 3072 pixel bytes."""
    raw = np.fromfile(path, dtype=np.uint8)
    record = 1 + _PIXELS
    if raw.size == 0 or raw.size % record:
        raise DataFileError(
            f"{path}: {raw.size} bytes is not a whole number of CIFAR-10 records (1 label byte + "
            f"{_PIXELS} pixel bytes = {record} bytes each): the file is truncated or not a "
            "CIFAR-10 binary batch")
    records = raw.reshape(-1, record)
    return _rows_to_images(records[:, 1:]), _checked_labels(records[:, 0], path)


def _read_python_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A pickled dict with ``data`` (N, 3072) uint8 and ``labels`` (N,) ints."""
    batch = load_restricted_pickle(path)
    data = np.asarray(_field(batch, "data", path))
    labels = np.asarray(_field(batch, "labels", path))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _PIXELS:
        raise DataFileError(
            f"{path}: 'data' must be a uint8 array of shape (N, {_PIXELS}), got {data.dtype} "
            f"of shape {data.shape}")
    if labels.ndim != 1 or len(labels) != len(data) or labels.dtype.kind not in "iu":
        raise DataFileError(
            f"{path}: 'labels' must hold one integer per image ({len(data)}), got "
            f"{labels.dtype} of shape {labels.shape}")
    return _rows_to_images(data), _checked_labels(labels, path)


def _field(batch, name: str, path: Path):
    """``batch[b"name"]`` (Python 2 pickles) or ``batch["name"]`` (Python 3 ones)."""
    if not isinstance(batch, dict):
        raise DataFileError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    for key in (name.encode("ascii"), name):
        if key in batch:
            return batch[key]
    raise DataFileError(f"{path}: the pickled dict has no {name!r} entry "
                        f"(keys: {sorted(map(repr, batch))})")


def _read_classes(folder: Path, fmt: str) -> tuple[str, ...]:
    """Class names from the meta file; CIFAR-10's standard names if the file is absent."""
    path = folder / _FORMATS[fmt][2]
    if not path.is_file():
        return CIFAR10_CLASSES
    if fmt == "binary":
        try:
            names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        except UnicodeDecodeError as exc:
            raise DataFileError(f"{path}: not a text file of class names ({exc})") from None
    else:
        listed = _field(load_restricted_pickle(path), "label_names", path)
        if not isinstance(listed, (list, tuple)):
            raise DataFileError(
                f"{path}: 'label_names' must be a list, got {type(listed).__name__}")
        try:
            names = [name.decode("utf-8") if isinstance(name, bytes) else name for name in listed]
        except UnicodeDecodeError as exc:
            raise DataFileError(f"{path}: a class name is not text ({exc})") from None
    names = [name for name in names if name]
    if len(names) != len(CIFAR10_CLASSES) or not all(isinstance(n, str) for n in names):
        raise DataFileError(f"{path}: expected {len(CIFAR10_CLASSES)} class names, got {names!r}")
    return tuple(names)
