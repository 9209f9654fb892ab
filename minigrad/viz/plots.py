"""Plots with matplotlib: training curves, and optimizers' paths over a surface's contours.

Figures are made with ``matplotlib.figure.Figure`` directly, never through ``pyplot``: nothing
opens a window or changes the global backend, so this works headless (servers, CI) and in
Jupyter (a returned Figure displays inline). Pass ``path=`` to write a PNG/SVG/PDF file.

A training history is either

* a dict of lists: ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``, or
* a list of dicts, one per epoch: ``[{"epoch": 1, "loss": 0.9, "accuracy": 0.6}, ...]``
  (a key missing from some rows is a gap in its curve).

An ``epoch`` or ``step`` entry, if present, is the x-axis. Curves are grouped into one panel
per metric, ignoring a ``train_``/``val_``/``valid_``/``test_`` prefix: ``loss`` and
``val_loss`` share a panel, ``accuracy`` and ``val_accuracy`` the next.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_history", "plot_paths", "history_series"]

_PREFIXES = ("train_", "val_", "valid_", "test_")
_X_KEYS = ("epoch", "step")


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("plots need matplotlib: pip install 'minigrad[plots]'") from exc
    return Figure


def _finish(fig, path):
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def history_series(history) -> tuple[str, dict]:
    """(x label, {name: (x values, y values)}) from either form of a training history."""
    if isinstance(history, dict):
        columns = dict(history)
    elif isinstance(history, (list, tuple)) and all(isinstance(r, dict) for r in history):
        keys = list(dict.fromkeys(k for row in history for k in row))
        columns = {k: [row.get(k, np.nan) for row in history] for k in keys}
    else:
        raise TypeError("plot_history: history must be a dict of lists or a list of dicts, got "
                        f"{type(history).__name__}")
    if not columns:
        raise ValueError("plot_history: the history is empty")
    arrays = {}
    for key, values in columns.items():
        try:
            arrays[key] = np.asarray([np.nan if v is None else v for v in values], dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"plot_history: history[{key!r}] must hold numbers") from None
        if arrays[key].ndim != 1:
            raise ValueError(f"plot_history: history[{key!r}] must be a flat list of numbers")
    x_key = next((k for k in _X_KEYS if k in arrays), None)
    x_all = arrays.pop(x_key) if x_key else None
    if not arrays:
        raise ValueError(f"plot_history: the history holds only {x_key!r}, no metric")
    series = {}
    for key, y in arrays.items():
        x = x_all[:len(y)] if x_all is not None and len(x_all) >= len(y) else np.arange(len(y))
        series[key] = (x, y)
    return (x_key or "epoch"), series


def _family(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def plot_history(history, path=None, title: str | None = None, log_loss: bool = False):
    """Loss/accuracy curves, one panel per metric; returns the Figure (saved if ``path``)."""
    x_label, series = history_series(history)
    families = list(dict.fromkeys(_family(k) for k in series))
    families.sort(key=lambda f: (0 if "loss" in f else 1 if "acc" in f else 2))
    Figure = _figure_class()
    fig = Figure(figsize=(5 * len(families), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(families)))
    for ax, family in zip(axes, families):
        for key, (x, y) in series.items():
            if _family(key) == family:
                keep = np.isfinite(y)
                ax.plot(x[keep], y[keep], marker="." if keep.sum() < 40 else None, label=key)
        if log_loss and "loss" in family:
            ax.set_yscale("log")
        ax.set_xlabel(x_label)
        ax.set_ylabel(family)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _contour_levels(Z, count: int):
    """Log-spaced levels for a non-negative surface (valleys stay visible), else linear."""
    lo, hi = float(np.min(Z)), float(np.max(Z))
    if lo >= 0 and hi > 0:
        return np.geomspace(max(lo, hi * 1e-7), hi, count)
    return np.linspace(lo, hi, count)


def plot_paths(surface, paths: dict, path=None, title: str | None = None, levels: int = 30,
               grid: int = 250):
    """The surface's contours with every optimizer's path, and each loss against the step.

    ``paths``: name -> ``minigrad.viz.paths.Path`` (as ``run_paths`` returns).
    """
    if not paths:
        raise ValueError("plot_paths: no paths to draw")
    Figure = _figure_class()
    fig = Figure(figsize=(12, 5), layout="constrained")
    ax_map, ax_loss = fig.subplots(1, 2, width_ratios=[1.4, 1])
    X, Y, Z = surface.grid(grid)
    ax_map.contour(X, Y, Z, levels=_contour_levels(Z, levels), cmap="viridis",
                   linewidths=0.7, alpha=0.8)
    for name, run in paths.items():
        pts = run.points[np.isfinite(run.points).all(axis=1)]
        (line,) = ax_map.plot(pts[:, 0], pts[:, 1], lw=1.4, marker=".", ms=2.5, label=name)
        ax_map.plot(*pts[-1], marker="X", ms=8, color=line.get_color(), mec="black", mew=0.6)
        steps = np.arange(len(run.losses))
        ax_loss.plot(steps, run.losses, color=line.get_color(), lw=1.2, label=name)
    start = next(iter(paths.values())).points[0]
    ax_map.plot(*start, marker="o", ms=8, color="black", label="start")
    if surface.minimum is not None:
        ax_map.plot(*surface.minimum, marker="*", ms=14, color="gold", mec="black",
                    label="minimum")
    (x0, x1), (y0, y1) = surface.window
    ax_map.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y")
    ax_map.set_title(title or f"{surface.name}: {surface.lesson}", fontsize=10)
    all_losses = np.concatenate([r.losses[np.isfinite(r.losses)] for r in paths.values()])
    ax_loss.set_yscale("log" if all_losses.size and all_losses.min() > 0 else "symlog")
    ax_loss.set(xlabel="step", ylabel="f(x, y)")
    ax_loss.grid(alpha=0.3)
    ax_loss.set_title("loss", fontsize=10)
    handles, labels = ax_map.get_legend_handles_labels()
    ax_loss.legend(handles, labels, fontsize=8, loc="best")
    return _finish(fig, path)
