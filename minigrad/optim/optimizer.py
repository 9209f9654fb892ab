"""The optimizer base class: parameter groups, per-parameter state, ``step`` and checkpoints.

An optimizer owns a list of *parameter groups*: dicts holding a list of Tensors under
``'params'`` and the hyperparameters (``lr``, ``momentum``...) used for them. ``state`` maps
each parameter to a dict of buffers the algorithm keeps between steps (``momentum_buffer``,
``exp_avg``...). Everything follows ``torch.optim.Optimizer``, including the ``state_dict()``
format: parameters are numbered 0, 1, 2... in group order, ``state`` is keyed by those
numbers and each group lists its numbers under ``'params'``.

A subclass supplies only its update rule, working on plain ndarrays in place (no graph is
recorded, ``p.grad`` is never written)::

    def _update(self, param, grad, state, group):   # param, grad: np.ndarray
        ...                                         # change ``param`` in place

plus ``_init_state`` (fill an empty state dict) and ``_check_group`` (reject bad
hyperparameters with a ValueError naming the value).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..autograd import enable_grad, mark_changed
from ..tensor import Tensor
from ._checks import plain
from .evaluations import Evaluations

__all__ = ["Optimizer"]

_SET_MESSAGE = ("optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead.")


def _as_list(params, what: str) -> list:
    """``params`` (an iterable of Tensors or groups) as a list, with PyTorch's type errors."""
    if isinstance(params, Tensor):
        raise TypeError(f"{what} should be an iterable of Tensors or dicts, but got a Tensor; "
                        "wrap a single Tensor in a list: [t]")
    if isinstance(params, (set, frozenset)):
        raise TypeError(_SET_MESSAGE)
    if isinstance(params, dict):
        raise TypeError(f"{what} should be an iterable of Tensors or dicts, but got one dict; "
                        "wrap a single parameter group in a list: [{'params': ...}]")
    try:
        return list(params)
    except TypeError:
        raise TypeError(f"{what} should be an iterable of Tensors or dicts, but got "
                        f"{type(params).__name__}") from None


def _split_names(params: list):
    """Accept ``[t1, t2]`` or ``[(name1, t1), (name2, t2)]`` (as from ``named_parameters()``)."""
    named = [isinstance(p, tuple) for p in params]
    if not any(named):
        return None, params
    if not all(named) or any(len(p) != 2 or not isinstance(p[0], str) for p in params):
        raise ValueError("all optimizer params should be given either with names, as "
                         "(name, Tensor) pairs, or without: some param names are missing")
    return [name for name, _ in params], [t for _, t in params]


def _param_id(key) -> int:
    """A parameter number from a state dict (an int, or an int read back from a file)."""
    try:
        value = plain(key)
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError
        return value
    except (TypeError, ValueError):
        raise ValueError(f"parameter ids in an optimizer state dict are integers, got {key!r}") \
            from None


