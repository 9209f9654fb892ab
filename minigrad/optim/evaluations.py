"""Counting what an optimizer paid for: loss evaluations and gradient evaluations.

Comparing optimizers by steps alone hides their cost: random search evaluates the loss once per
step and never differentiates; a finite-difference gradient costs 2n loss evaluations (n = the
number of parameters); backpropagation costs about one extra pass. Every optimizer carries an
``Evaluations`` counter that its base class keeps up to date:

* ``step(closure)`` calls the closure once: one loss evaluation, plus one gradient evaluation for
  gradient-based optimizers (the closure is expected to call ``backward``);
* ``step()`` without a closure on a gradient-based optimizer: one gradient evaluation (the
  caller computed the loss and its gradient before calling ``step``);
* ``RandomSearch.step(closure)``: one loss evaluation, no gradient.

Work the optimizer cannot see is added by hand, e.g. the loss evaluations a numerical gradient
used: ``optimizer.evaluations.add(loss=n)``.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

__all__ = ["Evaluations"]


@dataclass
class Evaluations:
    """How many loss and gradient evaluations an optimizer used so far."""

    loss: int = 0
    grad: int = 0

    def add(self, loss: int = 0, grad: int = 0) -> "Evaluations":
        """Count ``loss`` more loss evaluations and ``grad`` more gradient evaluations."""
        for name, value in (("loss", loss), ("grad", grad)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(
                    f"Evaluations.add: {name} must be a whole number of evaluations, "
                    f"got {value!r} ({type(value).__name__})")
            if value < 0:
                raise ValueError(f"Evaluations.add: {name} must be >= 0, got {value}")
        self.loss += int(loss)
        self.grad += int(grad)
        return self

    def reset(self) -> None:
        """Start counting from zero again."""
        self.loss = 0
        self.grad = 0
