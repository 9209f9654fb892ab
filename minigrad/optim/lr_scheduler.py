"""Learning-rate schedules with PyTorch's semantics (``torch.optim.lr_scheduler``).

A scheduler rewrites ``group['lr']`` of its optimizer's parameter groups. Creating it records
each group's ``initial_lr`` and takes the first step (epoch 0); afterwards call
``scheduler.step()`` once per epoch, *after* ``optimizer.step()``. ``last_epoch`` counts the
scheduler's steps and ``get_last_lr()`` returns the rates it set last.

Each schedule is computed the way PyTorch computes it (recursively from the current ``lr``
where PyTorch does so, in closed form when a :class:`SequentialLR` switches to it), so the
rates agree with PyTorch's to rounding.
"""
from __future__ import annotations

import math
import numbers
import warnings
from bisect import bisect_right

from ._checks import plain
from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
           "SequentialLR"]


def _plain_list(value):
    """A state value read back from a file as the Python value it was (tuples as lists)."""
    value = plain(value)
    return list(value) if isinstance(value, tuple) else value


def _positive_int(owner: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")


class LRScheduler:
    """Base class: subclasses define ``get_lr()``, the rates for the new ``last_epoch``.

    ``last_epoch=-1`` starts a new schedule; another value resumes one, which requires
    ``'initial_lr'`` in every parameter group (as left by a previous scheduler).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        for i, group in enumerate(optimizer.param_groups):
            if "lr" not in group:
                raise TypeError(f"{type(optimizer).__name__} has no learning rate ('lr') in "
                                f"param_groups[{i}] for a scheduler to change")
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   f"when resuming a scheduler with last_epoch={last_epoch}")
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Step to the schedule's first epoch; schedules do not change the lr in this step."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The learning rates for ``last_epoch`` (called by ``step``; read ``get_last_lr()``)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def _closed_form_lr(self) -> list:
        """The learning rates at ``last_epoch`` from ``base_lrs`` alone."""
        raise NotImplementedError(f"{type(self).__name__} has no closed form")

    def get_last_lr(self) -> list:
        """The learning rates the last step set, one per parameter group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rates."""
        if self._step_count == 1 and getattr(self.optimizer, "_step_calls", 1) == 0:
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`: call them in "
                "the opposite order (optimizer first), or the first value of the schedule is "
                "skipped.", UserWarning, stacklevel=2)
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self, factor: float = 1.0) -> list:
        """The optimizer's learning rates now, each times ``factor``."""
        if factor == 1.0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """Every attribute except the optimizer (lists copied)."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned; a foreign dict is a ValueError (and
        changes nothing)."""
        self._apply_state(self._checked_state(state_dict))

    def _checked_state(self, state_dict) -> dict:
        """Validate a state dict and return its values as plain Python values."""
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys "
                             f"{sorted(expected)}, got {got}")
        values = {key: _plain_list(value) for key, value in state_dict.items()}
        for key in ("base_lrs", "_last_lr"):
            if key in values and len(values[key]) != len(self.optimizer.param_groups):
                raise ValueError(f"{type(self).__name__}.load_state_dict: {key} has "
                                 f"{len(values[key])} entries for "
                                 f"{len(self.optimizer.param_groups)} parameter groups")
        return values

    def _apply_state(self, values: dict) -> None:
        self.__dict__.update(values)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = base_lr · gamma^⌊epoch / step_size⌋  (applied recursively: at each non-zero
    multiple of step_size, lr ← gamma · lr).
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        _positive_int("StepLR", "step_size", step_size)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        at_decay = self.last_epoch != 0 and self.last_epoch % self.step_size == 0
        return self._current_lrs(self.gamma if at_decay else 1.0)

    def _closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: lr(epoch) = base_lr · gamma^epoch."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return self._current_lrs(1.0 if self._is_initial else self.gamma)

    def _closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from base_lr down to ``eta_min`` over ``T_max`` epochs.

    Closed form: lr(t) = η_min + (base_lr - η_min) (1 + cos(π t / T_max)) / 2. Like PyTorch,
    each step applies it recursively from the current lr (so changes made to the lr by others
    carry on)::

        lr ← η_min + (lr - η_min) (1 + cos(π t / T_max)) / (1 + cos(π (t-1) / T_max))

    except just after a trough of the cosine ((t - 1 - T_max) mod 2T_max = 0, where the
    ratio's denominator is 0): lr ← lr + (base_lr - η_min) (1 - cos(π / T_max)) / 2. Past
    T_max the rate rises again (the cosine continues; there are no restarts).
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        _positive_int("CosineAnnealingLR", "T_max", T_max)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:
            return self._closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, lr in zip(self.base_lrs, self._current_lrs())]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _closed_form_lr(self):
        cosine = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * cosine / 2 for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale the learning rate by a factor moving linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs (a warm-up when start_factor < 1).

    Closed form: lr(t) = base_lr · (s + (e - s) · min(t, total_iters) / total_iters). Applied
    recursively like PyTorch: at t = 0, lr ← s · lr; for 1 ≤ t ≤ total_iters::

        lr ← lr · (1 + (e - s) / (total_iters · s + (t - 1)(e - s)))
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        if not 0 < start_factor <= 1:
            raise ValueError("LinearLR: starting multiplicative factor expected to be greater "
                             f"than 0 and less or equal to 1, got start_factor={start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError("LinearLR: ending multiplicative factor expected to be between 0 "
                             f"and 1, got end_factor={end_factor!r}")
        _positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        s, e, t = self.start_factor, self.end_factor, self.last_epoch
        if t == 0:
            return self._current_lrs(s)
        if self._is_initial or t > self.total_iters:
            return self._current_lrs()
        return self._current_lrs(1.0 + (e - s) / (self.total_iters * s + (t - 1) * (e - s)))

    def _closed_form_lr(self):
        s, e = self.start_factor, self.end_factor
        fraction = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base_lr * (s + (e - s) * fraction) for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the epochs in ``milestones``.

    Typical: a LinearLR warm-up for the first k epochs, then cosine annealing::

        SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=k), CosineAnnealingLR(opt, T)], [k])

    At a milestone the next scheduler starts at its own epoch 0 (in closed form, from the
    initial learning rates).
    """

    def __init__(self, optimizer, schedulers: list, milestones: list, last_epoch: int = -1):
        schedulers = list(schedulers)
        milestones = list(milestones)
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got no scheduler")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"SequentialLR: schedulers[{i}] is a "
                                f"{type(scheduler).__name__}, not a learning-rate scheduler")
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    "SequentialLR expects all schedulers to belong to the same optimizer, but "
                    f"schedulers[{i}] ({type(scheduler).__name__}) has a different one")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects one more scheduler than milestones, but got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"SequentialLR: milestones must increase, got {milestones}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:      # undo what the schedulers' creation did
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self)
        idx = bisect_right(milestones, 0)
        schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    @staticmethod
    def _undo_initial_steps(scheduler) -> None:
        """Step every (nested) scheduler back by the epoch its creation took."""
        if isinstance(scheduler, SequentialLR):
            for inner in scheduler._schedulers:
                SequentialLR._undo_initial_steps(inner)
        else:
            scheduler.last_epoch -= 1

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict:
        """Own attributes plus the wrapped schedulers' state dicts under ``'_schedulers'``."""
        sd = {key: list(value) if isinstance(value, list) else value
              for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")}
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def _checked_state(self, state_dict) -> dict:
        if not isinstance(state_dict, dict) or "_schedulers" not in state_dict:
            raise ValueError("SequentialLR.load_state_dict: expected a dict with '_schedulers'")
        inner = list(state_dict["_schedulers"])
        if len(inner) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: {len(inner)} scheduler states for "
                             f"{len(self._schedulers)} schedulers")
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"SequentialLR.load_state_dict: expected the keys "
                             f"{sorted(expected)}, got {sorted(state_dict)}")
        values = {key: _plain_list(value) for key, value in state_dict.items()
                  if key != "_schedulers"}
        values["_schedulers"] = [s._checked_state(sd) for s, sd in zip(self._schedulers, inner)]
        return values

    def _apply_state(self, values: dict) -> None:
        values = dict(values)
        for scheduler, inner in zip(self._schedulers, values.pop("_schedulers")):
            scheduler._apply_state(inner)
        self.__dict__.update(values)
