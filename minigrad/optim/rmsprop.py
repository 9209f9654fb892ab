"""RMSprop: steps scaled by a running RMS of the gradient (``torch.optim.RMSprop``)."""
from __future__ import annotations

import numpy as np

from . import _checks
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, exactly as ``torch.optim.RMSprop``.

    Algorithm (γ = lr, α = alpha, ε = eps, λ = weight_decay, μ = momentum); state
    ``square_avg`` v, ``grad_avg`` ḡ (if centered) and ``momentum_buffer`` b (if μ > 0) start
    at zero, ``step`` counts the updates::

        g ← -∇f(θ) if maximize else ∇f(θ)
        if λ ≠ 0:  g ← g + λ θ
        v ← α v + (1 - α) g²
        if centered:  ḡ ← α ḡ + (1 - α) g;   d ← √(v - ḡ²) + ε
        else:         d ← √v + ε
        if μ > 0:     b ← μ b + g / d;       θ ← θ - γ b
        else:         θ ← θ - γ g / d

    Defaults: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    maximize=False.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group):
        _checks.check_group("RMSprop", group,
                            non_negatives=("lr", "eps", "momentum", "weight_decay", "alpha"),
                            flags=("centered", "maximize"))

    def _init_state(self, state, param, group):
        state["step"] = 0
        state["square_avg"] = np.zeros_like(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)

    def _update(self, param, grad, state, group):
        state["step"] += 1
        g = self._regularized_grad(param, grad, group["maximize"], group["weight_decay"])
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        tmp = self._scratch(param, 1)
        square_avg *= alpha
        np.multiply(g, g, out=tmp)
        tmp *= 1 - alpha
        square_avg += tmp                              # v ← α v + (1-α) g²
        if group["centered"]:
            grad_avg = state["grad_avg"]
            np.subtract(g, grad_avg, out=tmp)
            tmp *= 1 - alpha
            grad_avg += tmp                            # ḡ ← ḡ + (1-α)(g - ḡ)
            np.multiply(grad_avg, grad_avg, out=tmp)
            np.subtract(square_avg, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(square_avg, out=tmp)
        tmp += group["eps"]                            # d
        np.divide(g, tmp, out=tmp)                     # g / d
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += tmp
            np.multiply(buf, group["lr"], out=tmp)
        else:
            tmp *= group["lr"]
        param -= tmp
