"""``minigrad journey``: the article's road from random search to Adam, on a real classifier.

A linear classifier (scores = X @ W, softmax or SVM loss) is trained six ways, in the order the
article invents them; every run goes through one training loop and is measured the same way
(steps, loss and gradient evaluations, data passes, wall time, final loss, accuracies)::

    1 random search        RandomSearch, global then local; no gradient at all
    2 numeric gradient     numerical_backward + SGD: 2 loss evaluations per weight per step
    3 analytic gradient    backward() + SGD, the same steps; then a float64 gradient check
    4 gradient descent     full-batch steps
    5 SGD                  mini-batches from a DataLoader
    6 beyond SGD           momentum, Nesterov, Adagrad, RMSprop, Adam on SGD's budget

Usage::

    minigrad journey [--loss softmax|svm] [--dataset digits|cifar10|spiral] [--data-dir DIR]
                     [--out DIR] [--quick] [--seed N] [--no-progress]

It prints the table and writes into ``--out`` (default ``journey-out/``): ``journey.csv``,
``journey.md``, ``gradient_check.txt``, loss curves (``loss_*.png``), the classifier's graph
(``classifier_graph.svg``) and the optimizers' paths (``paths_*.png``). ``run_journey`` does
the same from Python and returns the ``Journey`` (rows, curves, gradient check).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from ..data import DataFileError
from .classifier import LOSSES
from .data import DATASETS
from .report import format_console, format_markdown, write_csv
from .runner import Journey, JourneyConfig
from .stages import STAGES, takeaways

__all__ = ["add_arguments", "main", "run_journey", "JourneyConfig", "Journey"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--loss", choices=list(LOSSES), default="softmax",
                        help="the classifier's loss: softmax (cross-entropy, default) or svm "
                             "(multiclass hinge)")
    parser.add_argument("--dataset", choices=list(DATASETS), default="digits",
                        help="digits (default: bundled with scikit-learn, offline), cifar10 "
                             "(local files, see --data-dir; takes minutes) or spiral")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="with --dataset cifar10: the extracted cifar-10-batches-py (or "
                             "-bin) folder, or its parent")
    parser.add_argument("--out", default="journey-out", metavar="DIR",
                        help="folder for the table and pictures (default: journey-out/)")
    parser.add_argument("--quick", action="store_true",
                        help="small budgets and data: a few seconds (numbers are rougher)")
    parser.add_argument("--seed", type=_seed, default=0,
                        help="seed of the data split, initial weights, searches and batches "
                             "(default 0)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars (they are off anyway when output is not a "
                             "terminal)")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number >= 0, got {text!r}") \
            from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number >= 0, got {value}")
    return value


def run_journey(config: JourneyConfig, out_dir, echo=print) -> Journey:
    """Run the six stages, print the table, write the files; returns the Journey."""
    from . import outputs

    started = time.perf_counter()
    journey = Journey.start(config, echo=echo)
    _prepare_out_dir(out_dir)
    data = journey.data
    echo(f"minigrad journey: a linear classifier with the {config.loss} loss, "
         f"{'quick' if config.quick else 'full'} budget, seed {config.seed}")
    echo(f"  data: {data.description}")
    initial_loss, _ = journey.classifier().evaluate(data.X_train, data.y_train)
    expected, formula = journey.classifier().expected_initial_loss()
    echo(f"  sanity check: loss at initialisation {initial_loss:.4f}, expected about "
         f"{formula} = {expected:.4f} for tiny weights")
    for stage in STAGES:
        stage(journey)

    echo("\n" + format_console(journey.rows))
    for line in takeaways(journey):
        echo(f"* {line}")
    written = _write_tables(journey, out_dir)
    by_stage = {}
    for curve in journey.curves:
        by_stage.setdefault(curve.stage, []).append(curve)
    for stage, curves in by_stage.items():
        path = os.path.join(out_dir, outputs.stage_file_name(stage))
        outputs.plot_stage_curves(curves, path)
        written.append(path)
    path = os.path.join(out_dir, "loss_vs_data_passes.png")
    outputs.plot_data_passes(journey.curves, path,
                             title=f"{config.loss} classifier on {config.dataset}")
    written.append(path)
    path, note = outputs.write_loss_graph(journey.W0, data.X_train, data.y_train, config.loss,
                                          out_dir)
    written.append(path)
    if note:
        echo(f"\nthe classifier's graph: {note}")
    written += outputs.draw_paths(out_dir, steps=journey.budget.path_steps, seed=config.seed)
    echo(f"\nwrote {len(written)} files into {out_dir}: "
         + ", ".join(os.path.basename(p) for p in written))
    echo(f"total time {time.perf_counter() - started:.1f} s")
    return journey


def _prepare_out_dir(out_dir) -> None:
    """Make ``out_dir`` and check that a file can be created in it, before the stages: a folder
    that cannot be written fails at once, not after minutes of training."""
    try:
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise type(exc)(f"cannot write into the output folder {str(out_dir)!r}: "
                        f"{exc.strerror or exc}") from exc


def _write_tables(journey: Journey, out_dir) -> list[str]:
    config = journey.config
    csv_path = os.path.join(out_dir, "journey.csv")
    write_csv(journey.rows, csv_path)
    md_path = os.path.join(out_dir, "journey.md")
    with open(md_path, "w") as fh:
        fh.write(f"`minigrad journey --loss {config.loss} --dataset {config.dataset} --seed "
                 f"{config.seed}{' --quick' if config.quick else ''}`: "
                 f"{journey.data.description}.\n\n{format_markdown(journey.rows)}\n\n")
        fh.writelines(f"* {line}\n" for line in takeaways(journey))
    check_path = os.path.join(out_dir, "gradient_check.txt")
    with open(check_path, "w") as fh:
        fh.write(f"{journey.extras['gradient_check']}\n")
    return [csv_path, md_path, check_path]


def main(args) -> int:
    problem = None
    if args.data_dir is not None and args.dataset != "cifar10":
        problem = f"--data-dir is only read with --dataset cifar10 (got --dataset {args.dataset})"
    elif args.data_dir is None and args.dataset == "cifar10":
        problem = ("--dataset cifar10 needs --data-dir DIR: the extracted cifar-10-batches-py "
                   "(or cifar-10-batches-bin) folder from https://www.cs.toronto.edu/~kriz/"
                   "cifar.html, or its parent (minigrad downloads nothing)")
    if problem:
        print(f"minigrad journey: {problem}", file=sys.stderr)
        return 2
    config = JourneyConfig(loss=args.loss, dataset=args.dataset, data_dir=args.data_dir,
                           quick=args.quick, seed=args.seed,
                           progress=not args.no_progress and sys.stderr.isatty()
                           and sys.stdout.isatty())
    try:
        run_journey(config, args.out)
    except (OSError, DataFileError) as exc:
        print(f"minigrad journey: {exc}", file=sys.stderr)
        return 2
    return 0
