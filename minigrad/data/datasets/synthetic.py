"""Synthetic 2-d classification sets for quick demos and tests.

Each maker returns ``(X, y)``: X float (N, n_features), y int64 labels, samples ordered class by
class (shuffle with a DataLoader, or split with ``split_train_test`` which also shuffles).
"""
from __future__ import annotations

import numbers

import numpy as np

from ..split import seeded_generator

__all__ = ["make_spiral", "make_blobs"]


def make_spiral(n_per_class: int = 100, n_classes: int = 3, seed=0, noise: float = 0.2,
                dtype=np.float32):
    """The CS231n spiral: ``n_classes`` interleaved arms in the plane, not linearly separable.

    Arm k: radius ``r`` from 0 to 1, angle ``theta = 4 * (k + r) + noise * N(0, 1)``, point
    ``(r sin theta, r cos theta)``. A linear classifier reaches about 50% on 3 arms; a small MLP
    close to 100%. Returns X (n_classes * n_per_class, 2) and y.
    """
    _check_positive_int("make_spiral", n_per_class=n_per_class, n_classes=n_classes)
    rng = seeded_generator(seed, "make_spiral")
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    theta = 4.0 * (y + radius) + noise * rng.standard_normal(len(y))
    X = np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1)
    return X.astype(dtype), y


def make_blobs(n_per_class: int = 100, n_classes: int = 3, n_features: int = 2,
               std: float = 1.0, seed=0, center_box: tuple = (-5.0, 5.0), dtype=np.float32):
    """Gaussian blobs: class k is ``center_k + std * N(0, I)``, centers uniform in ``center_box``.

    Returns X (n_classes * n_per_class, n_features) and y; the centers are drawn from the same
    seeded generator, so one seed fixes the whole set.
    """
    _check_positive_int("make_blobs", n_per_class=n_per_class, n_classes=n_classes,
                        n_features=n_features)
    if not (isinstance(std, numbers.Real) and std >= 0):
        raise ValueError(f"make_blobs: std must be a number >= 0, got {std!r}")
    if not (np.shape(center_box) == (2,) and all(isinstance(v, numbers.Real) for v in center_box)
            and center_box[0] <= center_box[1]):
        raise ValueError(f"make_blobs: center_box must be (low, high) with low <= high, got "
                         f"{center_box!r}")
    low, high = center_box
    rng = seeded_generator(seed, "make_blobs")
    centers = rng.uniform(low, high, size=(n_classes, n_features))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    X = centers[y] + std * rng.standard_normal((len(y), n_features))
    return X.astype(dtype), y


def _check_positive_int(function: str, **values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{function}: {name} must be an int >= 1, got {value!r}")
