"""The journey's table: one row per optimizer run, printed, and written as CSV and Markdown.

Columns (every run measured the same way, see ``training.train``):

* steps: parameter updates; loss evals / grad evals: what the optimizer paid for (a numeric
  gradient costs 2 loss evaluations per weight, plus one for the loss itself);
* data passes: training rows read by all those loss evaluations, divided by the training set's
  size (a mini-batch evaluation reads only its batch);
* time: wall time of the steps (the final measurements are not included), and per step;
* train loss, train acc, test acc: the weights the run ended with, on the whole sets.
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields

__all__ = ["Row", "format_console", "format_markdown", "write_csv", "CSV_COLUMNS"]


@dataclass
class Row:
    stage: str
    method: str
    steps: int
    loss_evals: int
    grad_evals: int
    data_passes: float
    seconds: float
    train_loss: float
    train_acc: float
    test_acc: float

    @property
    def seconds_per_step(self) -> float:
        return self.seconds / self.steps if self.steps else float("nan")


CSV_COLUMNS = [f.name for f in fields(Row)] + ["seconds_per_step"]

_HEADERS = ["stage", "method", "steps", "loss evals", "grad evals", "data passes", "time",
            "time/step", "train loss", "train acc", "test acc"]
_RIGHT = {"steps", "loss evals", "grad evals", "data passes", "time", "time/step",
          "train loss", "train acc", "test acc"}


def _duration(seconds: float) -> str:
    """0.61 ms, 12.3 ms, 1.25 s, 75.0 s."""
    if seconds != seconds:  # nan
        return "-"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def _passes(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _cells(row: Row) -> list[str]:
    return [row.stage, row.method, f"{row.steps:,}", f"{row.loss_evals:,}",
            f"{row.grad_evals:,}", _passes(row.data_passes), _duration(row.seconds),
            _duration(row.seconds_per_step), f"{row.train_loss:.4f}", f"{row.train_acc:.1%}",
            f"{row.test_acc:.1%}"]


def format_console(rows: list[Row]) -> str:
    """Aligned columns for a terminal; text left-aligned, numbers right-aligned."""
    table = [_HEADERS] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADERS))]

    def line(cells):
        return "  ".join(c.rjust(w) if h in _RIGHT else c.ljust(w)
                         for c, w, h in zip(cells, widths, _HEADERS)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(_HEADERS), rule] + [line(c) for c in table[1:]])


def format_markdown(rows: list[Row]) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned)."""
    align = ["---:" if h in _RIGHT else "---" for h in _HEADERS]
    lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def write_csv(rows: list[Row], path) -> None:
    """One line per row with the raw numbers (seconds, fractions), columns ``CSV_COLUMNS``."""
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**asdict(row), "seconds_per_step": row.seconds_per_step})
