"""Adam and AdamW: momentum plus RMS scaling with bias correction (``torch.optim.Adam/AdamW``).

AdamW is Adam with the weight decay *decoupled* from the gradient (the parameters shrink by
``lr * weight_decay`` directly instead of through the moment estimates); both share one update.
"""
from __future__ import annotations

import numpy as np

from . import _checks
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam, exactly as ``torch.optim.Adam``.

    Algorithm (γ = lr, β₁, β₂ = betas, ε = eps, λ = weight_decay); state ``exp_avg`` m,
    ``exp_avg_sq`` v (and ``max_exp_avg_sq`` v̂ with amsgrad) start at zero, ``step`` t at 0
    and advances once per ``step()``::

        t ← t + 1
        g ← -∇f(θ) if maximize else ∇f(θ)
        if λ ≠ 0:
            if decoupled_weight_decay:  θ ← θ (1 - γ λ)      (AdamW)
            else:                       g ← g + λ θ           (L2 penalty)
        m ← β₁ m + (1 - β₁) g
        v ← β₂ v + (1 - β₂) g²
        if amsgrad:  v̂ ← max(v̂, v);  u ← v̂   else  u ← v
        θ ← θ - γ / (1 - β₁ᵗ) · m / (√u / √(1 - β₂ᵗ) + ε)

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
    maximize=False, decoupled_weight_decay=False.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        if isinstance(betas, list):
            betas = tuple(betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_group(self, group):
        owner = type(self).__name__
        _checks.check_group(owner, group, non_negatives=("lr", "eps", "weight_decay"),
                            flags=("amsgrad", "maximize", "decoupled_weight_decay"))
        _checks.betas(owner, group["betas"])

    def _init_state(self, state, param, group):
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)

    def _update(self, param, grad, state, group):
        state["step"] += 1
        t = state["step"]
        lr, weight_decay = group["lr"], group["weight_decay"]
        if group["decoupled_weight_decay"]:
            g = self._regularized_grad(param, grad, group["maximize"], 0)
            if weight_decay != 0:
                param *= 1 - lr * weight_decay
        else:
            g = self._regularized_grad(param, grad, group["maximize"], weight_decay)
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        tmp = self._scratch(param, 1)
        np.subtract(g, exp_avg, out=tmp)
        tmp *= 1 - beta1
        exp_avg += tmp                               # m ← m + (1-β₁)(g - m)
        exp_avg_sq *= beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq += tmp                            # v ← β₂ v + (1-β₂) g²
        step_size = lr / (1 - beta1 ** t)
        bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
        if group["amsgrad"]:
            second_moment = state["max_exp_avg_sq"]
            np.maximum(second_moment, exp_avg_sq, out=second_moment)
        else:
            second_moment = exp_avg_sq
        np.sqrt(second_moment, out=tmp)
        tmp /= bias_correction2_sqrt
        tmp += group["eps"]                          # denominator
        np.divide(exp_avg, tmp, out=tmp)
        tmp *= step_size
        param -= tmp


class AdamW(Adam):
    r"""AdamW, exactly as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    Same algorithm as :class:`Adam` with ``decoupled_weight_decay=True``: each step first
    shrinks the parameters, θ ← θ (1 - γ λ), and the moments see only the gradient.

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
    maximize=False.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def _check_group(self, group):
        super()._check_group(group)
        if not group["decoupled_weight_decay"]:
            raise ValueError("AdamW always decouples the weight decay "
                             "(decoupled_weight_decay=False was given): use Adam for the "
                             "L2-penalty form")
