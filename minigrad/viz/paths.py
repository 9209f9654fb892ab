"""Optimizers' paths on 2-D test surfaces, and the ``minigrad paths`` command.

``run_paths(surface, {"SGD": lambda ps: SGD(ps, lr=0.01), ...}, start, steps)`` starts every
optimizer from the same point, runs the ordinary loop (``zero_grad; loss.backward(); step``)
and returns each path: the (steps+1, 2) points visited and the exact f at each of them.
On a noisy surface every optimizer sees the same stream of noise (same seed).

``minigrad paths`` draws SGD, momentum, Nesterov, Adagrad, RMSprop and Adam on each surface
(one PNG per surface) and writes a table of final loss and distance to the minimum
(``paths.csv`` and ``paths.md``; also printed).
"""
from __future__ import annotations

import argparse
import csv
import os
import tempfile
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .surfaces import SURFACES, Surface, get_surface

__all__ = ["Path", "run_paths", "default_optimizers", "summary_rows", "add_arguments", "main"]


@dataclass
class Path:
    """Where one optimizer went: ``points[k]`` after k steps, ``losses[k] = f(points[k])``.

    If the iterate stopped being finite (divergence) the run stops; the remaining rows are nan
    and ``diverged`` is True.
    """

    name: str
    points: np.ndarray
    losses: np.ndarray
    diverged: bool = False

    @property
    def final(self) -> np.ndarray:
        """The last finite point."""
        finite = np.isfinite(self.points).all(axis=1)
        return self.points[np.nonzero(finite)[0][-1]]

    @property
    def final_loss(self) -> float:
        finite = np.isfinite(self.losses)
        return float(self.losses[np.nonzero(finite)[0][-1]]) if finite.any() else float("nan")

    def steps_to_reach(self, point, tol: float) -> int | None:
        """The first step at which the path is within ``tol`` of ``point`` (None if never)."""
        dist = np.linalg.norm(self.points - np.asarray(point, dtype=np.float64), axis=1)
        hits = np.nonzero(dist <= tol)[0]
        return int(hits[0]) if hits.size else None


def _check_start(start) -> np.ndarray:
    point = np.asarray(start, dtype=np.float64)
    if point.shape != (2,) or not np.isfinite(point).all():
        raise ValueError(f"run_paths: start must be two finite numbers (x, y), got {start!r}")
    return point


