"""The handwritten digits that ship with scikit-learn: the project's default data set.

1797 grayscale images of 8x8 pixels (values 0..16), 10 classes (the digits 0-9), about 180 per
class: small enough to train on in seconds, real enough to show overfitting and optimizer
differences. The data is bundled with scikit-learn, so nothing is downloaded.
"""
from __future__ import annotations

import numpy as np

from ..split import TrainTestSplit, split_train_test

__all__ = ["load_digits"]


def load_digits(test_size: float = 0.2, seed=0, dtype=np.float32) -> TrainTestSplit:
    """``X_train, y_train, X_test, y_test = load_digits()``: a stratified, seeded split.

    X has shape (N, 64) (each 8x8 image flattened row by row), raw pixel intensities 0..16 as
    ``dtype`` (float32 by default, minigrad's default float; no scaling or centering: see
    ``minigrad.data.preprocess``); y is int64 in 0..9. With the default ``test_size=0.2`` the
    split is 1437 training and 360 test images, each class in the same proportion in both. The
    result also carries ``.classes`` = ``("0", ..., "9")``.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as exc:
        raise ImportError(
            "load_digits needs scikit-learn, which ships the digits data: "
            "pip install 'minigrad[data]'") from exc
    X, y = sklearn_load_digits(return_X_y=True)
    return split_train_test(X.astype(dtype), y.astype(np.int64), test_size=test_size,
                            seed=seed, stratify=True, classes=tuple(str(d) for d in range(10)))
