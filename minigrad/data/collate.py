"""``default_collate``: turn a list of samples into one batch.

A sample that is a tuple (or list, or namedtuple) becomes a tuple of batches, one per field; a
dict becomes a dict of batches. Numbers, arrays and Tensors are stacked along a new first axis into
one Tensor, keeping their dtype (Python floats become float64 and Python ints int64, as in
PyTorch); strings are left as a list. Stacking is done on the raw arrays: no graph is recorded.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor

__all__ = ["default_collate"]


def default_collate(samples: list):
    """Stack a list of samples into a batch (see the module docstring for the rules)."""
    if len(samples) == 0:
        raise ValueError("default_collate: got an empty list of samples")
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return _collate_sequences(samples, first)
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (str, bytes)):  # before np.generic: np.str_ is both, and stays a str
        return list(samples)
    if isinstance(first, (Tensor, np.ndarray, np.generic, numbers.Number)):
        return _stack(samples)
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; samples must be "
        "Tensors, arrays, numbers, strings, or tuples/lists/dicts of them (or pass collate_fn=)")


def _collate_sequences(samples, first):
    width = len(first)
    if any(len(sample) != width for sample in samples):
        lengths = sorted({len(sample) for sample in samples})
        raise ValueError(
            f"default_collate: samples have different numbers of fields {lengths}: each sample "
            "must have the same structure")
    fields = [default_collate([sample[i] for sample in samples]) for i in range(width)]
    if hasattr(first, "_fields"):  # a namedtuple keeps its type and field names
        return type(first)(*fields)
    return tuple(fields) if isinstance(first, tuple) else fields


def _stack(samples) -> Tensor:
    arrays = [sample.data if isinstance(sample, Tensor) else sample for sample in samples]
    try:
        stacked = np.stack([np.asarray(array) for array in arrays])
    except ValueError:
        shapes = sorted({np.shape(array) for array in arrays})
        raise ValueError(
            f"default_collate: cannot stack samples of different shapes {shapes[:4]} into one "
            "batch (pad them to one shape, or pass collate_fn=)") from None
    return Tensor(stacked)
