"""The journey's data: load a data set, keep at most the budget's samples, preprocess.

Preprocessing is CS231n's for a linear classifier: flatten each image to a row, subtract the
training mean, divide each feature by its training standard deviation, and append a column of
ones (the bias trick), so that W has shape (D+1, C): 65 x 10 for the digits, 3073 x 10 for
CIFAR-10, 3 x 3 for the spiral.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import (load_cifar10, load_digits, make_spiral, preprocess, split_train_test)

__all__ = ["DATASETS", "JourneyData", "load_journey_data"]

DATASETS = ("digits", "cifar10", "spiral")


@dataclass
class JourneyData:
    """Preprocessed float32 features (bias column included) and int64 labels in 0..C-1."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    description: str

    @property
    def n_features(self) -> int:
        """D + 1: the rows of W."""
        return self.X_train.shape[1]

    @property
    def n_train(self) -> int:
        return len(self.y_train)


_SPIRAL_ARMS = 3


def _raw_split(name: str, data_dir, seed: int):
    """((X_train, y_train, X_test, y_test), number of classes, what the samples are)."""
    if name == "digits":
        split = load_digits(seed=seed)
        return split, len(split.classes), "8x8 images of handwritten digits"
    if name == "spiral":
        X, y = make_spiral(n_per_class=100, n_classes=_SPIRAL_ARMS, seed=seed)
        return (split_train_test(X, y, test_size=0.2, seed=seed), _SPIRAL_ARMS,
                "points of a 3-armed spiral in the plane")
    if name == "cifar10":
        if data_dir is None:
            raise ValueError(
                "--dataset cifar10 needs --data-dir DIR: the extracted cifar-10-batches-py (or "
                "cifar-10-batches-bin) folder from https://www.cs.toronto.edu/~kriz/cifar.html, "
                "or its parent (minigrad downloads nothing)")
        split = load_cifar10(data_dir)
        return split, len(split.classes), "32x32 colour images of CIFAR-10"
    raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")


def _subset(X, y, limit: int, rng: np.random.Generator):
    """At most ``limit`` samples, drawn at random (kept in their order)."""
    if len(y) <= limit:
        return X, y
    keep = np.sort(rng.choice(len(y), size=limit, replace=False))
    return X[keep], y[keep]


def _count(used: int, total: int) -> str:
    return f"{used}" if used == total else f"{used} of {total}"


def load_journey_data(name: str, data_dir=None, seed: int = 0, train_limit: int | None = None,
                      test_limit: int | None = None) -> JourneyData:
    """Load ``name`` (one of ``DATASETS``), subsample to the limits, preprocess."""
    (X_train, y_train, X_test, y_test), n_classes, what = _raw_split(name, data_dir, seed)
    n_train, n_test = len(y_train), len(y_test)
    rng = np.random.default_rng(seed)
    if train_limit is not None:
        X_train, y_train = _subset(X_train, y_train, train_limit, rng)
    if test_limit is not None:
        X_test, y_test = _subset(X_test, y_test, test_limit, rng)
    X_train, X_test = preprocess(X_train, X_test, center=True, scale_by="std", bias=True,
                                 dtype=np.float32)
    description = (f"{name}: {what}; {_count(len(y_train), n_train)} for training, "
                   f"{_count(len(y_test), n_test)} for testing; {X_train.shape[1] - 1} "
                   f"features + bias -> W of shape {X_train.shape[1]} x {n_classes}")
    return JourneyData(name, X_train, np.asarray(y_train, dtype=np.int64), X_test,
                       np.asarray(y_test, dtype=np.int64), n_classes, description)
