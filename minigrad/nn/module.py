"""``Module``: the base class of layers and models.

A Module owns Parameters and sub-Modules. Assigning either to an attribute registers it, in
assignment order, so that ``parameters()`` finds every weight of a model, ``state_dict()``
names them with dotted paths (``"fc1.weight"``), and ``train()``/``eval()`` reach every layer.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import numpy as np

from ..autograd import mark_changed
from ..tensor import Tensor
from .parameter import Parameter

__all__ = ["Module", "IncompatibleKeys"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` could not match: keys the module has but the state lacks, and
    keys the state has but the module lacks (both empty after a strict load)."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


def _check_name(kind: str, name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")


class Module:
    """Base class of every layer and model: subclass it, assign layers and Parameters in
    ``__init__`` (after ``super().__init__()``), and define ``forward``.

    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(2, 8)
    ...         self.fc2 = nn.Linear(8, 3)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> [name for name, _ in TwoLayer().named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration
    def _registry(self, kind: str) -> dict:
        registry = self.__dict__.get(kind)
        if registry is None:
            raise AttributeError(
                f"cannot register a {kind[1:-1]} before Module.__init__() ran: call "
                f"super().__init__() first in {type(self).__name__}.__init__")
        return registry

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``.

        An unnamed Parameter takes ``name`` as its ``.name``; when this module becomes a child
        of another, the name gets the child's prefix (``"fc1.weight"``), for graph drawings.
        """
        params = self._registry("_parameters")
        _check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot register a {type(param).__name__} as parameter {name!r} of "
                f"{type(self).__name__}: a Parameter or None expected (wrap it: "
                "nn.Parameter(value))")
        if name not in params and (name in self.__dict__ or name in self._modules
                                   or hasattr(type(self), name)):  # a method would hide it
            raise KeyError(f"attribute {name!r} already exists in {type(self).__name__}")
        params[name] = param
        if param is not None and param.name is None:
            param.name = name

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or None) as the child ``name``."""
        modules = self._registry("_modules")
        _check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"cannot register a {type(module).__name__} as child module {name!r} of "
                f"{type(self).__name__}: a Module or None expected")
        if name not in modules and (name in self.__dict__ or name in self._parameters
                                    or hasattr(type(self), name)):  # a method would hide it
            raise KeyError(f"attribute {name!r} already exists in {type(self).__name__}")
        modules[name] = module
        if module is not None:
            # names the child gave its parameters are paths inside the child: prefix them
            for path, param in module.named_parameters(remove_duplicate=False):
                if param.name == path:
                    param.name = f"{name}.{path}"

    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        if isinstance(value, (Parameter, Module)):
            registry = self._registry("_parameters" if isinstance(value, Parameter) else
                                      "_modules")
            for other in (self.__dict__, params, modules):
                if other is not registry:
                    other.pop(name, None)
            if isinstance(value, Parameter):
                self.register_parameter(name, value)
            else:
                self.add_module(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} as parameter {name!r} of "
                    f"{type(self).__name__}: a Parameter or None expected (wrap it: "
                    "nn.Parameter(value))")
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} as child module {name!r} of "
                    f"{type(self).__name__}: a Module or None expected")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # only called when ordinary lookup fails: look in the registries
        d = self.__dict__
        for kind in ("_parameters", "_modules"):
            registry = d.get(kind)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for kind in ("_parameters", "_modules"):
            registry = self.__dict__.get(kind)
            if registry is not None and name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules))

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True,
                      _seen: set | None = None) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (name ``prefix``) and every descendant."""
        if _seen is None:
            _seen = set()
        if remove_duplicate:
            if id(self) in _seen:
                return
            _seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                path = f"{prefix}.{name}" if prefix else name
                yield from child.named_modules(path, remove_duplicate, _seen)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant, each once, parents before children."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct child, in registration order."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """Each direct child module, in registration order."""
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) for every parameter, in registration order.

        A parameter shared by several layers is listed once unless ``remove_duplicate=False``.
        """
        modules = (self.named_modules(prefix, remove_duplicate) if recurse
                   else [(prefix, self)])
        seen = set()
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None:
                    continue
                if remove_duplicate:
                    if id(param) in seen:
                        continue
                    seen.add(id(param))
                yield (f"{module_prefix}.{name}" if module_prefix else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter (each once), what an optimizer is given."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    # ------------------------------------------------------------------ training helpers
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter: set it to None (default) or to zeros."""
        for param in self.parameters():
            if param.grad is None:
                continue
            param.grad = None if set_to_none else Tensor(np.zeros_like(param.data))

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradient recording for every parameter on or off (freezing); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every descendant, then on self (e.g. custom init); returns
        self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """A copy of every parameter's data as ``{dotted name: ndarray}``, in registration order.

        A shared parameter appears under each of its names, as in PyTorch.
        """
        return {name: param.data.copy()
                for name, param in self.named_parameters(remove_duplicate=False)}

    def load_state_dict(self, state_dict: Mapping, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` into the parameters, in place (keeping each
        parameter's dtype).

        Everything is checked before anything is copied: with ``strict=True`` (the default)
        missing or unexpected keys are an error, and a shape mismatch or non-floating data is
        always one; on an error the module is unchanged. Returns ``(missing_keys,
        unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict of {type(self).__name__}: expected a mapping of "
                            f"names to arrays, got {type(state_dict).__name__}")
        own = dict(self.named_parameters(remove_duplicate=False))
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        if strict and missing:
            problems.append("missing key(s): " + ", ".join(map(repr, missing)))
        if strict and unexpected:
            problems.append("unexpected key(s): " + ", ".join(map(repr, unexpected)))
        updates = []
        for key, param in own.items():
            if key not in state_dict:
                continue
            value, problem = _as_float_array(key, state_dict[key], param)
            if problem:
                problems.append(problem)
            else:
                updates.append((param, value))
        if problems:
            raise RuntimeError(f"error(s) in loading a state_dict into {type(self).__name__} "
                               "(nothing was changed):\n  " + "\n  ".join(problems))
        for param, value in updates:
            np.copyto(param.data, value, casting="same_kind")
            mark_changed(param.data)  # graphs recorded before may not backward any more
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The layer's own settings, shown inside its repr (``in_features=2, ...``)."""
        return ""

    def __repr__(self) -> str:
        lines = self.extra_repr().splitlines()
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _as_float_array(key: str, value, param: Parameter):
    """``value`` as an ndarray that fits ``param``, or (None, what is wrong with it)."""
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray):
        try:
            array = np.asarray(array)
        except (TypeError, ValueError) as exc:
            return None, f"{key!r}: cannot read {type(value).__name__} as an array ({exc})"
    if array.dtype.kind != "f":
        return None, f"{key!r}: expected floating point data, got dtype {array.dtype}"
    if array.shape != param.shape:
        return None, (f"size mismatch for {key!r}: the state has shape {array.shape}, the "
                      f"parameter has shape {param.shape}")
    if not param.data.flags.writeable:
        return None, f"{key!r}: the parameter's array is read-only"
    return array, None
