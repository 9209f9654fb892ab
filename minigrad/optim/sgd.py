"""Stochastic gradient descent, optionally with (Nesterov) momentum: ``torch.optim.SGD``."""
from __future__ import annotations

import numpy as np

from . import _checks
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Gradient descent with optional momentum, exactly as ``torch.optim.SGD``.

    Algorithm (γ = lr, μ = momentum, τ = dampening, λ = weight_decay), for t = 1, 2, ...::

        g ← -∇f(θ) if maximize else ∇f(θ)
        if λ ≠ 0:  g ← g + λ θ
        if μ ≠ 0:
            b ← g                      if t = 1  (state 'momentum_buffer')
            b ← μ b + (1 - τ) g        otherwise
            g ← g + μ b  if nesterov else  b
        θ ← θ - γ g

    Defaults: lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False.
    Nesterov momentum needs momentum > 0 and dampening = 0.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_group(self, group):
        _checks.check_group("SGD", group, non_negatives=("lr", "momentum", "weight_decay"),
                            flags=("nesterov", "maximize"))
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update(self, param, grad, state, group):
        g = self._regularized_grad(param, grad, group["maximize"], group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=param.dtype, copy=True)
            else:
                buf *= momentum
                dampening = group["dampening"]
                if dampening == 0:
                    buf += g
                else:
                    tmp = self._scratch(param, 1)
                    np.multiply(g, 1 - dampening, out=tmp)
                    buf += tmp
            if group["nesterov"]:
                step = self._scratch(param, 1)
                np.multiply(buf, momentum, out=step)
                step += g                         # g + μ b
                g = step
            else:
                g = buf
        step = self._scratch(param, 1)
        np.multiply(g, group["lr"], out=step)
        param -= step
