"""Preprocessing for linear classifiers, as in CS231n: flatten, center, scale, bias trick.

Small pure functions on numpy arrays; none modifies its input. Statistics (the mean, the std)
are always computed on the training set only and applied unchanged to the test set, which is
why the functions that compute one take ``(X_train, X_test)`` and also return the statistic.
``preprocess`` chains them in the usual order.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["flatten", "subtract_mean", "scale", "add_bias_column", "preprocess"]


def flatten(X) -> np.ndarray:
    """(N, d1, d2, ...) -> (N, d1*d2*...): one row per sample (an image becomes a vector)."""
    X = np.asarray(X)
    if X.ndim == 0:
        raise ValueError("flatten: expected an array with a first (sample) dimension, got a scalar")
    return X.reshape(len(X), math.prod(X.shape[1:]))  # not -1: N may be 0


def subtract_mean(X_train, X_test=None):
    """Center the data on the training mean: returns ``(X_train - mu, X_test - mu, mu)``.

    ``mu = X_train.mean(axis=0)`` has the shape of one sample (for images: the mean image).
    ``X_test`` may be None (then None is returned in its place).
    """
    X_train, X_test = _train_and_test(X_train, X_test, "subtract_mean")
    mean = X_train.mean(axis=0)
    X_test = None if X_test is None else X_test - mean
    return X_train - mean, X_test, mean


def scale(X_train, X_test=None, by="std", eps: float = 1e-8):
    """Divide by a scale: returns ``(X_train / s, X_test / s, s)``.

    ``by="std"``: ``s = X_train.std(axis=0)`` per feature (after ``subtract_mean`` this
    standardizes each feature), except that a feature constant on the training set (all values
    equal, or std below ``eps``; e.g. a pixel that is always 0) keeps scale 1; a number (e.g. 255
    for bytes, 16 for the digits' pixels): ``s`` is that number.
    """
    by_std = isinstance(by, str) and by == "std"
    X_train, X_test = _train_and_test(X_train, X_test, "scale", statistic=by_std)
    if by_std:
        std = X_train.std(axis=0)
        # Rounding leaves a constant float32 feature a std of a few 1e-8, and eps rounds to 0
        # in float16: also test equality, and compare with eps in float64.
        constant = (std.astype(np.float64) < eps) | (X_train.max(axis=0) == X_train.min(axis=0))
        s = np.where(constant, 1, std).astype(X_train.dtype)
    elif isinstance(by, numbers.Real) and not isinstance(by, bool) and by > 0:
        s = np.asarray(by, dtype=X_train.dtype)
    else:
        raise ValueError(f"scale: by must be 'std' or a positive number, got {by!r}")
    X_test = None if X_test is None else X_test / s
    return X_train / s, X_test, s


def add_bias_column(X) -> np.ndarray:
    """The bias trick: (N, D) -> (N, D+1) with a last column of ones.

    Then ``X @ W`` with W of shape (D+1, K) is ``X[:, :D] @ W[:D] + W[D]``: the bias is the last
    row of W and needs no separate parameter.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"add_bias_column: expected a 2-d (N, D) array, got shape {X.shape}")
    return np.hstack([X, np.ones((len(X), 1), dtype=X.dtype)])


def preprocess(X_train, X_test, *, center: bool = True, scale_by=None, bias: bool = False,
               dtype=np.float32):
    """flatten -> cast to ``dtype`` -> subtract the training mean -> scale -> bias column.

    Args:
        X_train: (N, ...) training samples; X_test: (M, ...) test samples.
        center: subtract the training set's mean sample.
        scale_by: None, "std" or a positive number (see ``scale``).
        bias: append a column of ones (see ``add_bias_column``).
    Returns ``(X_train, X_test)`` of shapes (N, D) and (M, D) (D+1 with ``bias``).
    """
    X_train = flatten(X_train).astype(dtype)
    X_test = flatten(X_test).astype(dtype)
    if X_train.shape[1:] != X_test.shape[1:]:
        raise ValueError(
            f"preprocess: training and test samples differ in size: {X_train.shape} vs "
            f"{X_test.shape} after flattening")
    if center:
        X_train, X_test, _ = subtract_mean(X_train, X_test)
    if scale_by is not None:
        X_train, X_test, _ = scale(X_train, X_test, by=scale_by)
    if bias:
        X_train, X_test = add_bias_column(X_train), add_bias_column(X_test)
    return X_train, X_test


def _train_and_test(X_train, X_test, function: str, statistic: bool = True):
    """Both as float arrays: test samples of the training shape, training samples to compute a
    ``statistic`` from (an empty training set would give NaN)."""
    X_train = _float_array(X_train, function)
    if X_train.ndim == 0:
        raise ValueError(f"{function}: expected an array with a first (sample) dimension, got a "
                         "scalar")
    if statistic and len(X_train) == 0:
        raise ValueError(f"{function}: the statistic needs at least one training sample, got "
                         f"X_train of shape {X_train.shape}")
    if X_test is not None:
        X_test = _float_array(X_test, function)
        if X_test.shape[1:] != X_train.shape[1:] or X_test.ndim == 0:
            raise ValueError(
                f"{function}: test samples must have the shape of the training samples, got "
                f"X_train of shape {X_train.shape} and X_test of shape {X_test.shape}")
    return X_train, X_test


def _float_array(X, function: str) -> np.ndarray:
    """The data as a float array (integers such as uint8 pixels become float64)."""
    X = np.asarray(X)
    if X.dtype.kind == "f":
        return X
    if X.dtype.kind in "biu":
        return X.astype(np.float64)
    raise TypeError(f"{function}: expected numbers, got an array of dtype {X.dtype}")
