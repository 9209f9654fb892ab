"""Feeding data to a model: data sets, mini-batches, preprocessing.

* ``Dataset``, ``TensorDataset``, ``DataLoader``, ``default_collate``: PyTorch-style batching.
* ``minigrad.data.datasets``: ``load_digits``, ``load_cifar10``, ``make_spiral``, ``make_blobs``
  (also importable from here).
* ``split_train_test`` and ``TrainTestSplit``: the ``(X_train, y_train, X_test, y_test)`` split.
* ``flatten``, ``subtract_mean``, ``scale``, ``add_bias_column``, ``preprocess``.
* ``DataFileError``, ``UnsafePickleError``: what a bad data file raises.

Only numpy is imported here; scikit-learn is imported by ``load_digits`` when called.
"""
from . import datasets
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import Dataset, TensorDataset
from .datasets import (CIFAR10_CLASSES, load_cifar10, load_cifar10_classes, load_digits,
                       make_blobs, make_spiral)
from .errors import DataFileError, UnsafePickleError
from .preprocessing import add_bias_column, flatten, preprocess, scale, subtract_mean
from .split import TrainTestSplit, split_train_test

__all__ = [
    "Dataset", "TensorDataset", "DataLoader", "default_collate", "datasets",
    "load_digits", "load_cifar10", "load_cifar10_classes", "CIFAR10_CLASSES",
    "make_spiral", "make_blobs", "TrainTestSplit", "split_train_test",
    "flatten", "subtract_mean", "scale", "add_bias_column", "preprocess",
    "DataFileError", "UnsafePickleError",
]
