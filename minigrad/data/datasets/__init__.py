"""Data sets: real ones (digits, CIFAR-10 from local files) and synthetic ones.

Real data sets return a ``TrainTestSplit``, which unpacks as ``X_train, y_train, X_test, y_test``
(numpy arrays, y as int64) and carries ``.classes``; synthetic makers return ``(X, y)`` (split
them with ``minigrad.data.split_train_test``).
"""
from .cifar10 import CIFAR10_CLASSES, load_cifar10, load_cifar10_classes
from .digits import load_digits
from .synthetic import make_blobs, make_spiral

__all__ = ["load_digits", "load_cifar10", "load_cifar10_classes", "CIFAR10_CLASSES",
           "make_spiral", "make_blobs"]