def run_paths(surface, optimizers: dict, start=None, steps: int = 100, seed: int = 0) -> dict:
    """Run each optimizer on ``surface`` from ``start`` for ``steps`` steps.

    ``surface``: a ``Surface`` or its name. ``optimizers``: name -> factory, a callable taking
    the list of parameters (one 2-vector Tensor) and returning an optimizer with ``zero_grad``
    and ``step``. ``start`` defaults to the surface's own. Returns name -> ``Path``.
    """
    surface = get_surface(surface) if isinstance(surface, str) else surface
    if not isinstance(surface, Surface):
        raise TypeError(f"run_paths: surface must be a Surface or a name, got "
                        f"{type(surface).__name__}")
    if not isinstance(optimizers, dict) or not optimizers:
        raise ValueError("run_paths: optimizers must be a non-empty dict name -> factory(params)")
    for name, factory in optimizers.items():
        if not callable(factory):
            raise TypeError(f"run_paths: optimizers[{name!r}] must be a callable "
                            f"factory(params) -> optimizer, got {type(factory).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"run_paths: steps must be a non-negative int, got {steps!r}")
    start = _check_start(surface.start if start is None else start)
    return {name: _run_one(surface, name, factory, start, int(steps), seed)
            for name, factory in optimizers.items()}


def _run_one(surface: Surface, name: str, factory: Callable, start, steps: int, seed: int):
    p = Tensor(start.copy(), requires_grad=True, name="p")
    optimizer = factory([p])
    objective = surface.objective(seed)
    points = np.full((steps + 1, 2), np.nan)
    points[0] = start
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            optimizer.zero_grad()
            loss = objective(p)
            if not np.isfinite(loss.data).all():   # blown up at points[k]: stop there
                diverged = True
                break
            loss.backward()
            optimizer.step()
            if not np.isfinite(p.data).all():
                diverged = True
                break
            points[k + 1] = p.data
        with no_grad():
            losses = np.asarray(surface(Tensor(points.T)).data, dtype=np.float64)
    losses[~np.isfinite(losses)] = np.nan
    return Path(name, points, losses, diverged)


def default_optimizers(surface: Surface) -> dict:
    """SGD, momentum, Nesterov, Adagrad, RMSprop and Adam with the surface's learning rates
    (``surface.lrs``); momentum is 0.9, everything else PyTorch's defaults."""
    from ..optim import SGD, Adagrad, Adam, RMSprop
    lr = surface.lrs
    return {
        "SGD": lambda ps: SGD(ps, lr=lr["SGD"]),
        "momentum": lambda ps: SGD(ps, lr=lr["momentum"], momentum=0.9),
        "Nesterov": lambda ps: SGD(ps, lr=lr["Nesterov"], momentum=0.9, nesterov=True),
        "Adagrad": lambda ps: Adagrad(ps, lr=lr["Adagrad"]),
        "RMSprop": lambda ps: RMSprop(ps, lr=lr["RMSprop"]),
        "Adam": lambda ps: Adam(ps, lr=lr["Adam"]),
    }


def summary_rows(surface: Surface, paths: dict) -> list[dict]:
    """One row per optimizer: final loss, distance to the minimum, steps, diverged."""
    rows = []
    for path in paths.values():
        rows.append({"surface": surface.name, "optimizer": path.name,
                     "steps": len(path.points) - 1, "final_loss": path.final_loss,
                     "distance_to_minimum": surface.distance_to_minimum(path.final),
                     "diverged": path.diverged})
    return rows


def _markdown(rows: list[dict]) -> str:
    head = "| surface | optimizer | steps | final loss | distance to minimum |"
    lines = [head, "|---|---|---:|---:|---:|"]
    for r in rows:
        dist = "-" if np.isnan(r["distance_to_minimum"]) else f"{r['distance_to_minimum']:.3g}"
        loss = f"{r['final_loss']:.4g}" + (" (diverged)" if r["diverged"] else "")
        lines.append(f"| {r['surface']} | {r['optimizer']} | {r['steps']} | {loss} | {dist} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--surface", default="all", choices=["all", *SURFACES],
                        help="which surface to draw (default: all)")
    parser.add_argument("--out", default="paths-out", help="folder for the PNGs and tables")
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per optimizer (default: each surface's own)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the gradient noise")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number >= 0, got {text!r}")
    return value


def main(args) -> int:
    from .plots import plot_paths
    names = list(SURFACES) if args.surface == "all" else [args.surface]
    if args.steps is not None and args.steps < 1:
        raise SystemExit(f"minigrad paths: --steps must be a positive integer, got {args.steps}")
    try:  # a folder that cannot be written fails now, not after the runs
        os.makedirs(args.out, exist_ok=True)
        with tempfile.TemporaryFile(dir=args.out):
            pass
    except OSError as exc:
        raise SystemExit(f"minigrad paths: cannot write into --out {args.out}: "
                         f"{exc.strerror or exc}") from None
    rows = []
    for name in names:
        surface = SURFACES[name]
        steps = surface.steps if args.steps is None else args.steps
        paths = run_paths(surface, default_optimizers(surface), steps=steps, seed=args.seed)
        picture = os.path.join(args.out, f"paths_{name}.png")
        plot_paths(surface, paths, path=picture)
        print(f"wrote {picture}")
        rows += summary_rows(surface, paths)
    table = _markdown(rows)
    print(table)
    with open(os.path.join(args.out, "paths.md"), "w") as fh:
        fh.write(table + "\n")
    with open(os.path.join(args.out, "paths.csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {os.path.join(args.out, 'paths.md')} and paths.csv")
    return 0