def _copy_value(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return list(value)
    return value


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``'s interface).

    ``params``: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
    groups) each with a ``'params'`` entry and optional per-group hyperparameters overriding
    ``defaults``.

    Beyond PyTorch, ``evaluations`` counts the loss and gradient evaluations the optimizer used
    (see :mod:`minigrad.optim.evaluations`).
    """

    #: whether ``step`` consumes a gradient (``p.grad``); RandomSearch does not.
    uses_gradient = True

    def __init__(self, params, defaults: dict):
        groups = _as_list(params, "params argument given to the optimizer")
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        self.defaults = dict(defaults)
        self._check_group(self.defaults)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self.evaluations = Evaluations()
        self._step_calls = 0          # lets a scheduler notice it was stepped first
        self._scratch_buffers: dict = {}
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ subclass hooks
    def _check_group(self, group: dict) -> None:
        """Raise ValueError/TypeError if a hyperparameter of ``group`` is invalid."""

    def _init_state(self, state: dict, param: np.ndarray, group: dict) -> None:
        """Fill the (empty) ``state`` of ``param`` before its first update."""

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update(param, grad, "
                                  "state, group)")

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones from defaults).

        Nothing changes if the group is rejected.
        """
        owner = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry: the Tensors to optimize")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else _as_list(params, "'params'")
        names, params = _split_names(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (shape {p.shape}, made by "
                                 f"{p.grad_fn.name()}): optimize the leaves it was computed "
                                 "from, or .detach() it and set requires_grad")
            if p.dtype.kind != "f":
                raise TypeError(f"{owner} can only optimize floating-point Tensors, got one of "
                                f"dtype {p.dtype} and shape {p.shape}")
        new_ids = {id(p) for p in params}
        if len(new_ids) != len(params):
            raise ValueError("optimizer got a parameter group with duplicate parameters (the "
                             "same Tensor twice): it would be updated twice per step")
        if any(id(p) in new_ids for g in self.param_groups for p in g["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        if any(("param_names" in g) != (names is not None) for g in self.param_groups):
            raise ValueError("all optimizer param groups should be with/without names: cannot "
                             f"add a param group {'with' if names else 'without'} names to "
                             f"this optimizer, whose groups are {'without' if names else 'with'}")
        group = {key: value for key, value in param_group.items()
                 if key not in ("params", "param_names")}
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        self.param_groups.append(group)

    def _parameters(self):
        for group in self.param_groups:
            yield from group["params"]

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or fresh zero arrays.

        Zeros are new arrays, never written into the old gradient (which may be shared).
        """
        for p in self._parameters():
            if p.grad is None:
                continue
            p.grad = None if set_to_none else Tensor(np.zeros_like(p.grad.data))

    def _evaluate(self, closure):
        """Call ``closure`` (with gradient recording on) and count what it cost. Without a
        closure the caller computed the gradient: ``step`` counts it once the step is done."""
        if closure is None:
            return None
        with enable_grad():
            loss = closure()
        self.evaluations.loss += 1
        if self.uses_gradient:
            self.evaluations.grad += 1
        return loss

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss (or None).

        ``closure``: optional function that zeroes the gradients, recomputes the loss, calls
        ``backward`` and returns the loss. Parameters whose ``grad`` is None are skipped.
        """
        loss = self._evaluate(closure)
        updates = [(p, group) for group in self.param_groups for p in group["params"]
                   if p.grad is not None]
        for p, _ in updates:  # check every gradient before changing any parameter
            if p.grad.data.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: a parameter of shape {p.shape} has a "
                    f"gradient of shape {p.grad.data.shape}")
        for p, group in updates:
            state = self.state[p]
            if not state:
                self._init_state(state, p.data, group)
            self._update(p.data, p.grad.data, state, group)
            mark_changed(p.data)  # a graph recorded before the step may not backward any more
        if closure is None and self.uses_gradient:
            self.evaluations.grad += 1
        self._step_calls += 1
        return loss

    # ------------------------------------------------------------------ helpers for updates
    def _scratch(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A reusable work array shaped like ``like`` (not state: its content is temporary)."""
        key = (like.shape, like.dtype, slot)
        buf = self._scratch_buffers.get(key)
        if buf is None:
            buf = self._scratch_buffers[key] = np.empty(like.shape, like.dtype)
        return buf

    def _regularized_grad(self, param, grad, maximize: bool, weight_decay: float) -> np.ndarray:
        """g = -grad if maximize else grad, then g + weight_decay * param (L2 penalty).

        Returns ``grad`` itself when neither applies; otherwise a scratch array (slot 0), so
        ``grad`` is never written.
        """
        if not maximize and weight_decay == 0:
            return grad
        g = self._scratch(param, 0)
        if maximize:
            np.negative(grad, out=g)
        else:
            np.copyto(g, grad)
        if weight_decay != 0:
            tmp = self._scratch(param, 1)
            np.multiply(param, weight_decay, out=tmp)
            g += tmp
        return g

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """``{'state': {id: {...}}, 'param_groups': [{..., 'params': [ids]}]}`` (copies).

        Parameters are numbered in group order; parameters without state are left out of
        ``'state'`` like PyTorch does. Arrays are copied, so the dict does not change as
        training goes on.
        """
        ids = {}
        groups = []
        for group in self.param_groups:
            packed = {key: _copy_value(value) for key, value in group.items() if key != "params"}
            packed["params"] = []
            for p in group["params"]:
                ids[id(p)] = len(ids)
                packed["params"].append(ids[id(p)])
            groups.append(packed)
        state = {ids[id(p)]: {key: _copy_value(value) for key, value in self.state[p].items()}
                 for p in self._parameters() if self.state.get(p)}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict`.

        The saved groups must match this optimizer's groups in number and size; parameters are
        matched by position. State arrays are copied and cast to their parameter's dtype. On any
        mismatch a ValueError says what differs, and the optimizer is left unchanged.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{owner}: expected a dict with 'state' and 'param_groups' (as "
                             f"made by state_dict()), got {type(state_dict).__name__}"
                             + (f" with keys {sorted(state_dict)}"
                                if isinstance(state_dict, dict) else ""))
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{owner}: loaded state dict has a different number of parameter "
                             f"groups ({len(saved_groups)}) than the optimizer "
                             f"({len(self.param_groups)})")
        param_of_id = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"{owner}: param_groups[{i}] is not a dict with 'params'")
            saved_ids = [_param_id(k) for k in saved["params"]]
            if len(saved_ids) != len(group["params"]):
                raise ValueError(
                    f"{owner}: loaded state dict contains a parameter group that doesn't match "
                    f"the size of optimizer's group: param_groups[{i}] has {len(saved_ids)} "
                    f"parameters in the state dict and {len(group['params'])} in the optimizer")
            param_of_id.update(zip(saved_ids, group["params"]))
            new = {key: plain(value) for key, value in saved.items()
                   if key not in ("params", "param_names")}
            for key, value in group.items():
                new.setdefault(key, value)   # keeps params and param_names of this optimizer
            self._check_group(new)
            new["params"] = group["params"]
            if "param_names" in saved:       # saved names replace the optimizer's, as in PyTorch
                names = plain(saved["param_names"])
                names = [names] if isinstance(names, str) else list(names)
                if len(names) != len(saved_ids) or not all(isinstance(n, str) for n in names):
                    raise ValueError(f"{owner}: param_groups[{i}]['param_names'] must hold one "
                                     f"name per parameter ({len(saved_ids)}), got "
                                     f"{saved['param_names']!r}")
                new["param_names"] = names
            new_groups.append(new)
        new_state = defaultdict(dict)
        for key, saved_state in dict(state_dict["state"]).items():
            pid = _param_id(key)
            if pid not in param_of_id:
                raise ValueError(f"{owner}: the state dict has state for parameter id {pid}, "
                                 "which none of its parameter groups lists")
            p = param_of_id[pid]
            new_state[p] = {name: self._loaded_state_value(p, pid, name, value)
                            for name, value in dict(saved_state).items()}
        self.param_groups = new_groups
        self.state = new_state

    def _loaded_state_value(self, param: Tensor, pid: int, name: str, value):
        """One state entry read from a state dict: copied, checked against its parameter."""
        if isinstance(value, Tensor):
            value = value.data
        if name == "step":
            return int(plain(value))
        if isinstance(value, (np.ndarray, list, tuple)):
            arr = np.asarray(value)
            if arr.ndim == 0 and param.ndim != 0:   # a scalar; a 0-d parameter's buffer is 0-d
                return arr.item()
            if arr.shape != param.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: state {name!r} of parameter {pid} "
                    f"has shape {arr.shape}, but the parameter has shape {param.shape}")
            return np.array(arr, dtype=param.dtype, copy=True)
        return plain(value)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k not in ("params", "param_names")):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
