"""The classifier that examples 01-05 train, each with another optimizer: the article's L(X, y, W).

A linear softmax classifier on the handwritten digits bundled with scikit-learn (8x8 pixels,
10 classes; 1437 training and 360 test images):

    scores = X @ W.T      X: (N, 65): 64 standardized pixels and a column of ones (bias trick)
                          W: (10, 65): one row of weights per class, as in the article
    L      = mean over samples of -log softmax(scores)[true class]   (ln 10 = 2.3026 at W = 0)

Not an example itself (it prints nothing): the numbered scripts import it.
"""
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.data import load_digits, preprocess


def load(dtype=np.float32):
    """``X_train, y_train, X_test, y_test``: X as Tensors of shape (N, 65), y as int arrays.

    Each pixel is centered and scaled by its mean and std on the training set (a pixel that is
    blank in every training image, like pixel 0, stays 0); the last column is all ones.
    """
    X_train, y_train, X_test, y_test = load_digits(dtype=dtype)
    X_train, X_test = preprocess(X_train, X_test, scale_by="std", bias=True, dtype=dtype)
    return mg.Tensor(X_train), y_train, mg.Tensor(X_test), y_test


def softmax_loss(X, y, W):
    """The mean cross-entropy of the scores X @ W.T against the classes y."""
    return F.cross_entropy(X @ W.T, y)


def accuracy(X, y, W) -> float:
    """The fraction of samples whose highest score is their class."""
    return float(((X @ W.T).numpy().argmax(axis=1) == y).mean())


def small_random_weights(dtype=np.float64, seed: int = 0, scale: float = 0.01):
    """W ~ N(0, scale^2) of shape (10, 65), requiring grad: a start where the loss is near
    ln 10 and every gradient entry is non-trivial."""
    rng = np.random.default_rng(seed)
    return mg.Tensor((rng.standard_normal((10, 65)) * scale).astype(dtype), requires_grad=True)
