"""``minigrad journey``: end to end (--quick, in-process and as a subprocess) and its parts."""
import contextlib
import csv
import io
import math
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad import cli
from minigrad.journey.check import check_gradient
from minigrad.journey.classifier import LinearClassifier, initial_weights
from minigrad.journey.data import JourneyData
from minigrad.journey.outputs import smoothed, stage_file_name, write_loss_graph
from minigrad.journey.report import Row, format_console, format_markdown
from minigrad.journey.runner import Journey, JourneyConfig
from minigrad.journey.settings import QUICK_BUDGET, StepSizes, largest_eigenvalue
from minigrad.journey.training import full_batch, make_closure, progress_bar, train
from minigrad.optim import SGD, Adam, RandomSearch

STAGES = ["1 random search", "2 numeric gradient", "3 analytic gradient", "4 gradient descent",
          "5 SGD", "6 beyond SGD"]
PICTURES = [stage_file_name(s) for s in STAGES] + [
    "loss_vs_data_passes.png", "paths_ravine.png", "paths_saddle.png", "paths_noisy.png"]
HAVE_DOT = shutil.which("dot") is not None
GRAPH = "classifier_graph.svg" if HAVE_DOT else "classifier_graph.dot"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIME_COLUMNS = {"seconds", "seconds_per_step"}
STAGE_OF_EACH_ROW = STAGES[:1] * 2 + STAGES[1:5] + STAGES[5:] * 5


def run_cli(*argv):
    """``minigrad journey ...`` in this process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["journey", "--no-progress", *argv])
    return code, out.getvalue(), err.getvalue()


def read_rows(folder):
    with open(folder / "journey.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def rows_of(rows, stage):
    return [r for r in rows if r["stage"] == stage]


def number(text, pattern):
    """The float that ``pattern``'s group captures in ``text`` (which must contain it)."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in the output"
    return float(match.group(1))


