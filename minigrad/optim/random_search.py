"""Random search: the gradient-free baseline (CS231n's "approach 1") behind the optimizer API.

Each step proposes new parameters, evaluates the loss once and keeps the proposal only if it
beats the best loss seen so far; otherwise the best parameters are put back. It never computes
a gradient, so ``evaluations.grad`` stays 0 and each step costs exactly one loss evaluation.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import mark_changed, no_grad
from ..random import default_generator
from ..tensor import Tensor
from . import _checks
from ._checks import plain
from .optimizer import Optimizer

__all__ = ["RandomSearch"]

_MODES = ("global", "local")
_MASK64 = (1 << 64) - 1


def _encode_generator(rng: np.random.Generator) -> np.ndarray:
    """The state of a PCG64 generator as 6 uint64 numbers (storable without pickle)."""
    s = rng.bit_generator.state
    state, inc = s["state"]["state"], s["state"]["inc"]
    return np.array([state >> 64, state & _MASK64, inc >> 64, inc & _MASK64,
                     s["has_uint32"], s["uinteger"]], dtype=np.uint64)


def _decode_generator(words: np.ndarray) -> dict:
    w = [int(x) for x in words]
    return {"bit_generator": "PCG64",
            "state": {"state": (w[0] << 64) | w[1], "inc": (w[2] << 64) | w[3]},
            "has_uint32": w[4], "uinteger": w[5]}


class RandomSearch(Optimizer):
    r"""Random search over the parameters, needing only loss values.

    Algorithm (σ = std), with L* = +∞ and θ* = the initial parameters::

        global:  θ ← ε,       ε ~ N(0, σ²) drawn fresh for every entry
        local:   θ ← θ* + ε,  ε ~ N(0, σ²)
        L ← closure()                         (evaluated without recording a graph)
        if L < L*:  L*, θ* ← L, θ             else:  θ ← θ*
        return L*

    ``step(closure)`` requires the closure (it just returns the loss; no ``backward`` needed)
    and returns the best loss so far as a float; the parameters always hold the best point
    found. The best loss never increases; a NaN loss is never accepted. ``seed`` makes the
    draws reproducible; without it they come from minigrad's generator (``mg.manual_seed``).
    The state dict holds each parameter's ``best`` and, with the first parameter,
    ``best_loss`` and the generator's state, so a loaded search continues identically.
    """

    uses_gradient = False

    def __init__(self, params, std: float = 1e-3, mode: str = "global", seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or seed < 0):
            raise TypeError(f"RandomSearch: seed must be a non-negative int or None, got {seed!r}")
        super().__init__(params, dict(std=std, mode=mode))
        if not any(True for _ in self._parameters()):
            raise ValueError("RandomSearch got parameter groups without any parameter")
        self.seed = seed
        if seed is None:
            seed = int(default_generator().integers(2 ** 63))
        self._rng = np.random.default_rng(seed)

    def _check_group(self, group):
        _checks.check_group("RandomSearch", group, non_negatives=("std",))
        if group["mode"] not in _MODES:
            raise ValueError(f"RandomSearch: mode must be 'global' or 'local', "
                             f"got {group['mode']!r}")

    def add_param_group(self, param_group):
        """Add parameters; the best loss restarts at +inf (it was measured without them)."""
        super().add_param_group(param_group)
        for p in self.param_groups[-1]["params"]:
            self.state[p]["best"] = p.data.copy()
        self._first_state()["best_loss"] = math.inf

    def _first_state(self) -> dict:
        return self.state[next(self._parameters())]

    @property
    def best_loss(self) -> float:
        """The lowest loss seen so far (+inf before the first step)."""
        return self._first_state()["best_loss"]

    def _propose(self, param: np.ndarray, best: np.ndarray, group: dict) -> None:
        """Write a candidate into ``param`` in place."""
        if param.dtype in (np.float32, np.float64):
            self._rng.standard_normal(dtype=param.dtype, out=param)
        else:
            param[...] = self._rng.standard_normal(param.shape)
        param *= group["std"]
        if group["mode"] == "local":
            param += best

    def step(self, closure=None) -> float:
        """Try one random candidate; keep it if its loss is lower. Returns the best loss."""
        if closure is None:
            raise TypeError("RandomSearch.step needs a closure that evaluates and returns the "
                            "loss, e.g. optimizer.step(lambda: loss_fn(W)): random search uses "
                            "loss values, not gradients")
        for group in self.param_groups:
            for p in group["params"]:
                self._propose(p.data, self.state[p]["best"], group)
        try:
            with no_grad():
                loss = closure()
            value = loss.data if isinstance(loss, Tensor) else np.asarray(loss)
            if value.size != 1:
                raise ValueError(f"RandomSearch: the closure must return a scalar loss, got one "
                                 f"of shape {value.shape}")
        except BaseException:
            for p in self._parameters():  # leave the best parameters in place, as before
                np.copyto(p.data, self.state[p]["best"])
            raise
        self.evaluations.loss += 1
        self._step_calls += 1
        value = float(value.reshape(()))
        first = self._first_state()
        accepted = value < first["best_loss"]
        if accepted:
            first["best_loss"] = value
        for p in self._parameters():
            best = self.state[p]["best"]
            if accepted:
                np.copyto(best, p.data)
            else:
                np.copyto(p.data, best)
            mark_changed(p.data)
        return first["best_loss"]

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        sd = super().state_dict()
        sd["state"][0]["rng_state"] = _encode_generator(self._rng)
        return sd

    def _loaded_state_value(self, param, pid, name, value):
        if name == "rng_state":
            words = np.asarray(value)
            if words.shape != (6,):
                raise ValueError("RandomSearch.load_state_dict: rng_state must hold 6 numbers, "
                                 f"got shape {words.shape}")
            return words.astype(np.uint64)
        if name == "best_loss":      # a number even beside a 0-d parameter's 'best'
            return float(plain(value))
        return super()._loaded_state_value(param, pid, name, value)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        first = self._first_state()
        words = first.pop("rng_state", None)
        if words is not None:
            rng = np.random.default_rng()
            rng.bit_generator.state = _decode_generator(words)
            self._rng = rng
        first.setdefault("best_loss", math.inf)
        for p in self._parameters():
            self.state[p].setdefault("best", p.data.copy())
