"""Checks of optimizer hyperparameters, with PyTorch's rules and messages that name the value.

Each optimizer validates every parameter group it receives (the constructor's defaults, a group
given to ``add_param_group`` and the groups of a loaded state dict), so a bad value is rejected
before anything changes.
"""
from __future__ import annotations

import numbers

import numpy as np


def _real(owner: str, name: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r} "
                        f"({type(value).__name__})")
    return value


def non_negative(owner: str, name: str, value, what: str) -> None:
    """``value >= 0`` (NaN fails too), e.g. ``non_negative("SGD", "lr", -1, "learning rate")``."""
    if not _real(owner, name, value) >= 0:
        raise ValueError(f"{owner}: invalid {what}: {name}={value!r} (must be >= 0)")


def flag(owner: str, name: str, value) -> None:
    """A True/False option such as ``nesterov`` or ``amsgrad``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r} "
                        f"({type(value).__name__})")


def betas(owner: str, value) -> None:
    """Two decay rates, each in [0, 1)."""
    try:
        pair = tuple(value)
    except TypeError:
        pair = None
    if pair is None or len(pair) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {value!r}")
    for i, beta in enumerate(pair):
        if not 0.0 <= _real(owner, f"betas[{i}]", beta) < 1.0:
            raise ValueError(f"{owner}: invalid beta parameter at index {i}: "
                             f"betas[{i}]={beta!r} (must be in [0, 1))")


_DESCRIPTIONS = {"lr": "learning rate", "eps": "epsilon value", "momentum": "momentum value",
                 "weight_decay": "weight_decay value", "alpha": "alpha value",
                 "lr_decay": "lr_decay value", "std": "standard deviation",
                 "initial_accumulator_value": "initial_accumulator_value"}


def check_group(owner: str, group: dict, non_negatives=(), flags=()) -> None:
    """Check that the named hyperparameters of ``group`` are >= 0, resp. True/False."""
    for name in non_negatives:
        non_negative(owner, name, group[name], _DESCRIPTIONS.get(name, name))
    for name in flags:
        flag(owner, name, group[name])


def plain(value):
    """A hyperparameter read back from a file, as the Python value it was saved from.

    ``np.load`` gives 0-d arrays, numpy scalars and 1-d arrays where the optimizer had floats,
    bools, strings and tuples (``betas``); turn them back so the checks and the update rules see
    ordinary Python values.
    """
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else tuple(plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return tuple(plain(v) for v in value)
    return value
