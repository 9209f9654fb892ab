"""Adagrad: per-coordinate steps from the sum of squared gradients (``torch.optim.Adagrad``)."""
from __future__ import annotations

import numpy as np

from . import _checks
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, exactly as ``torch.optim.Adagrad``.

    Algorithm (γ = lr, η = lr_decay, λ = weight_decay, ε = eps), state ``sum`` starting at
    ``initial_accumulator_value`` and ``step`` at 0::

        t ← t + 1
        g ← -∇f(θ) if maximize else ∇f(θ)
        if λ ≠ 0:  g ← g + λ θ
        γ̃ ← γ / (1 + (t - 1) η)
        sum ← sum + g²
        θ ← θ - γ̃ g / (√sum + ε)

    Defaults: lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    maximize=False. Like PyTorch, the state of every parameter exists from construction on.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))

    def _check_group(self, group):
        _checks.check_group("Adagrad", group,
                            non_negatives=("lr", "lr_decay", "weight_decay",
                                           "initial_accumulator_value", "eps"),
                            flags=("maximize",))

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(self.state[p], p.data, group)

    def _init_state(self, state, param, group):
        state["step"] = 0
        state["sum"] = np.full_like(param, group["initial_accumulator_value"])

    def _update(self, param, grad, state, group):
        state["step"] += 1
        g = self._regularized_grad(param, grad, group["maximize"], group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        tmp = self._scratch(param, 1)
        np.multiply(g, g, out=tmp)
        state["sum"] += tmp
        np.sqrt(state["sum"], out=tmp)
        tmp += group["eps"]                   # std = √sum + ε
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        param -= tmp
