"""The journey's pictures: loss curves, the classifier's graph, optimizers' paths.

* ``loss_<stage>.png``: per stage, the loss each of its optimizers reported after each step;
* ``loss_vs_data_passes.png``: every run against the training rows it read (log scale), the
  equal-terms view of the table;
* ``classifier_graph.svg``: ``draw_graph`` of the classifier's loss on a few samples (the DOT
  source ``classifier_graph.dot`` instead when Graphviz's ``dot`` program is missing);
* ``paths_<surface>.png``: SGD and its fixes on the article's three troubles (a ravine, a saddle
  point, noisy gradients), from ``minigrad.viz.paths``.

Figures are ``matplotlib.figure.Figure`` objects (no pyplot, no window, works headless).
"""
from __future__ import annotations

import os
import re

import numpy as np

from ..tensor import Tensor
from .classifier import LinearClassifier
from .runner import Curve

__all__ = ["PATH_SURFACES", "plot_stage_curves", "plot_data_passes", "write_loss_graph",
           "draw_paths", "stage_file_name", "smoothed"]

PATH_SURFACES = ("ravine", "saddle", "noisy")


def _axes(figsize):
    """One Axes on a new Figure, with fixed margins (cheaper than a layout engine)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("the journey's pictures need matplotlib: pip install "
                          "'minigrad[plots]'") from exc
    fig = Figure(figsize=figsize)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.12, top=0.92)
    return fig, fig.subplots()


def _colors(n: int) -> list:
    """n distinct colours (matplotlib's tab10, then tab20's lighter shades)."""
    from matplotlib import colormaps
    tab10, tab20 = colormaps["tab10"], colormaps["tab20"]
    return [tab10(i) if i < 10 else tab20((2 * (i - 10) + 1) % 20) for i in range(n)]


def smoothed(losses, window: int) -> np.ndarray:
    """The running mean over the last ``window`` values (fewer at the start)."""
    values = np.asarray(losses, dtype=float)
    if window <= 1 or values.size == 0:
        return values
    sums = np.cumsum(values)
    sums[window:] = sums[window:] - sums[:-window]
    counts = np.minimum(np.arange(1, values.size + 1), window)
    return sums / counts


def _is_noisy(losses) -> bool:
    """Mini-batch losses go up and down; a best-so-far or full-batch curve mostly does not."""
    values = np.asarray(losses, dtype=float)
    return values.size > 50 and np.mean(np.diff(values) > 0) > 0.2


def _plot_curve(ax, x, losses, color, label) -> None:
    """A noisy curve as faint raw values under their running mean; others as they are."""
    if _is_noisy(losses):
        ax.plot(x, losses, lw=0.6, color=color, alpha=0.25)
        ax.plot(x, smoothed(losses, max(2, len(losses) // 40)), lw=1.3, color=color,
                label=f"{label} (running mean)")
    else:
        ax.plot(x, losses, lw=1.3, color=color, marker="." if len(losses) <= 30 else None,
                label=label)


def _set_loss_scale(ax, curves) -> None:
    values = np.concatenate([np.asarray(c.losses, dtype=float) for c in curves] or [[]])
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 10:
        ax.set_yscale("log")


def stage_file_name(stage: str) -> str:
    """'3 analytic gradient' -> 'loss_3_analytic_gradient.png'."""
    return "loss_" + re.sub(r"[^a-z0-9]+", "_", stage.lower()).strip("_") + ".png"


def plot_stage_curves(curves: list[Curve], path) -> None:
    """The loss after each step for every run of one stage."""
    fig, ax = _axes((6.4, 4))
    for curve, color in zip(curves, _colors(len(curves))):
        _plot_curve(ax, np.arange(1, len(curve.losses) + 1), curve.losses, color, curve.method)
    _set_loss_scale(ax, curves)
    ax.set(xlabel="step", ylabel="loss the optimizer saw", title=curves[0].stage)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)


def plot_data_passes(curves: list[Curve], path, title: str) -> None:
    """Every run's loss against the data passes it had spent (log x): the cost of each idea."""
    fig, ax = _axes((8.5, 5.5))
    for curve, color in zip(curves, _colors(len(curves))):
        _plot_curve(ax, curve.passes, curve.losses, color, f"{curve.stage}: {curve.method}")
    ax.set_xscale("log")
    _set_loss_scale(ax, curves)
    ax.set(xlabel="data passes (training rows read / training set size)",
           ylabel="loss the optimizer saw", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=6.5, loc="best")
    fig.savefig(path, dpi=110)


def write_loss_graph(W0, X, y, loss: str, out_dir, samples: int = 4) -> tuple[str, str]:
    """Draw the graph of the classifier's loss on ``samples`` rows, after ``backward`` (so W
    shows its gradient); returns (file written, note).

    Writes ``classifier_graph.svg``; without Graphviz's ``dot`` program, writes the DOT source
    ``classifier_graph.dot`` and says how to install ``dot`` in the note.
    """
    from ..viz.graph import GraphvizNotFoundError, draw_graph

    classifier = LinearClassifier(W0, loss)
    X_batch = Tensor(np.asarray(X[:samples]), name="X")
    value = classifier.loss(X_batch, y[:samples])
    value.backward(retain_graph=True)
    graph = draw_graph(value, params={"W": classifier.W, "X": X_batch}, legend=True)
    try:
        svg = graph.pipe(format="svg")
    except GraphvizNotFoundError as exc:
        path = os.path.join(out_dir, "classifier_graph.dot")
        with open(path, "w") as fh:
            fh.write(graph.source)
        return path, f"no SVG: {exc}"
    path = os.path.join(out_dir, "classifier_graph.svg")
    with open(path, "wb") as fh:
        fh.write(svg)
    return path, ""


def draw_paths(out_dir, steps: int | None = None, seed: int = 0) -> list[str]:
    """SGD, momentum, Nesterov, Adagrad, RMSprop and Adam on each of ``PATH_SURFACES``."""
    from ..viz.paths import default_optimizers, run_paths
    from ..viz.plots import plot_paths
    from ..viz.surfaces import get_surface

    files = []
    for name in PATH_SURFACES:
        surface = get_surface(name)
        paths = run_paths(surface, default_optimizers(surface),
                          steps=surface.steps if steps is None else steps, seed=seed)
        path = os.path.join(out_dir, f"paths_{name}.png")
        plot_paths(surface, paths, path=path)
        files.append(path)
    return files
