"""``gradcheck_sparse``: the CS231n practice of checking a few random coordinates.

A full check of a 3073 x 10 classifier costs 61,460 loss evaluations; checking 10 random
coordinates costs 20 and catches almost every real bug (a wrong formula is rarely wrong in only
a handful of places). For each sampled index i::

    numerical_i = (f(x + h e_i) - f(x - h e_i)) / 2h        (float64, x restored exactly)
    rel_i       = |numerical_i - analytic_i| / max(|numerical_i| + |analytic_i|, tiny)

Reading rel_i (CS231n): < 1e-7 good; < 1e-4 acceptable with kinks (relu, max); < 1e-2
uncomfortable; above 1e-2 the gradient is probably wrong. Near a kink (relu at 0, max ties) a
correct gradient can show a large error: the two sides of the difference straddle the kink.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._table import format_number, format_table
from .check import generator_from
from .numeric import (central_differences, check_eps, check_tolerance, perturbable,
                      relative_error, scalar_value)

__all__ = ["gradcheck_sparse", "SparseCheck", "SparseCheckReport", "verdict"]


def verdict(rel: float) -> str:
    """CS231n's reading of a relative error."""
    if not rel < 1e-2:  # also NaN
        return "wrong"
    if rel < 1e-7:
        return "good"
    return "ok with kinks" if rel < 1e-4 else "suspicious"


@dataclass
class SparseCheck:
    """One sampled coordinate."""

    index: tuple
    numerical: float
    analytic: float
    relative_error: float
    within_atol: bool = False  # |numerical - analytic| <= atol: both are zero up to rounding

    @property
    def verdict(self) -> str:
        if self.within_atol and not self.relative_error < 1e-7:
            return "ok (|difference| <= atol)"
        return verdict(self.relative_error)


@dataclass
class SparseCheckReport:
    """The sampled coordinates; prints as a table. ``passed``: at every coordinate the relative
    error is below ``threshold`` or the two values differ by at most ``atol``."""

    rows: list
    size: int                # elements of x
    eps: float
    threshold: float
    loss_evaluations: int

    @property
    def max_relative_error(self) -> float:
        errors = [row.relative_error for row in self.rows]
        return float(np.max(errors)) if errors else 0.0

    @property
    def passed(self) -> bool:
        return all(row.relative_error < self.threshold or row.within_atol for row in self.rows)

    def as_dicts(self) -> list:
        return [{"index": r.index, "numerical": r.numerical, "analytic": r.analytic,
                 "relative_error": r.relative_error, "verdict": r.verdict} for r in self.rows]

    def __str__(self) -> str:
        state = "passed" if self.passed else "FAILED"
        head = (f"gradcheck_sparse: {len(self.rows)} random coordinates of {self.size}, "
                f"h = {self.eps:g}: max relative error "
                f"{format_number(self.max_relative_error, 2)} ({state}: threshold "
                f"{self.threshold:g})")
        table = format_table(
            ["index", "numerical", "analytic", "relative error", "verdict"],
            [[str(r.index), format_number(r.numerical, 8), format_number(r.analytic, 8),
              format_number(r.relative_error, 2), r.verdict] for r in self.rows])
        return head + "\n" + table


def gradcheck_sparse(f, x, analytic_grad, num_checks: int = 10, eps: float = 1e-5, seed=None,
                     *, threshold: float = 1e-5, atol: float = 1e-8,
                     verbose: bool = False) -> SparseCheckReport:
    """Compare ``analytic_grad`` with central differences of the scalar ``f(x)`` at
    ``num_checks`` random coordinates of ``x`` (all of them if x is smaller).

    ``x`` is a Tensor or a float array (perturbed in float64 and restored exactly, like
    ``numerical_grad``); ``analytic_grad`` has x's shape. ``seed`` (None: the package's
    generator) picks the coordinates. ``verbose=True`` prints the table. Returns a
    ``SparseCheckReport``; ``passed`` when every relative error is below ``threshold``
    (1e-5: float64 and smooth; raise it for float32 gradients or functions with kinks), or the
    two values differ by at most ``atol``: where the true gradient is 0, rounding leaves
    residues like 1e-17 on one side and exactly 0 on the other, a relative error of 1.
    """
    eps = check_eps(eps, "gradcheck_sparse")
    if not isinstance(atol, (int, float, np.floating)) or not 0 <= atol < np.inf:
        raise ValueError(f"gradcheck_sparse: atol must be a number >= 0, got {atol!r}")
    if not isinstance(num_checks, (int, np.integer)) or num_checks < 1:
        raise ValueError(f"gradcheck_sparse: num_checks must be a positive integer, "
                         f"got {num_checks!r}")
    threshold = check_tolerance(threshold, "threshold", "gradcheck_sparse")
    if analytic_grad is None:
        raise TypeError("gradcheck_sparse: analytic_grad is None (x.grad before backward()?); "
                        "pass the analytic gradient to check, shaped like x")
    shape = np.shape(x.data if isinstance(x, Tensor) else x)
    analytic = np.asarray(analytic_grad.data if isinstance(analytic_grad, Tensor)
                          else analytic_grad, dtype=np.float64)
    if analytic.shape != shape:
        raise ShapeError(f"gradcheck_sparse: analytic_grad has shape {analytic.shape} but x "
                         f"has shape {shape}")
    size = int(np.prod(shape, dtype=np.int64))
    rng = generator_from(seed)
    flat = rng.choice(size, size=min(int(num_checks), size), replace=False)
    with perturbable(x, 0, "gradcheck_sparse") as (argument, array):
        numerical = central_differences(lambda: scalar_value(f(argument), "gradcheck_sparse"),
                                        array, eps, indices=flat)
    rows = []
    for i, n in zip(flat, numerical):
        index = tuple(int(k) for k in np.unravel_index(int(i), shape))
        a = float(analytic[index])
        rows.append(SparseCheck(index, float(n), a, relative_error(n, a), abs(n - a) <= atol))
    report = SparseCheckReport(rows, size, eps, threshold, loss_evaluations=2 * len(rows))
    if verbose:
        print(report)
    return report
