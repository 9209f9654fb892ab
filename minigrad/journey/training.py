"""The one training loop every stage goes through, so that the stages compare on equal terms.

``train(optimizer, classifier, batches, steps, gradient)`` calls ``optimizer.step(closure)``
``steps`` times and measures the same things for every optimizer: wall time, the loss the
optimizer reported after each step, loss and gradient evaluations (the optimizer's
``evaluations`` counter) and the training rows those evaluations read (the classifier's own
counter). Only the closure differs, by where the gradient comes from:

* ``"none"``: the closure returns the loss; nothing is differentiated (random search);
* ``"numeric"``: central differences, ``numerical_backward``: 1 + 2 loss evaluations per
  parameter element, added to the optimizer's counter by hand (it sees one closure call);
* ``"backward"``: ``loss.backward()``: one loss and one gradient evaluation.
"""
from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass, field

from ..gradcheck import numerical_backward
from ..tensor import Tensor

__all__ = ["GRADIENTS", "Run", "train", "make_closure", "full_batch", "mini_batches",
           "progress_bar"]

GRADIENTS = ("none", "numeric", "backward")


@dataclass
class Run:
    """What one call of ``train`` cost and how the loss went."""

    steps: int
    loss_evaluations: int
    grad_evaluations: int
    samples: int                 # training rows read by the loss evaluations
    seconds: float
    curve: list = field(default_factory=list)    # loss reported after each step
    samples_after: list = field(default_factory=list)  # cumulative rows read after each step

    @property
    def seconds_per_step(self) -> float:
        return self.seconds / self.steps if self.steps else float("nan")


def make_closure(optimizer, classifier, X, y, gradient: str):
    """The closure ``optimizer.step`` calls on the batch (X, y), for a gradient source."""
    if gradient == "none":
        return lambda: classifier.loss(X, y)
    if gradient == "backward":
        def closure():
            optimizer.zero_grad()
            loss = classifier.loss(X, y)
            loss.backward()
            return loss
        return closure
    if gradient == "numeric":
        def closure():
            optimizer.zero_grad()
            result = numerical_backward(lambda: classifier.loss(X, y), [classifier.W])
            # the optimizer counts this closure call as one loss evaluation; add the others
            optimizer.evaluations.add(loss=result.loss_evaluations - 1)
            return result.loss
        return closure
    raise ValueError(f"make_closure: gradient must be one of {', '.join(GRADIENTS)}, "
                     f"got {gradient!r}")


def full_batch(X, y):
    """Every step sees the whole training set (gradient descent)."""
    return itertools.repeat((X, y))


def mini_batches(loader):
    """The loader's batches, epoch after epoch, for as many steps as asked."""
    while True:
        yield from loader


def train(optimizer, classifier, batches, steps: int, gradient: str, progress=None) -> Run:
    """Take ``steps`` optimizer steps on batches drawn from ``batches``; returns a ``Run``.

    ``progress``: None, or a bar with ``update()`` and ``close()`` (see ``progress_bar``).
    """
    if gradient not in GRADIENTS:
        raise ValueError(f"train: gradient must be one of {', '.join(GRADIENTS)}, "
                         f"got {gradient!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"train: steps must be an int >= 0, got {steps!r}")
    loss0, grad0 = optimizer.evaluations.loss, optimizer.evaluations.grad
    samples0 = classifier.samples
    curve, samples_after = [], []
    start = time.perf_counter()
    for X, y in itertools.islice(batches, steps):
        loss = optimizer.step(make_closure(optimizer, classifier, X, y, gradient))
        curve.append(loss.item() if isinstance(loss, Tensor) else float(loss))
        samples_after.append(classifier.samples - samples0)
        if progress is not None:
            progress.update()
    seconds = time.perf_counter() - start
    if progress is not None:
        progress.close()
    return Run(steps=len(curve),
               loss_evaluations=optimizer.evaluations.loss - loss0,
               grad_evaluations=optimizer.evaluations.grad - grad0,
               samples=classifier.samples - samples0, seconds=seconds, curve=curve,
               samples_after=samples_after)


def progress_bar(total: int, description: str, enabled: bool):
    """A tqdm bar on stderr (tqdm imported only here), or None when disabled."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError("progress bars need tqdm: pip install 'minigrad[progress]' (or run "
                          "with --no-progress)") from exc
    return tqdm(total=total, desc=description, leave=False, file=sys.stderr, unit="step")
