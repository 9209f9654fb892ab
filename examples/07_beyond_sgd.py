"""Beyond SGD: the article's three problems of SGD, and momentum, Nesterov, AdaGrad, RMSprop, Adam.

Each problem is a 2-D surface from ``minigrad.viz`` on which every optimizer starts from the
same point (``run_paths``; learning rates are the surface's own, picked by a sweep):

1. ravine, f = (x^2 + 100 y^2) / 2: the loss changes fast along y and slowly along x. SGD's
   step must be small for y, so it bounces across the valley (y changes sign every step) and
   crawls along x. Momentum averages the bounces away and keeps the speed along x;
   RMSprop/Adam divide each coordinate by its own gradient scale.
2. saddle, f = x^2 - y^2: the gradient is zero at the origin, which is no minimum. Started on
   the x-axis exactly, every method stays on it (the y-gradient is exactly 0); started 0.01
   off it, the time to escape is what differs.
3. noisy, a bowl seen through noisy gradients (as with mini-batches): the iterates never settle
   and keep jittering around the minimum.

Prints a table per problem; with ``--out DIR`` also draws each one (paths over the contours, and
the loss per step) into DIR/paths_<surface>.png.

    python examples/07_beyond_sgd.py [--out DIR]
"""
import argparse
import os

import numpy as np

from minigrad.viz import SURFACES, run_paths
from minigrad.viz.paths import default_optimizers


def table(headers, rows):
    """Print rows under headers, in aligned columns."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:  # names on the left, numbers on the right
        print("  " + row[0].ljust(widths[0]) + "  "
              + "  ".join(c.rjust(w) for c, w in zip(row[1:], widths[1:])))


def ravine(paths, surface):
    print(f"1. {surface.name}: {surface.lesson}")
    rows = []
    for name, path in paths.items():
        y = path.points[:51, 1]
        flips = int((np.sign(y[1:]) != np.sign(y[:-1])).sum())
        reached = path.steps_to_reach(surface.minimum, 1e-2)
        rows.append([name, surface.lrs[name], flips, "never" if reached is None else reached,
                     f"{surface.distance_to_minimum(path.final):.2g}"])
    table(["optimizer", "lr", "y sign flips in 50 steps", "steps to within 0.01",
           f"distance after {len(path.points) - 1} steps"], rows)


def saddle(paths, stuck, surface):
    print(f"2. {surface.name}: {surface.lesson}")
    rows = []
    for name, path in paths.items():
        escaped = np.nonzero(np.abs(path.points[:, 1]) > 1)[0]
        rows.append([name, surface.lrs[name], escaped[0] if escaped.size else "never",
                     f"{abs(stuck[name].final[1]):g}"])
    table(["optimizer", "lr", f"steps until |y| > 1 from {surface.start}",
           f"|y| after {surface.steps} steps from (1.8, 0)"], rows)


def noisy(paths, surface):
    print(f"3. {surface.name}: {surface.lesson} (gradient noise sigma = {surface.noise})")
    rows = []
    for name, path in paths.items():
        tail = np.linalg.norm(path.points[-100:] - surface.minimum, axis=1)
        rows.append([name, surface.lrs[name], f"{tail.mean():.3f}", f"{tail.max():.3f}"])
    table(["optimizer", "lr", "mean distance, last 100 steps", "max distance, last 100 steps"],
          rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for the pictures (none are drawn without it)")
    args = parser.parse_args()

    runs = {}
    for name in ("ravine", "saddle", "noisy"):
        surface = SURFACES[name]
        runs[name] = run_paths(surface, default_optimizers(surface), steps=surface.steps)
    saddle_surface = SURFACES["saddle"]
    on_axis = run_paths(saddle_surface, default_optimizers(saddle_surface), start=(1.8, 0.0),
                        steps=saddle_surface.steps)

    ravine(runs["ravine"], SURFACES["ravine"])
    saddle(runs["saddle"], on_axis, saddle_surface)
    noisy(runs["noisy"], SURFACES["noisy"])

    if args.out:
        from minigrad.viz import plot_paths
        os.makedirs(args.out, exist_ok=True)
        for name, paths in runs.items():
            picture = os.path.join(args.out, f"paths_{name}.png")
            plot_paths(SURFACES[name], paths, path=picture)
            print(f"wrote {picture}")


if __name__ == "__main__":
    main()