def without_times(rows):
    return [{k: v for k, v in r.items() if k not in TIME_COLUMNS} for r in rows]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick softmax run on the digits, shared by the tests that only read its output."""
    folder = tmp_path_factory.mktemp("journey")
    code, out, err = run_cli("--quick", "--out", str(folder))
    assert code == 0, err
    return folder, out, read_rows(folder)


# --------------------------------------------------------------------------- end to end

def test_quick_table_shows_every_stage_and_method(quick):
    _, out, rows = quick
    table = out[out.index("stage  "):]
    for stage in STAGES:
        assert re.search(rf"^{stage}  ", table, re.M), stage
    assert [r["method"].split(",")[0] for r in rows_of(rows, "1 random search")] == \
        ["global", "local"]
    beyond = " ".join(r["method"] for r in rows_of(rows, "6 beyond SGD"))
    for name in ("momentum", "Nesterov", "Adagrad", "RMSprop", "Adam"):
        assert name in beyond
    assert [r["stage"] for r in rows] == STAGE_OF_EACH_ROW


def test_sgd_beats_random_search_on_test_accuracy(quick):
    folder, out, rows = quick
    sgd = float(rows_of(rows, "5 SGD")[0]["test_acc"])
    searched = [float(r["test_acc"]) for r in rows_of(rows, "1 random search")]
    assert sgd > 0.85
    assert searched[0] < 0.5   # global: not far above chance (10%)
    assert all(sgd > acc + 0.3 for acc in searched)
    summary = (f"* random search reached {searched[0]:.1%} (global) and {searched[1]:.1%} "
               f"(local) test accuracy with 150 data passes each; SGD {sgd:.1%} with 8 data "
               "passes")
    assert summary in out and summary in (folder / "journey.md").read_text()


def test_sanity_line_compares_the_initial_loss_with_ln_c(quick):
    _, out, _ = quick
    initial = number(out, r"loss at initialisation (\d+\.\d+)")
    assert "ln(10) = 2.3026" in out
    assert abs(initial - math.log(10)) < 1e-3


def test_promised_files_exist_and_are_pictures(quick):
    folder, out, rows = quick
    for name in PICTURES:
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000, name
    graph = (folder / GRAPH).read_text()  # rendered with Graphviz's dot, else its DOT source
    assert "MatMul" in graph
    assert (graph.lstrip().startswith("<?xml") and "<svg" in graph) if HAVE_DOT else \
        graph.startswith("digraph")
    markdown = (folder / "journey.md").read_text()
    assert markdown.count("\n| ") == len(rows) + 1 and "| 5 SGD |" in markdown
    assert "whole gradient" in (folder / "gradient_check.txt").read_text()
    for name in ["journey.csv", "journey.md", "gradient_check.txt", *PICTURES, GRAPH]:
        assert name in out


def test_gradient_check_is_printed_and_below_1e_7(quick):
    _, out, _ = quick
    whole = number(out, r"\|\|a - n\|\| / \(\|\|a\|\| \+ \|\|n\|\|\) = (\S+):")
    sparse = number(out, r"gradcheck_sparse: .*max relative error (\S+) \(passed")
    assert 0 <= whole < 1e-7 and 0 <= sparse < 1e-7
    coordinates = re.findall(r"^    \(\d+, \d+\)\s+(\S+)\s+(\S+)\s+(\S+)\s+good$", out, re.M)
    assert len(coordinates) == 10
    for numerical, analytic, rel in coordinates:
        assert float(rel) < 1e-7
        assert abs(float(numerical) - float(analytic)) <= 1e-7 * max(abs(float(analytic)), 1e-9)


def test_evaluation_counts(quick):
    _, out, rows = quick
    n_weights = 65 * 10
    for r in rows_of(rows, "1 random search"):
        assert int(r["loss_evals"]) == int(r["steps"]) == QUICK_BUDGET.random_steps
        assert int(r["grad_evals"]) == 0
    numeric = rows_of(rows, "2 numeric gradient")[0]
    steps = int(numeric["steps"])
    assert steps == QUICK_BUDGET.numeric_steps
    assert int(numeric["loss_evals"]) == steps * (2 * n_weights + 1)
    assert int(numeric["grad_evals"]) == steps
    assert float(numeric["data_passes"]) == steps * (2 * n_weights + 1)  # full batch each time
    assert "1,301 loss evaluations per step = 2 x 650 weights + 1" in out
    analytic = rows_of(rows, "3 analytic gradient")[0]
    assert int(analytic["loss_evals"]) == int(analytic["grad_evals"]) == steps
    batches_per_epoch = math.ceil(QUICK_BUDGET.train_limit / QUICK_BUDGET.batch_size)
    for r in rows_of(rows, "5 SGD") + rows_of(rows, "6 beyond SGD"):
        assert int(r["steps"]) == QUICK_BUDGET.sgd_epochs * batches_per_epoch
        assert int(r["loss_evals"]) == int(r["grad_evals"]) == int(r["steps"])
        assert float(r["data_passes"]) == pytest.approx(QUICK_BUDGET.sgd_epochs)


def test_numeric_and_analytic_stages_end_at_the_same_weights(quick):
    _, out, rows = quick
    numeric, analytic = rows_of(rows, "2 numeric gradient")[0], rows_of(rows, "3 analytic "
                                                                           "gradient")[0]
    assert float(numeric["train_loss"]) == pytest.approx(float(analytic["train_loss"]),
                                                         rel=1e-5)
    assert number(out, r"weights differ by at most (\S+)") < 1e-5
    assert float(numeric["seconds_per_step"]) > 20 * float(analytic["seconds_per_step"])


def test_subprocess_run_reproduces_the_in_process_run(quick, tmp_path):
    folder, _, rows = quick
    result = subprocess.run([sys.executable, "-m", "minigrad.cli", "journey", "--quick",
                             "--out", str(tmp_path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "6 beyond SGD" in result.stdout
    assert result.stderr == ""               # no progress bars when not on a terminal
    assert without_times(read_rows(tmp_path)) == without_times(rows)


def test_svm_loss(tmp_path):
    code, out, err = run_cli("--quick", "--loss", "svm", "--seed", "3", "--out", str(tmp_path))
    assert code == 0, err
    assert abs(number(out, r"loss at initialisation (\d+\.\d+)") - 9) < 0.05
    assert "10 - 1 = 9.0000" in out
    assert number(out, r"\|\|a - n\|\| / \(\|\|a\|\| \+ \|\|n\|\|\) = (\S+):") < 1e-7
    rows = read_rows(tmp_path)
    assert [r["stage"] for r in rows] == STAGE_OF_EACH_ROW
    sgd = float(rows_of(rows, "5 SGD")[0]["test_acc"])
    assert sgd > 0.85 and all(sgd > float(r["test_acc"]) + 0.3
                              for r in rows_of(rows, "1 random search"))


def test_spiral_is_beyond_a_linear_classifier(tmp_path):
    code, out, err = run_cli("--quick", "--dataset", "spiral", "--out", str(tmp_path))
    assert code == 0, err
    assert "W of shape 3 x 3" in out
    rows = read_rows(tmp_path)
    assert [r["stage"] for r in rows] == STAGE_OF_EACH_ROW
    numeric = rows_of(rows, "2 numeric gradient")[0]
    assert int(numeric["loss_evals"]) == int(numeric["steps"]) * (2 * 9 + 1)
    assert all(float(r["test_acc"]) < 0.75 for r in rows)      # three interleaved arms
    assert all(float(r["train_acc"]) > 0.4 for r in rows[2:])  # but better than chance (1/3)


def test_cifar10_from_a_local_folder(tmp_path):
    import test_datasets   # the data tests' CIFAR-10 file writers (tests/ is on sys.path)
    folder = test_datasets.write_python(tmp_path / "cifar-10-batches-py",
                                        test_datasets.make_batches(seed=1))
    code, out, err = run_cli("--quick", "--dataset", "cifar10", "--data-dir", str(folder),
                             "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "W of shape 3073 x 10" in out
    assert "61,461 loss evaluations per step = 2 x 30,730 weights + 1" in out
    rows = read_rows(tmp_path / "out")
    numeric = rows_of(rows, "2 numeric gradient")[0]
    assert int(numeric["loss_evals"]) == int(numeric["steps"]) * 61_461
    batch = int(re.search(r"fixed batch of (\d+) rows", numeric["method"]).group(1))
    assert batch < 20                          # too costly on all 20 training images
    assert float(numeric["data_passes"]) == pytest.approx(int(numeric["loss_evals"]) * batch / 20)
    assert [r["stage"] for r in rows] == STAGE_OF_EACH_ROW
    assert "1,000 random weights of 30,730, 2,000 loss evaluations" in out
    assert number(out, r"\|\|a - n\|\| / \(\|\|a\|\| \+ \|\|n\|\|\) = (\S+):") < 1e-7
    assert (tmp_path / "out" / GRAPH).exists()


@pytest.mark.parametrize("argv, words", [
    (["--dataset", "cifar10"], "needs --data-dir"),
    (["--data-dir", "somewhere"], "only read with --dataset cifar10"),
    (["--dataset", "cifar10", "--data-dir", "{empty}"], "no CIFAR-10 batches"),
])
def test_bad_data_arguments_are_refused_before_anything_is_written(tmp_path, argv, words):
    (tmp_path / "empty").mkdir()
    argv = [a.replace("{empty}", str(tmp_path / "empty")) for a in argv]
    code, out, err = run_cli("--quick", *argv, "--out", str(tmp_path / "out"))
    assert code == 2 and words in err
    assert not (tmp_path / "out").exists()


def test_negative_seed_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        cli.main(["journey", "--seed", "-1"])
    assert "--seed must be a whole number >= 0" in capsys.readouterr().err


def test_importing_the_journey_imports_no_optional_dependency():
    code = ("import sys, minigrad.journey; heavy = {'matplotlib', 'graphviz', 'tqdm', 'sklearn',"
            " 'torch'} & set(sys.modules); print(sorted(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the parts

def data(n=120, d=5, c=4, seed=0):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))]).astype(np.float32)
    return X, rng.integers(0, c, n), initial_weights(d + 1, c, seed)


@pytest.mark.parametrize("loss, expected", [("softmax", math.log(4)), ("svm", 3.0)])
def test_classifier_loss_at_tiny_weights(loss, expected):
    X, y, W0 = data()
    classifier = LinearClassifier(W0, loss)
    value, _ = classifier.evaluate(X, y)
    assert classifier.expected_initial_loss()[0] == pytest.approx(expected)
    assert value == pytest.approx(expected, abs=0.01)
    assert classifier.calls == 0            # evaluate is a measurement, not counted
    classifier.loss(X, y)
    assert (classifier.calls, classifier.samples) == (1, len(y))


def test_classifier_scores_and_accuracy_match_numpy():
    X, y, W0 = data()
    W = W0 * 1000
    classifier = LinearClassifier(W, "svm")
    _, accuracy = classifier.evaluate(X, y)
    assert np.allclose(classifier.scores(X).data, X @ W)
    assert accuracy == np.mean((X @ W).argmax(axis=1) == y)


@pytest.mark.parametrize("kwargs, words", [
    (dict(loss="hinge"), "loss must be one of softmax, svm"),
    (dict(W0=np.zeros(3)), "W0 must be a 2-d float array"),
])
def test_classifier_rejects_bad_arguments(kwargs, words):
    W0 = kwargs.pop("W0", np.zeros((6, 4), np.float32))
    with pytest.raises(ValueError, match=words):
        LinearClassifier(W0, **kwargs)


def test_classifier_rejects_features_without_the_bias_column():
    X, y, W0 = data()
    with pytest.raises(ValueError, match=r"X must have shape \(N, 6\)"):
        LinearClassifier(W0).loss(X[:, :-1], y)


@pytest.mark.parametrize("gradient, optimizer, loss_per_step, grad_per_step", [
    ("none", lambda p: RandomSearch(p, std=0.01, seed=0), 1, 0),
    ("numeric", lambda p: SGD(p, lr=0.1), 2 * 24 + 1, 1),
    ("backward", lambda p: Adam(p, lr=0.01), 1, 1),
])
def test_train_counts_match_the_classifiers_own_count(gradient, optimizer, loss_per_step,
                                                      grad_per_step):
    X, y, W0 = data()
    classifier = LinearClassifier(W0)
    opt = optimizer([classifier.W])
    run = train(opt, classifier, full_batch(mg.Tensor(X), y), 3, gradient)
    assert run.steps == len(run.curve) == 3
    assert run.loss_evaluations == classifier.calls == 3 * loss_per_step
    assert run.grad_evaluations == 3 * grad_per_step
    assert run.samples == classifier.samples == 3 * loss_per_step * len(y)
    assert run.samples_after == [k * loss_per_step * len(y) for k in (1, 2, 3)]
    assert run.curve[-1] < math.log(4)      # every optimizer made the loss go down


def test_numeric_and_backward_training_agree():
    X, y, W0 = data()
    ends = []
    for gradient in ("numeric", "backward"):
        classifier = LinearClassifier(W0)
        train(SGD([classifier.W], lr=0.5), classifier, full_batch(mg.Tensor(X), y), 4, gradient)
        ends.append(classifier.W.data)
    assert np.abs(ends[0] - ends[1]).max() < 1e-5


def test_train_rejects_an_unknown_gradient_source():
    X, y, W0 = data()
    classifier = LinearClassifier(W0)
    with pytest.raises(ValueError, match="gradient must be one of none, numeric, backward"):
        train(SGD([classifier.W]), classifier, full_batch(X, y), 1, "symbolic")
    with pytest.raises(ValueError, match="gradient must be one of"):
        make_closure(SGD([classifier.W]), classifier, X, y, "exact")
    assert classifier.calls == 0


def test_progress_bar_counts_the_steps():
    pytest.importorskip("tqdm")
    X, y, W0 = data()
    classifier = LinearClassifier(W0)
    bar = progress_bar(5, "test", enabled=True)
    updates = []
    bar.update = lambda n=1: updates.append(n)
    train(SGD([classifier.W], lr=0.1), classifier, full_batch(X, y), 5, "backward", bar)
    assert updates == [1] * 5
    assert progress_bar(5, "off", enabled=False) is None


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    X, y, W0 = data(seed=2)
    good = check_gradient(W0, X, y, "softmax", samples=50, seed=0)
    assert good.passed and good.relative_error < 1e-7
    import minigrad.nn.fused_losses as fused
    backward = fused.CrossEntropy.backward
    monkeypatch.setattr(fused.CrossEntropy, "backward",
                        staticmethod(lambda ctx, g: (backward(ctx, g)[0] * 1.01, None, None)))
    bad = check_gradient(W0, X, y, "softmax", samples=50, seed=0)
    assert not bad.passed and bad.relative_error > 1e-3
    assert "FAILED" in str(bad)


def test_largest_eigenvalue_and_step_sizes_follow_the_data():
    X, _, _ = data(n=300, d=8)
    exact = np.linalg.eigvalsh(X.T.astype(np.float64) @ X / len(X))[-1]
    assert largest_eigenvalue(X) == pytest.approx(exact, rel=1e-5)
    steps = StepSizes.from_data(X, "softmax")
    scaled = StepSizes.from_data(X * 10, "softmax")
    assert steps.gradient_descent == pytest.approx(2 / exact, rel=1e-5)
    assert scaled.gradient_descent == pytest.approx(steps.gradient_descent / 100, rel=1e-5)
    assert scaled.adam == pytest.approx(steps.adam / 10, rel=1e-5)
    assert scaled.local_std == pytest.approx(steps.local_std / 10, rel=1e-5)
    assert StepSizes.from_data(X, "svm").gradient_descent == pytest.approx(1 / exact, rel=1e-5)


@pytest.mark.parametrize("n_weights", [24, 30_730])
def test_numeric_stage_batch_fits_the_budget(n_weights):
    X, y, W0 = data(n=5000)
    journey = Journey(JourneyConfig(), JourneyData("fake", X, y, X[:10], y[:10], 4, "fake"),
                      W0, StepSizes.from_data(X, "softmax"))
    budget = journey.budget
    rows = journey.numeric_batch_size(n_weights)
    evaluations = budget.numeric_steps * (1 + 2 * n_weights)
    assert 1 <= rows <= 5000
    assert rows * evaluations <= budget.numeric_rows
    assert rows == 5000 or (rows + 1) * evaluations > budget.numeric_rows
    assert (rows == 5000) == (n_weights == 24)   # a CIFAR-sized W gets a fixed small batch


def test_smoothed_is_a_running_mean():
    values = np.array([4.0, 2.0, 6.0, 0.0, 8.0])
    expected = [4.0, 3.0, 4.0, 8 / 3, 14 / 3]
    assert np.allclose(smoothed(values, 3), expected)
    assert np.array_equal(smoothed(values, 1), values)


def test_report_formats_agree():
    rows = [Row("1 random search", "global", 1000, 1000, 0, 1000.0, 0.5, 2.2985, 0.197, 0.242),
            Row("5 SGD", "SGD lr 0.3", 690, 690, 690, 30.0, 0.132, 0.0515, 0.995, 0.953)]
    console, markdown = format_console(rows), format_markdown(rows)
    for text in (console, markdown):
        assert "1,000" in text and "24.2%" in text and "95.3%" in text and "500 ms" in text
        assert "0.191 ms" in text                     # 0.132 s / 690 steps
    assert markdown.splitlines()[1].startswith("|---|---|---:|")
    assert len({len(line) for line in console.splitlines()[:2]}) == 1


def test_without_dot_the_graph_is_written_as_dot_source(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    X, y, W0 = data()
    monkeypatch.setenv("PATH", str(tmp_path))           # no `dot` program on PATH
    path, note = write_loss_graph(W0, X, y, "softmax", tmp_path)
    assert path.endswith("classifier_graph.dot")
    assert "dot" in note and "graphviz" in note.lower()
    source = (tmp_path / "classifier_graph.dot").read_text()
    assert source.startswith("digraph") and "MatMul" in source
    assert not (tmp_path / "classifier_graph.svg").exists()


def test_an_output_folder_it_cannot_write_is_refused_before_the_stages(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        code, out_text, err = run_cli("--quick", "--dataset", "spiral", "--out", str(out))
        assert code == 2 and "Traceback" not in err
        assert "cannot write into the output folder" in err and str(out) in err
        assert "== 1 random search ==" not in out_text     # no stage ran
    assert blocker.read_text() == "not a folder"
