"""The journey's shared state: data, starting weights, step sizes, and the rows measured so far.

``Journey.run`` is the only way a stage trains anything: it times ``training.train`` on a fresh
progress bar, measures the result on the whole training and test sets, prints one line and
appends a ``Row`` to the table. Every gradient-based run starts from the same weights ``W0``.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from ..data import DataLoader, TensorDataset
from ..tensor import Tensor
from .classifier import LinearClassifier, initial_weights
from .data import JourneyData, load_journey_data
from .report import Row
from .settings import DEFAULT_BUDGET, QUICK_BUDGET, Budget, StepSizes
from .training import Run, full_batch, mini_batches, progress_bar, train

__all__ = ["JourneyConfig", "Journey", "Curve"]


@dataclass(frozen=True)
class JourneyConfig:
    """What ``minigrad journey`` was asked for."""

    loss: str = "softmax"
    dataset: str = "digits"
    data_dir: str | None = None
    quick: bool = False
    seed: int = 0
    progress: bool = False

    @property
    def budget(self) -> Budget:
        return QUICK_BUDGET if self.quick else DEFAULT_BUDGET


@dataclass
class Curve:
    """The loss an optimizer reported after each step, and the data passes spent by then."""

    stage: str
    method: str
    losses: list
    passes: list


@dataclass
class Journey:
    config: JourneyConfig
    data: JourneyData
    W0: np.ndarray
    steps: StepSizes
    echo: object = print
    rows: list = field(default_factory=list)
    curves: list = field(default_factory=list)
    extras: dict = field(default_factory=dict)   # what a stage leaves for later ones / the caller

    @classmethod
    def start(cls, config: JourneyConfig, echo=print) -> "Journey":
        budget = config.budget
        data = load_journey_data(config.dataset, config.data_dir, seed=config.seed,
                                 train_limit=budget.train_limit, test_limit=budget.test_limit)
        W0 = initial_weights(data.n_features, data.n_classes, seed=config.seed)
        return cls(config, data, W0, StepSizes.from_data(data.X_train, config.loss), echo)

    @property
    def budget(self) -> Budget:
        return self.config.budget

    # ------------------------------------------------------------------ building blocks
    def classifier(self, W=None) -> LinearClassifier:
        """A fresh classifier starting at ``W`` (default: the shared start ``W0``)."""
        return LinearClassifier(self.W0 if W is None else W, self.config.loss)

    def full_batch(self, rows: int | None = None):
        """Every step sees the whole training set (or a fixed batch: its first ``rows`` rows)."""
        rows = self.data.n_train if rows is None else rows
        return full_batch(Tensor(self.data.X_train[:rows]), self.data.y_train[:rows])

    def loader(self) -> DataLoader:
        """Shuffled mini-batches, seeded: every optimizer sees the same batches in order."""
        return DataLoader(TensorDataset(self.data.X_train, self.data.y_train),
                          batch_size=self.budget.batch_size, shuffle=True, seed=self.config.seed)

    def mini_batches(self):
        return mini_batches(self.loader())

    def numeric_batch_size(self, n_weights: int) -> int:
        """Rows per loss evaluation in stages 2 and 3: the whole training set when
        ``numeric_steps`` steps of (1 + 2 x n_weights) evaluations fit in ``numeric_rows``,
        else as many of its first rows as fit (at least 1)."""
        evaluations = self.budget.numeric_steps * (1 + 2 * n_weights)
        return max(1, min(self.data.n_train, self.budget.numeric_rows // evaluations))

    @property
    def sgd_steps(self) -> int:
        """The mini-batch budget: ``sgd_epochs`` passes over the training set."""
        return self.budget.sgd_epochs * len(self.loader())

    # ------------------------------------------------------------------ the one way to train
    def run(self, stage: str, method: str, optimizer, classifier: LinearClassifier, batches,
            steps: int, gradient: str) -> tuple[Row, Run]:
        """Train with ``training.train``, measure, print one line, add a row to the table."""
        bar = progress_bar(steps, f"{stage}: {method}", self.config.progress)
        run = train(optimizer, classifier, batches, steps, gradient, progress=bar)
        data = self.data
        train_loss, train_acc = classifier.evaluate(data.X_train, data.y_train)
        _, test_acc = classifier.evaluate(data.X_test, data.y_test)
        row = Row(stage=stage, method=method, steps=run.steps,
                  loss_evals=run.loss_evaluations, grad_evals=run.grad_evaluations,
                  data_passes=run.samples / data.n_train, seconds=run.seconds,
                  train_loss=train_loss, train_acc=train_acc, test_acc=test_acc)
        self.rows.append(row)
        self.curves.append(Curve(stage, method, run.curve,
                                 [s / data.n_train for s in run.samples_after]))
        self.echo(f"  {method}: {row.steps:,} steps, {row.loss_evals:,} loss + "
                  f"{row.grad_evals:,} gradient evaluations in {row.seconds:.3g} s -> training "
                  f"loss {train_loss:.4f}, accuracy {train_acc:.1%} train / {test_acc:.1%} test")
        sys.stdout.flush()
        return row, run
