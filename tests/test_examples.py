"""Every script in examples/ runs and shows what it promises.

Each numbered script (found by glob, so a new one is included; unnumbered modules such as
``digits_classifier.py`` are helpers the scripts import) runs in a subprocess with a timeout, in
its own temporary working folder, and must exit with 0; then one check per script reads what it
printed (or wrote) and tests the lesson it teaches. A script without a check fails the suite.
"""
import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("[0-9]*.py"))
TIMEOUT = 180  # seconds per script; each takes a few seconds on a laptop
EXTRA_ARGS = {"07_beyond_sgd.py": ["--out", "pictures"]}  # also exercise its drawing


def _environment() -> dict:
    env = dict(os.environ, MPLBACKEND="Agg")
    # The examples multiply small matrices: BLAS threads only add contention on a busy machine.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


class Run:
    """One finished run of an example: its output and the folder it ran in."""

    def __init__(self, name: str, folder: Path):
        self.name, self.folder = name, folder
        command = [sys.executable, str(ROOT / "examples" / name), *EXTRA_ARGS.get(name, [])]
        result = subprocess.run(command, cwd=folder, env=_environment(), capture_output=True,
                                text=True, timeout=TIMEOUT)
        self.returncode, self.out, self.err = result.returncode, result.stdout, result.stderr

    def number(self, pattern: str) -> float:
        """The number captured by ``pattern`` (its first group; '%' values as fractions)."""
        match = re.search(pattern, self.out, re.M)
        assert match, f"{self.name}: no line matches {pattern!r} in its output:\n{self.out}"
        text = match.group(1)
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)

    def row(self, first_cell: str, after: str = "") -> list:
        """The cells of the first table row that starts with ``first_cell`` (after the line
        containing ``after``)."""
        lines = self.out[self.out.index(after):].splitlines() if after else self.out.splitlines()
        for line in lines:
            cells = line.split()
            if cells and cells[0] == first_cell:
                return cells
        raise AssertionError(f"{self.name}: no row {first_cell!r} after {after!r}:\n{self.out}")


@pytest.fixture(scope="session")
def run_example(tmp_path_factory):
    """``run_example(name) -> Run``, each script run at most once per test session."""
    runs = {}

    def run(name: str) -> Run:
        if name not in runs:
            runs[name] = Run(name, tmp_path_factory.mktemp(Path(name).stem))
        return runs[name]

    return run


ACCURACY = r"(\d+\.\d%)"


def check_random_search(run, _):
    global_accuracy = run.number(rf"^global random search: .*test accuracy {ACCURACY}")
    local_accuracy = run.number(rf"^local random search: .*test accuracy {ACCURACY}")
    assert 0.15 < global_accuracy < 0.5, "global search: above chance (10%), far below SGD"
    assert local_accuracy > global_accuracy + 0.3


def check_numeric_gradient(run, _):
    assert "dW = (loss(W+h) - loss(W-h)) / 2h" in run.out  # the article's table
    weights = run.number(r"^one numeric gradient: (\d+) weights")
    evaluations = run.number(r"^one numeric gradient: \d+ weights, (\d+) loss evaluations")
    assert weights == 650 and evaluations == 1 + 2 * weights
    steps = run.out.count("  step ")
    assert steps >= 1
    assert run.number(r"(\d+) loss evaluations in all$") == steps * evaluations
    before = run.number(r"^numeric-gradient SGD: loss (\d+\.\d+) ->")
    after = run.number(r"^numeric-gradient SGD: loss \d+\.\d+ -> (\d+\.\d+)")
    assert after < 0.5 * before


def check_gradcheck(run, _):
    assert run.number(r"^sparse check: max relative error (\S+)") < 1e-7
    assert run.number(r"^all 650 coordinates: max relative error (\S+),") < 1e-7
    assert run.number(r"whole vector \|a - n\| / \(\|a\| \+ \|n\|\) = (\S+)$") < 1e-7
    assert re.search(r"^gradcheck \(every entry.*\): True$", run.out, re.M)
    # WrongSquare's backward gives x instead of 2x: at x = 2 that is 2 against 4
    assert "analytical 2, numerical 4" in run.out


