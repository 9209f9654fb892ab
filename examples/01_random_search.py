"""Approach 1, random search: guess weights, keep the best guess.

The article's first optimizer needs nothing but loss values. Its loop, on the linear softmax
classifier of the handwritten digits (``digits_classifier.py``: scores = X @ W.T, W of shape
(10, 65), L = mean cross-entropy):

    for n in range(attempts):
        W = np.random.randn(10, 65) * 0.0001
        loss = L(X_train, y_train, W)
        if loss < min_loss: min_loss, min_W = loss, W

Global search (the article's loop): every attempt draws a fresh W ~ N(0, 0.0001^2) and keeps it
if its loss beats the best so far. Local search then perturbs the best W (a random walk that
only takes steps downhill). Both are ``minigrad.optim.RandomSearch``, stepped with a closure
that returns the loss: one loss evaluation per attempt, no gradient ever.

Expect: global search about 26% test accuracy (chance is 10%; the article got 16% on CIFAR-10),
local search about 85%; gradient descent (04, 05) beats both.

    python examples/01_random_search.py [--attempts 1000]
"""
import argparse

import numpy as np

import minigrad as mg
from digits_classifier import accuracy, load, softmax_loss
from minigrad.optim import RandomSearch


def search(W, X, y, attempts: int, **options) -> float:
    """Run ``attempts`` random-search steps, printing the best loss now and then."""
    optimizer = RandomSearch([W], **options)
    best, improvements = float("inf"), 0
    for attempt in range(1, attempts + 1):
        loss = optimizer.step(lambda: softmax_loss(X, y, W))  # returns the best loss
        improvements += loss < best
        best = loss
        if attempt in (1, 10, 100, attempts) or attempt % 250 == 0:
            print(f"  attempt {attempt:5d} | min loss {best:.4f} | improvements {improvements}")
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1000, help="attempts per search")
    args = parser.parse_args()

    X_train, y_train, X_test, y_test = load()
    W = mg.zeros(10, X_train.shape[1])  # no requires_grad: random search never differentiates
    print(f"digits: {len(y_train)} training and {len(y_test)} test images, W of shape {W.shape}")
    print(f"chance: 10% accuracy, loss ln(10) = {np.log(10):.4f}")

    print(f"global random search, {args.attempts} attempts (W ~ N(0, 0.0001^2) each time)")
    search(W, X_train, y_train, args.attempts, std=1e-4, mode="global", seed=0)
    print(f"global random search: train accuracy {accuracy(X_train, y_train, W):.1%}, "
          f"test accuracy {accuracy(X_test, y_test, W):.1%}")

    print(f"local random search, {args.attempts} attempts (best W + N(0, 0.02^2))")
    search(W, X_train, y_train, args.attempts, std=0.02, mode="local", seed=1)
    print(f"local random search: train accuracy {accuracy(X_train, y_train, W):.1%}, "
          f"test accuracy {accuracy(X_test, y_test, W):.1%}")


if __name__ == "__main__":
    main()
