"""Train/test splits: the 4-tuple every data set of ``minigrad.data.datasets`` returns.

``split_train_test(X, y)`` returns ``(X_train, y_train, X_test, y_test)``: the CS231n order, which
is *not* scikit-learn's ``train_test_split`` order ``(X_train, X_test, y_train, y_test)`` (hence
the different name). The result is a ``TrainTestSplit``: a named tuple that unpacks into those
four arrays and also carries ``classes``, the names of labels ``0..K-1`` when known.
"""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

__all__ = ["TrainTestSplit", "split_train_test"]


class _SplitArrays(NamedTuple):
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


class TrainTestSplit(_SplitArrays):
    """``(X_train, y_train, X_test, y_test)``, plus ``.classes`` (label names, or None).

    >>> import numpy as np
    >>> split = TrainTestSplit(np.zeros((3, 2)), np.arange(3), np.zeros((1, 2)), np.arange(1),
    ...                        classes=("a", "b", "c"))
    >>> X_train, y_train, X_test, y_test = split
    >>> split.classes, split.X_test.shape
    (('a', 'b', 'c'), (1, 2))
    """

    classes: tuple[str, ...] | None = None

    def __new__(cls, X_train, y_train, X_test, y_test, classes=None):
        split = super().__new__(cls, X_train, y_train, X_test, y_test)
        split.classes = None if classes is None else tuple(classes)
        return split

    def _replace(self, **changes) -> "TrainTestSplit":
        classes = changes.pop("classes", self.classes)
        return TrainTestSplit(*super()._replace(**changes), classes=classes)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={getattr(self, name).shape}" for name in self._fields)
        return f"TrainTestSplit({shapes}, classes={self.classes})"


def split_train_test(X, y, test_size: float = 0.2, seed=0, stratify: bool = True,
                     classes=None) -> TrainTestSplit:
    """Split samples into a training and a test set, at random but reproducibly.

    Args:
        X: (N, ...) samples; y: (N,) integer labels.
        test_size: fraction of the samples in the test set, in (0, 1); the test set gets
            ``ceil(test_size * N)`` samples.
        seed: int (or None for fresh randomness, or a ``np.random.Generator``).
        stratify: keep each class's share the same in both sets (each class contributes its
            share of the test set, rounded so that the total is exact).
        classes: optional label names stored on the result.

    Returns ``TrainTestSplit(X_train, y_train, X_test, y_test)``, both sets in random order.
    """
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim != 1 or X.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"split_train_test: y must be 1-d with one label per row of X, got X of shape "
            f"{X.shape} and y of shape {y.shape}")
    n = len(y)
    if (isinstance(test_size, bool) or not isinstance(test_size, numbers.Real)
            or not 0 < test_size < 1):
        raise ValueError(f"split_train_test: test_size must be a fraction in (0, 1), got "
                         f"{test_size!r}")
    n_test = math.ceil(test_size * n)
    if not 0 < n_test < n:
        raise ValueError(
            f"split_train_test: test_size={test_size} of {n} samples leaves "
            f"{n - n_test} for training and {n_test} for testing; both must be non-empty")
    rng = seeded_generator(seed, "split_train_test")
    if stratify:
        train_index, test_index = _stratified_indices(y, n_test, rng)
    else:
        order = rng.permutation(n)
        train_index, test_index = order[n_test:], order[:n_test]
    train_index, test_index = rng.permutation(train_index), rng.permutation(test_index)
    return TrainTestSplit(X[train_index], y[train_index], X[test_index], y[test_index],
                          classes=classes)


def seeded_generator(seed, function: str) -> np.random.Generator:
    """``np.random.default_rng(seed)``, with an error that names the function and the seed."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{function}: seed must be an int >= 0, None or a np.random.Generator, "
                        f"got {seed!r} ({exc})") from None


def _stratified_indices(y, n_test, rng):
    """Each class gives ``n_test * count / N`` test samples, rounded by largest remainder."""
    labels, label_index = np.unique(y, return_inverse=True)
    counts = np.bincount(label_index, minlength=len(labels))
    quota = counts * (n_test / len(y))
    per_class = np.floor(quota).astype(np.int64)
    shortfall = n_test - int(per_class.sum())
    per_class[np.argsort(per_class - quota, kind="stable")[:shortfall]] += 1
    train, test = [], []
    for k in range(len(labels)):
        members = rng.permutation(np.flatnonzero(label_index == k))
        test.append(members[:per_class[k]])
        train.append(members[per_class[k]:])
    return np.concatenate(train), np.concatenate(test)
