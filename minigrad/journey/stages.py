"""The six stages of the journey, one function each, in the article's order.

Each prints what it is about, trains through ``Journey.run`` (so every row of the table is
measured the same way) and prints what it found. Gradient-based stages start from the same
weights ``W0``; stage 6 gives every optimizer stage 5's budget and the same mini-batches.
"""
from __future__ import annotations

import textwrap

import numpy as np

from ..optim import SGD, Adagrad, Adam, RMSprop, RandomSearch
from .check import check_gradient
from .runner import Journey

__all__ = ["STAGES", "takeaways", "random_search", "numeric_gradient", "analytic_gradient",
           "gradient_descent", "stochastic_gradient_descent", "beyond_sgd"]

RANDOM, NUMERIC, ANALYTIC, GD, SGD_STAGE, BEYOND = (
    "1 random search", "2 numeric gradient", "3 analytic gradient", "4 gradient descent",
    "5 SGD", "6 beyond SGD")


def _header(j: Journey, stage: str, idea: str) -> None:
    j.echo(f"\n== {stage} ==")
    j.echo(textwrap.fill(idea, width=96, initial_indent="  ", subsequent_indent="  "))


def random_search(j: Journey) -> None:
    """Approach 1: draw random weights, keep the best; then search around the best."""
    _header(j, RANDOM, "Try random weights and keep the ones with the lowest loss; no gradient "
                       "is ever computed. Then a local search: small random steps from the "
                       "best weights, kept only when the loss goes down.")
    steps, seed = j.budget.random_steps, j.config.seed
    std = j.steps.global_std
    classifier = j.classifier()
    j.run(RANDOM, f"global, W = {std:g} * N(0, 1)", RandomSearch(
        [classifier.W], std=std, mode="global", seed=seed), classifier, j.full_batch(), steps,
        "none")
    std = j.steps.local_std
    local = j.classifier(W=classifier.W.data)
    j.run(RANDOM, f"local, steps {std:.3g} * N(0, 1)", RandomSearch(
        [local.W], std=std, mode="local", seed=seed + 1), local, j.full_batch(), steps, "none")


def _follow_the_slope(j: Journey, stage: str, gradient: str):
    """Stages 2 and 3: the same SGD, steps and batch; only the gradient's source differs.
    Returns (classifier, row, run)."""
    lr = j.steps.gradient_descent
    rows = j.numeric_batch_size(j.W0.size)
    batch = "full batch" if rows == j.data.n_train else f"fixed batch of {rows} rows"
    classifier = j.classifier()
    row, run = j.run(stage, f"SGD lr {lr:.3g}, {batch}", SGD([classifier.W], lr=lr), classifier,
                     j.full_batch(rows), j.budget.numeric_steps, gradient)
    return classifier, row, run


def numeric_gradient(j: Journey) -> None:
    """Approach 2: follow the slope, measured by finite differences (2 evaluations a weight)."""
    _header(j, NUMERIC, "Follow the slope: nudge each weight by h = 1e-5 both ways, "
                        "dL/dw = (L(w + h) - L(w - h)) / 2h, and step downhill. Exact enough, "
                        "but every step re-evaluates the loss twice per weight.")
    classifier, row, run = _follow_the_slope(j, NUMERIC, "numeric")
    n = classifier.W.numel()
    per_step = row.loss_evals / row.steps if row.steps else float("nan")
    j.echo(f"  cost: {per_step:,.0f} loss evaluations per step = 2 x {n:,} weights + 1 for the "
           f"loss itself; {run.seconds_per_step:.3g} s per step")
    j.echo("  (the article's CIFAR-10 classifier has 3073 x 10 = 30,730 weights: "
           "61,461 loss evaluations per step)")
    j.extras["numeric"] = (run, classifier.W.data.copy())


def analytic_gradient(j: Journey) -> None:
    """Approach 3: the exact gradient from backward(), checked against the numeric one."""
    _header(j, ANALYTIC, "The loss is a formula in W, so its gradient is a formula too: "
                         "backward() computes it exactly in about the time of one more loss "
                         "evaluation. Same optimizer, steps and batch as stage 2; then the "
                         "gradient check.")
    classifier, _, run = _follow_the_slope(j, ANALYTIC, "backward")
    numeric = j.extras.get("numeric")
    if numeric is not None and run.steps:
        numeric_run, numeric_W = numeric
        gap = float(np.max(np.abs(numeric_W - classifier.W.data)))
        j.echo(f"  cost: 1 loss + 1 gradient evaluation per step, {run.seconds_per_step:.3g} s "
               f"per step: {numeric_run.seconds_per_step / run.seconds_per_step:,.0f}x faster "
               f"than stage 2; after the same {run.steps} steps the two runs' weights differ "
               f"by at most {gap:.2g}")
    j.echo("  gradient check (float64, at the initial weights):")
    check = check_gradient(j.W0, j.data.X_train, j.data.y_train, j.config.loss,
                           samples=j.budget.check_samples, seed=j.config.seed,
                           max_weights=j.budget.check_weights)
    j.echo(textwrap.indent(str(check), "  "))
    j.extras["gradient_check"] = check


