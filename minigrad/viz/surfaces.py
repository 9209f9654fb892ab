"""Two-dimensional test surfaces for watching optimizers move.

Each surface is a minigrad function of a Tensor ``p`` whose first axis holds (x, y): a 2-vector
for an optimizer (gradients come from ``backward``), or a (2, H, W) grid for a contour plot,
since every formula below broadcasts. Each knows its minimum (where one exists), a plotting
window, a start that shows its lesson, and learning rates that suit it.

The lessons are the three troubles of plain SGD:

* ``ravine``: f = (x^2 + 100 y^2) / 2, a quadratic with condition number 100. A step size small
  enough for the steep y-direction (lr < 2/100) crawls along x; near that limit the iterates
  bounce from wall to wall (y changes sign at every step). Momentum averages the bounce away.
* ``saddle``: f = x^2 - y^2, a critical point at the origin that is not a minimum. Started on the
  x-axis, gradient descent slides into the saddle and stays (the y-gradient is exactly 0); a
  tiny y-offset grows, and momentum makes it grow fast.
* ``noisy``: f = (x^2 + 4 y^2) / 2 observed through a noisy gradient, as with minibatches:
  each evaluation adds ``xi . p`` with a fresh xi ~ N(0, sigma^2 I), so the gradient is
  grad f + xi (unbiased) and the value is unbiased too. SGD ends up jittering around the minimum.

plus two classics: ``rosenbrock`` (a curved banana-shaped valley, minimum (1, 1)) and ``beale``
(flat plateaus and steep walls, minimum (3, 0.5)).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..tensor import Tensor

__all__ = ["Surface", "SURFACES", "get_surface", "rosenbrock", "beale", "saddle", "ravine",
           "bowl", "with_noise"]


def rosenbrock(p):
    """f = (1 - x)^2 + 100 (y - x^2)^2;
    df/dx = -2 (1 - x) - 400 x (y - x^2),  df/dy = 200 (y - x^2);  minimum 0 at (1, 1)."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def beale(p):
    """f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2;  minimum 0 at (3, 0.5)."""
    x, y = p[0], p[1]
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


def saddle(p):
    """f = x^2 - y^2;  grad f = (2x, -2y): zero at the origin, which is a saddle, not a minimum."""
    return p[0] ** 2 - p[1] ** 2


def ravine(p):
    """f = (x^2 + 100 y^2) / 2;  grad f = (x, 100 y): curvatures 1 and 100 (condition 100)."""
    return (p[0] ** 2 + 100 * p[1] ** 2) / 2


def bowl(p):
    """f = (x^2 + 4 y^2) / 2;  grad f = (x, 4 y): a mildly elongated bowl."""
    return (p[0] ** 2 + 4 * p[1] ** 2) / 2


@dataclass(frozen=True, eq=False)
class Surface:
    """A test function with what is needed to run and draw optimizers on it.

    ``minimum`` is None where f has none (the saddle is unbounded below). ``noise`` is the
    standard deviation sigma of the gradient noise (0 for an exact gradient). ``lrs`` holds a
    learning rate per optimizer of ``minigrad paths`` (SGD, momentum, Nesterov, Adagrad,
    RMSprop, Adam), each picked from a sweep over 1e-4..3 on this surface (SGD's on the ravine
    is deliberately near its stability limit 2/100, to show the zig-zag); ``steps`` is enough
    steps to see the lesson.
    """

    name: str
    f: Callable
    window: tuple            # ((x_min, x_max), (y_min, y_max))
    start: tuple             # (x0, y0)
    minimum: tuple | None
    lrs: dict
    steps: int
    noise: float = 0.0
    lesson: str = ""

    def __call__(self, p: Tensor) -> Tensor:
        """The exact value f(p) (no noise), for a 2-vector or a (2, ...) grid."""
        return self.f(p)

    def objective(self, seed: int = 0) -> Callable:
        """The function an optimizer sees: f itself, or f plus seeded gradient noise."""
        if self.noise == 0:
            return self.f
        return with_noise(self.f, self.noise, seed)

    def grid(self, n: int = 200):
        """(X, Y, Z) over the window, for contour plots: Z = f on an n-by-n grid."""
        (x0, x1), (y0, y1) = self.window
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        Z = self.f(Tensor(np.stack([X, Y])))
        return X, Y, np.asarray(Z.data)

    def distance_to_minimum(self, point) -> float:
        """Euclidean distance from ``point`` to the minimum (nan where there is none)."""
        if self.minimum is None:
            return float("nan")
        return float(np.linalg.norm(np.asarray(point, dtype=np.float64) - self.minimum))


def with_noise(f: Callable, sigma: float, seed: int = 0) -> Callable:
    """f(p) + xi . p with a fresh xi ~ N(0, sigma^2 I) per call (a seeded stream).

    The gradient seen is grad f(p) + xi: an unbiased, noisy estimate, like a minibatch gradient.
    """
    if sigma < 0:
        raise ValueError(f"with_noise: sigma must be >= 0, got {sigma}")
    rng = np.random.default_rng(seed)

    def noisy(p):
        xi = rng.normal(0.0, sigma, size=p.shape)
        return f(p) + (p * xi).sum()

    return noisy


def _lrs(sgd, momentum, nesterov, adagrad, rmsprop, adam) -> dict:
    return {"SGD": sgd, "momentum": momentum, "Nesterov": nesterov, "Adagrad": adagrad,
            "RMSprop": rmsprop, "Adam": adam}


SURFACES = {s.name: s for s in [
    Surface("ravine", ravine, window=((-11, 11), (-1.5, 1.5)), start=(-10.0, 1.0),
            minimum=(0.0, 0.0), lrs=_lrs(0.0185, 0.0185, 0.01, 1.0, 0.1, 0.3), steps=300,
            lesson="a narrow valley: SGD zig-zags across it, momentum gathers speed along it"),
    Surface("saddle", saddle, window=((-2, 2), (-2, 2)), start=(1.8, 0.01),
            minimum=None, lrs=_lrs(0.05, 0.05, 0.05, 0.5, 0.05, 0.05), steps=50,
            lesson="a saddle point: from near its axis SGD stalls before escaping"),
    Surface("noisy", bowl, window=((-3, 3), (-2, 2)), start=(-2.5, 1.5),
            minimum=(0.0, 0.0), lrs=_lrs(0.1, 0.01, 0.01, 0.3, 0.03, 0.03), steps=200,
            noise=1.0, lesson="noisy gradients: the iterates jitter around the minimum"),
    Surface("rosenbrock", rosenbrock, window=((-2, 2), (-1, 3)), start=(-1.5, 2.5),
            minimum=(1.0, 1.0), lrs=_lrs(1e-3, 1e-3, 1e-3, 0.1, 0.01, 0.05), steps=2000,
            lesson="a curved valley: easy to find, slow to follow to (1, 1)"),
    Surface("beale", beale, window=((-4.5, 4.5), (-4.5, 4.5)), start=(1.0, 1.5),
            minimum=(3.0, 0.5), lrs=_lrs(0.01, 0.003, 0.003, 1.0, 0.03, 0.3), steps=1000,
            lesson="plateaus and cliffs: gradient sizes vary by orders of magnitude"),
]}


def get_surface(name: str) -> Surface:
    """The surface called ``name`` (one of ``SURFACES``)."""
    try:
        return SURFACES[name]
    except KeyError:
        raise ValueError(f"unknown surface {name!r}; choose one of {', '.join(SURFACES)}") from None
