"""Approach 2, the numeric gradient: nudge each weight by h and watch the loss move.

For one weight w_i the slope of the loss is approximately

    dL/dw_i  ~=  (L(W + h e_i) - L(W - h e_i)) / 2h

(the article writes the one-sided (L(W + h) - L(W)) / h; the central form costs one more
evaluation and is far more accurate). ``numerical_grad(..., verbose=True)`` prints the
article's W / W+h / dW table for the first weights of the digits classifier (scores = X @ W.T,
W of shape (10, 65)): pixel 0 is blank in every image, so its weight does not move the loss
and its dW is 0, like the article's third row.

Then the point of the chapter: it is slow. One gradient costs 1 + 2 x 650 loss evaluations,
and ``numerical_backward`` (a drop-in for ``loss.backward()``) lets SGD train on it, measured.

    python examples/02_numeric_gradient.py [--steps 3]
"""
import argparse
import time

import numpy as np

import minigrad as mg
from digits_classifier import load, small_random_weights, softmax_loss
from minigrad.gradcheck import numerical_backward, numerical_grad
from minigrad.optim import SGD


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="SGD steps on the numeric gradient")
    args = parser.parse_args()

    X, y, _, _ = load(dtype=np.float64)  # finite differences want float64
    W = small_random_weights()

    def loss_of(W):
        return softmax_loss(X, y, W)

    h = 1e-4
    base = loss_of(W).item()
    with mg.no_grad():
        W.data[0, 1] += h
        nudged = loss_of(W).item()
        W.data[0, 1] -= h
    print(f"the article's one-sided slope for W[0, 1]: (L(W+h) - L(W)) / h = "
          f"({nudged:.8f} - {base:.8f}) / {h:g} = {(nudged - base) / h:.6f}")

    start = time.perf_counter()
    grad = numerical_grad(loss_of, W, eps=h, verbose=True)
    numeric_seconds = time.perf_counter() - start
    print(f"one numeric gradient: {grad.size} weights, {1 + 2 * grad.size} loss evaluations, "
          f"{numeric_seconds * 1e3:.0f} ms")
    print(f"(the article's CIFAR-10 classifier, W of 10 x 3073, would need {1 + 2 * 10 * 3073} "
          "loss evaluations per step, each over 50,000 images)")

    optimizer = SGD([W], lr=0.5)
    print(f"SGD on the numeric gradient (numerical_backward instead of loss.backward()), "
          f"{args.steps} steps:")
    losses = []
    for step in range(1, args.steps + 1):
        optimizer.zero_grad()
        start = time.perf_counter()
        result = numerical_backward(lambda: loss_of(W), [W], eps=h)
        optimizer.step()
        optimizer.evaluations.add(loss=result.loss_evaluations)
        losses.append(result.loss)
        print(f"  step {step}: loss {result.loss:.4f} | {result.loss_evaluations} loss "
              f"evaluations | {time.perf_counter() - start:.2f} s")
    final = loss_of(W).item()
    print(f"numeric-gradient SGD: loss {losses[0]:.4f} -> {final:.4f} after {args.steps} steps, "
          f"{optimizer.evaluations.loss} loss evaluations in all")


if __name__ == "__main__":
    main()
