"""``minigrad demo``: train a tiny softmax classifier with the core engine and print the loss falling.

Three Gaussian blobs in 2-D, a weight matrix and a bias, plain gradient descent: the smallest
complete use of ``Tensor``, ``backward()`` and ``.grad``.
"""
import argparse
import math

import numpy as np

import minigrad as mg


def add_arguments(parser):
    parser.add_argument("--steps", type=_count("--steps"), default=100,
                        help="gradient descent steps")
    parser.add_argument("--lr", type=_learning_rate, default=0.5, help="learning rate")
    parser.add_argument("--seed", type=_count("--seed"), default=0)


def _count(flag: str):
    """An argparse type: a whole number >= 0 (a negative seed or step count is refused)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < 0:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number >= 0, got {text!r}")
        return value
    return parse


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"--lr must be a finite number > 0, got {text!r}")
    return value


def train(steps=100, lr=0.5, seed=0, log_every=10, echo=print):
    """Fit a softmax classifier to three blobs; return the list of losses."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    y = np.repeat(np.arange(3), 50)
    X = mg.Tensor(centers[y] + rng.standard_normal((150, 2)) * 0.6)
    onehot = mg.Tensor(np.eye(3)[y])
    W = mg.tensor(rng.standard_normal((2, 3)) * 0.01, requires_grad=True)
    b = mg.zeros(3, dtype=np.float64, requires_grad=True)
    losses = []
    for step in range(steps + 1):
        logp = (X @ W + b).log_softmax(axis=1)
        loss = -(onehot * logp).sum() / len(y)
        W.grad = b.grad = None
        loss.backward()
        with mg.no_grad():
            W.data -= lr * W.grad.data
            b.data -= lr * b.grad.data
        losses.append(loss.item())
        if step % log_every == 0:
            acc = (logp.data.argmax(axis=1) == y).mean()
            echo(f"step {step:4d}  loss {loss.item():.4f}  accuracy {acc:.1%}")
    return losses


def main(args) -> int:
    losses = train(args.steps, args.lr, args.seed)
    print(f"loss fell from {losses[0]:.4f} (ln 3 = {np.log(3):.4f}) to {losses[-1]:.4f}")
    return 0
