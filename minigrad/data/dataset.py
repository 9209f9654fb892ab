"""Map-style data sets: ``len(ds)`` samples, ``ds[i]`` is sample ``i``.

``Dataset`` is the interface a ``DataLoader`` reads (PyTorch's map-style ``Dataset``);
``TensorDataset`` holds equally long arrays (features, labels, ...) and returns row ``i`` of each.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset"]


class Dataset:
    """Base class of map-style data sets: subclasses define ``__len__`` and ``__getitem__``.

    ``__getitem__(i)`` gets an int ``0 <= i < len(self)`` and returns one sample: usually a tuple
    such as ``(x, y)`` of Tensors, arrays or numbers, which ``default_collate`` stacks into a batch.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")


class TensorDataset(Dataset):
    """Sample ``i`` is ``(a[i] for a in arrays)``, as a tuple of Tensors.

    Takes Tensors, ndarrays or nested lists, all with the same first dimension (one row per
    sample). The arrays are shared, not copied (a Tensor argument contributes its ``.data``);
    lists follow ``mg.tensor``'s dtype rules (Python floats become the default float dtype).

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 3), np.float32), np.arange(5))
    >>> len(ds), [t.shape for t in ds[2]]
    (5, [(3,), ()])
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one array or Tensor (e.g. X, y)")
        arrays = []
        for position, value in enumerate(tensors):
            try:
                array = value.data if isinstance(value, Tensor) else Tensor(value).data
            except TypeError as exc:
                raise TypeError(f"TensorDataset argument {position}: {exc}") from None
            if array.ndim == 0:
                raise ValueError(
                    f"TensorDataset argument {position} is 0-d (a single number): each argument "
                    "needs a first dimension with one entry per sample")
            arrays.append(array)
        lengths = {len(array) for array in arrays}
        if len(lengths) > 1:
            shapes = ", ".join(str(array.shape) for array in arrays)
            raise ValueError(
                "TensorDataset: all arrays must have the same first dimension (one row per "
                f"sample), got shapes {shapes}")
        self.arrays: tuple[np.ndarray, ...] = tuple(arrays)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The whole arrays as Tensors (sharing memory), as in torch's ``TensorDataset``."""
        return tuple(Tensor(array) for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(Tensor(array[index]) for array in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{array.shape} {array.dtype}" for array in self.arrays)
        return f"TensorDataset({shapes})"