def check_gradient_descent(run, _):
    first = run.number(r"^gradient descent: loss (\d+\.\d+)")
    last = run.number(r"^gradient descent: loss .* -> (\d+\.\d+) in")
    assert abs(first - 2.3026) < 1e-3 and last < 0.2
    assert run.number(rf"test accuracy {ACCURACY}$") > 0.9


def check_sgd(run, run_example):
    sgd_accuracy = run.number(rf"^SGD: .*test accuracy {ACCURACY}")
    random_search = run_example("01_random_search.py")
    assert random_search.returncode == 0
    best_random = random_search.number(rf"^local random search: .*test accuracy {ACCURACY}")
    assert sgd_accuracy > best_random > 0.5
    sgd_loss = run.number(r"^SGD: train loss (\d+\.\d+)")
    gd_loss = run.number(r"^gradient descent, the same .*train loss (\d+\.\d+)")
    assert sgd_loss < gd_loss  # for the same passes over the data
    assert sgd_accuracy > 0.9


def check_pytorch_style(run, _):
    assert run.number(r"^(\d+) gradient evaluations") == 5 * 45  # 5 epochs of 45 batches
    assert run.number(rf"test accuracy {ACCURACY}$") > 0.9


def check_beyond_sgd(run, _):
    sgd, momentum = run.row("SGD"), run.row("momentum")  # the ravine's table comes first
    # columns: name, lr, y sign flips in 50 steps, steps to within 0.01, distance after 300
    assert sgd[2] == "50" and sgd[3] == "never"  # zig-zag at every step, never arrives
    assert momentum[3] != "never" and float(momentum[4]) < float(sgd[4]) / 100
    saddle = {name: run.row(name, after="2. saddle") for name in ("SGD", "momentum", "Adam")}
    assert all(cells[-1] == "0" for cells in saddle.values())  # stuck on the axis
    assert int(saddle["momentum"][2]) < int(saddle["SGD"][2])  # momentum escapes sooner
    for surface in ("ravine", "saddle", "noisy"):
        picture = run.folder / "pictures" / f"paths_{surface}.png"
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def check_graph_picture(run, _):
    by_autograd = run.number(r"dL/dw = (-?\d+\.\d+), dL/db")
    by_hand = run.number(r"^chain rule by hand: dL/dw = .* = (-?\d+\.\d+)$")
    assert by_autograd == by_hand
    # with Graphviz's dot the pictures are rendered; without it the DOT sources are written
    suffix = "svg" if shutil.which("dot") else "gv"
    expression = (run.folder / "graphs" / f"expression.{suffix}").read_text()
    classifier = (run.folder / "graphs" / f"classifier_loss.{suffix}").read_text()
    if suffix == "svg":
        assert "<svg" in expression and "<svg" in classifier
    assert "Tanh" in expression
    assert "MatMul" in classifier and "CrossEntropy" in classifier


def check_mlp_spiral(run, _):
    linear = run.number(rf"^linear classifier: train accuracy {ACCURACY}")
    mlp = run.number(rf"^MLP .*: train accuracy {ACCURACY}")
    assert linear < 0.7 and mlp > 0.9


CHECKS = {
    "01_random_search.py": check_random_search,
    "02_numeric_gradient.py": check_numeric_gradient,
    "03_analytic_gradient_gradcheck.py": check_gradcheck,
    "04_gradient_descent.py": check_gradient_descent,
    "05_sgd_dataloader.py": check_sgd,
    "06_pytorch_style_loop.py": check_pytorch_style,
    "07_beyond_sgd.py": check_beyond_sgd,
    "08_graph_picture.py": check_graph_picture,
    "09_mlp_spiral.py": check_mlp_spiral,
}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_teaches(path, run_example):
    assert path.name in CHECKS, f"examples/{path.name} has no check: add one to CHECKS"
    run = run_example(path.name)
    assert run.returncode == 0, f"{path.name} failed:\n{run.out}\n{run.err}"
    assert run.out.strip(), f"{path.name} printed nothing"
    CHECKS[path.name](run, run_example)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_says_what_it_shows(path):
    docstring = ast.get_docstring(ast.parse(path.read_text()))
    assert docstring and len(docstring.splitlines()) >= 3, \
        f"examples/{path.name} needs a module docstring saying what it shows"
    assert f"python examples/{path.name}" in docstring, "the docstring says how to run it"


def test_examples_follow_the_article():
    assert [p.name for p in EXAMPLES][:len(CHECKS)] == list(CHECKS)