def gradient_descent(j: Journey) -> None:
    """Approach 4: many full-batch steps w <- w - lr * dL/dw."""
    lr = j.steps.gradient_descent
    _header(j, GD, f"Repeat w <- w - lr * dL/dw on the whole training set. lr = "
                   f"{lr:.3g} comes from the data: {j.steps.describe()}.")
    classifier = j.classifier()
    j.run(GD, f"SGD lr {lr:.3g}, full batch", SGD([classifier.W], lr=lr), classifier,
          j.full_batch(), j.budget.gd_steps, "backward")


def stochastic_gradient_descent(j: Journey) -> None:
    """Approach 5: the same update on mini-batches from a DataLoader."""
    lr, size = j.steps.gradient_descent, j.budget.batch_size
    _header(j, SGD_STAGE, f"A step needs no exact gradient: the gradient on a mini-batch of "
                          f"{size} is an unbiased estimate at a fraction of the cost. "
                          f"{j.budget.sgd_epochs} epochs of shuffled batches from a DataLoader.")
    classifier = j.classifier()
    j.run(SGD_STAGE, f"SGD lr {lr:.3g}, batch {size}", SGD([classifier.W], lr=lr), classifier,
          j.mini_batches(), j.sgd_steps, "backward")


def beyond_sgd(j: Journey) -> None:
    """SGD's fixes: momentum, Nesterov, per-weight step sizes (Adagrad, RMSprop), Adam."""
    _header(j, BEYOND, "SGD zig-zags in ravines, stalls at saddle points and jitters with "
                       "noisy gradients (see the paths_*.png pictures). Momentum, Nesterov, "
                       "Adagrad, RMSprop and Adam on stage 5's budget and batches.")
    s, size = j.steps, j.budget.batch_size
    optimizers = [
        (f"momentum 0.9, lr {s.momentum:.3g}", lambda p: SGD(p, lr=s.momentum, momentum=0.9)),
        (f"Nesterov 0.9, lr {s.momentum:.3g}",
         lambda p: SGD(p, lr=s.momentum, momentum=0.9, nesterov=True)),
        (f"Adagrad lr {s.adagrad:.3g}", lambda p: Adagrad(p, lr=s.adagrad)),
        (f"RMSprop lr {s.adam:.3g}", lambda p: RMSprop(p, lr=s.adam)),
        (f"Adam lr {s.adam:.3g}", lambda p: Adam(p, lr=s.adam)),
    ]
    for method, make in optimizers:
        classifier = j.classifier()
        j.run(BEYOND, f"{method}, batch {size}", make([classifier.W]), classifier,
              j.mini_batches(), j.sgd_steps, "backward")


def takeaways(j: Journey) -> list[str]:
    """Three lines reading the table: search vs SGD, numeric vs analytic cost, the best run."""
    def rows(stage):
        return [r for r in j.rows if r.stage == stage]

    lines = []
    searched, sgd = rows(RANDOM), rows(SGD_STAGE)
    if searched and sgd:
        found = " and ".join(f"{r.test_acc:.1%} ({r.method.split(',')[0]})" for r in searched)
        lines.append(f"random search reached {found} test accuracy with "
                     f"{searched[0].data_passes:,.0f} data passes each; SGD "
                     f"{sgd[0].test_acc:.1%} with {sgd[0].data_passes:,.3g} data passes")
    numeric, analytic = rows(NUMERIC), rows(ANALYTIC)
    if numeric and analytic and numeric[0].steps and analytic[0].seconds > 0:
        lines.append(f"a numeric-gradient step cost {numeric[0].loss_evals // numeric[0].steps:,}"
                     f" loss evaluations and was "
                     f"{numeric[0].seconds_per_step / analytic[0].seconds_per_step:,.0f}x slower "
                     f"than a backward() step, over the same steps")
    if j.rows:
        best = max(j.rows, key=lambda r: r.test_acc)
        lines.append(f"best test accuracy: {best.test_acc:.1%}, {best.stage} ({best.method})")
    return lines


STAGES = (random_search, numeric_gradient, analytic_gradient, gradient_descent,
          stochastic_gradient_descent, beyond_sgd)
