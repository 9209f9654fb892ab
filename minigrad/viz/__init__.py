"""Pictures: the computation graph (graphviz), training curves and optimizers' paths (matplotlib).

Nothing here is imported by ``import minigrad``; each name below loads its module (and its
optional dependency) on first use:

* ``draw_graph(loss)``: the graph that computed ``loss`` (``minigrad.viz.graph``);
* ``plot_history(history)``: loss/accuracy curves (``minigrad.viz.plots``);
* ``plot_paths(surface, paths)``: contours with optimizers' paths (``minigrad.viz.plots``);
* ``SURFACES``, ``get_surface(name)``: 2-D test functions (``minigrad.viz.surfaces``);
* ``run_paths(surface, optimizers, start, steps)``: run optimizers from one start
  (``minigrad.viz.paths``).
"""
import importlib

_EXPORTS = {
    "draw_graph": "graph", "GraphvizNotFoundError": "graph",
    "plot_history": "plots", "plot_paths": "plots",
    "SURFACES": "surfaces", "get_surface": "surfaces", "Surface": "surfaces",
    "run_paths": "paths", "Path": "paths",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'minigrad.viz' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__():
    return sorted(list(globals()) + __all__)
