"""DataLoader: iterate over a data set in (optionally shuffled) mini-batches.

Each epoch (each ``for batch in loader``) visits every sample exactly once, in order or in a
fresh random permutation. A ``TensorDataset`` with the default collate takes a fast path: each
batch is one fancy-index per array (``array.take(batch_indices, axis=0)``), never a Python
loop over samples. Any other data set is read sample by sample and the samples are stacked by
``collate_fn`` (``default_collate`` unless given).
"""
from __future__ import annotations

import numbers

import numpy as np

from ..random import default_generator
from ..tensor import Tensor
from .collate import default_collate
from .dataset import TensorDataset

__all__ = ["DataLoader"]


class DataLoader:
    """Mini-batches of a data set, as in PyTorch.

    Args:
        dataset: anything with ``__len__`` and ``__getitem__(int)`` (a ``Dataset``).
        batch_size: samples per batch (int >= 1). The last batch may be smaller.
        shuffle: draw a new permutation of the samples at the start of every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        seed: seed of this loader's own generator, so that the sequence of epochs is reproducible.
        collate_fn: turns a list of samples into a batch (default ``default_collate``).
        generator: a ``np.random.Generator`` to draw permutations from (instead of ``seed``).
            With neither, shuffling uses minigrad's global generator (``mg.manual_seed``).

    ``len(loader)`` is the number of batches per epoch: ``ceil(N / batch_size)``, or
    ``floor(N / batch_size)`` with ``drop_last``. Batches of a ``TensorDataset`` are tuples of
    Tensors with the dtypes of its arrays (float32 features stay float32, int64 labels int64).
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None, collate_fn=None,
                 generator: np.random.Generator | None = None):
        _check_dataset(dataset)
        _check_int("batch_size", batch_size, minimum=1)
        _check_bool("shuffle", shuffle)
        _check_bool("drop_last", drop_last)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(
                f"DataLoader: collate_fn must be callable (a function of a list of samples), "
                f"got {type(collate_fn).__name__}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(
                "DataLoader: generator must be a numpy.random.Generator "
                f"(e.g. np.random.default_rng(0)), got {type(generator).__name__}")
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give either seed= or generator=, not both")
            _check_int("seed", seed, minimum=0)
            generator = np.random.default_rng(seed)
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.generator = generator
        # The fast path is only valid when batching by hand gives what __getitem__ + collate
        # would: a TensorDataset whose __getitem__ is not overridden, with the default collate.
        self._fast = (collate_fn is None and isinstance(dataset, TensorDataset)
                      and type(dataset).__getitem__ is TensorDataset.__getitem__)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        """Start an epoch: fix its sample order now, then yield its batches one by one."""
        n = len(self.dataset)
        stop = n - n % self.batch_size if self.drop_last else n
        if self.shuffle:
            rng = self.generator if self.generator is not None else default_generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        if self._fast:
            return _tensor_batches(self.dataset.arrays, order, stop, self.batch_size)
        return _collated_batches(self.dataset, self.collate_fn, order.tolist(), stop,
                                 self.batch_size)

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")


def _tensor_batches(arrays, order, stop, batch_size):
    """Fast path: one ``array.take`` per array per batch; the Tensors wrap the new arrays as is."""
    make = Tensor._make
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        yield tuple([make(array.take(index, axis=0), None) for array in arrays])


def _collated_batches(dataset, collate_fn, order, stop, batch_size):
    """Generic path: read each sample with ``dataset[i]`` and let ``collate_fn`` batch them."""
    for start in range(0, stop, batch_size):
        yield collate_fn([dataset[i] for i in order[start:start + batch_size]])


def _check_dataset(dataset) -> None:
    missing = [name for name in ("__len__", "__getitem__") if not hasattr(dataset, name)]
    if missing:
        raise TypeError(
            f"DataLoader: the dataset ({type(dataset).__name__}) has no {' or '.join(missing)}: "
            "it must be a map-style data set (define __len__ and __getitem__, e.g. subclass "
            "minigrad.data.Dataset, or wrap arrays in TensorDataset(X, y))")
    try:
        len(dataset)
    except (NotImplementedError, TypeError, ValueError) as exc:
        raise TypeError(
            f"DataLoader: len(dataset) failed ({exc}): __len__ must return the number of "
            "samples, an int >= 0") from None


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"DataLoader: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"DataLoader: {name} must be >= {minimum}, got {value}")


def _check_bool(name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be True or False, got {type(value).__name__} "
                        f"{value!r}")
