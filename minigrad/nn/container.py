"""``Sequential``: layers applied one after another."""
from __future__ import annotations

from collections.abc import Mapping

from .module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """Chain modules: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Children are named "0", "1", ... (or by the keys of a single mapping argument), so
    parameters are named "0.weight", "2.bias", ...
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, module in items:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: element {name!r} is a {type(module).__name__}, "
                                "not a Module")
            self.add_module(name, module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(dict(items[index]))
        try:
            return items[index][1]
        except IndexError:
            raise IndexError(f"Sequential index {index} is out of range for {len(items)} "
                             "layers") from None
        except TypeError:
            raise TypeError(f"Sequential indices must be ints or slices, got "
                            f"{type(index).__name__}") from None
