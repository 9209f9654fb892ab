"""Test surfaces (gradients vs closed forms), optimizers' paths (the ravine's zig-zag, the saddle),
the plots (written, headless) and the ``minigrad paths`` command."""
import csv
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD
from minigrad.viz import surfaces as S
from minigrad.viz.paths import default_optimizers, run_paths

PNG = b"\x89PNG\r\n\x1a\n"


def gradient(f, point):
    p = mg.tensor(point, dtype=mg.float64, requires_grad=True)
    f(p).backward()
    return p.grad.data


def closed_form_gradients(x, y):
    """Each surface's gradient written out by hand."""
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    return {
        "rosenbrock": (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
        "beale": (2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1),
                  2 * a * x + 4 * b * x * y + 6 * c * x * y ** 2),
        "saddle": (2 * x, -2 * y),
        "ravine": (x, 100 * y),
        "noisy": (x, 4 * y),
    }


@pytest.mark.parametrize("name", list(S.SURFACES))
def test_surface_gradients_match_closed_forms(name):
    surface = S.SURFACES[name]
    for point in [(0.3, -0.7), (-1.2, 1.1), (2.0, 0.25)]:
        expected = closed_form_gradients(*point)[name]
        np.testing.assert_allclose(gradient(surface, point), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [n for n, s in S.SURFACES.items() if s.minimum is not None])
def test_minimum_is_a_zero_of_value_and_gradient(name):
    surface = S.SURFACES[name]
    at_minimum = surface(mg.tensor(surface.minimum, dtype=mg.float64)).item()
    assert at_minimum == pytest.approx(0, abs=1e-12)
    np.testing.assert_allclose(closed_form_gradients(*surface.minimum)[name], 0, atol=1e-12)
    (x0, x1), (y0, y1) = surface.window
    assert x0 < surface.minimum[0] < x1 and y0 < surface.minimum[1] < y1
    assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1


def test_grid_evaluates_the_same_formula_pointwise():
    surface = S.SURFACES["beale"]
    X, Y, Z = surface.grid(7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    for i, j in [(0, 0), (3, 5), (6, 2)]:
        value = surface(mg.tensor([X[i, j], Y[i, j]], dtype=mg.float64)).item()
        assert Z[i, j] == pytest.approx(value, rel=1e-12)


def test_noisy_gradient_is_unbiased_with_the_given_spread_and_seeded():
    surface = S.SURFACES["noisy"]
    point = (0.8, -0.4)
    objective = surface.objective(seed=3)
    noise = np.array([gradient(objective, point) for _ in range(4000)]) - (0.8, 4 * -0.4)
    sigma = surface.noise
    assert np.all(np.abs(noise.mean(axis=0)) < 5 * sigma / np.sqrt(len(noise)))
    np.testing.assert_allclose(noise.std(axis=0), sigma, rtol=0.05)
    again = surface.objective(seed=3)
    assert np.array_equal(gradient(again, point) - (0.8, -1.6), noise[0])
    assert S.SURFACES["ravine"].objective(seed=3) is S.ravine  # exact surfaces: f itself
    with pytest.raises(ValueError, match="sigma"):
        S.with_noise(S.bowl, -1.0)


def test_sgd_on_the_ravine_zigzags_and_momentum_gets_there_sooner():
    lr = 0.0185
    runs = run_paths("ravine", {"SGD": lambda ps: SGD(ps, lr=lr),
                                "momentum": lambda ps: SGD(ps, lr=lr, momentum=0.9)},
                     start=(-10.0, 1.0), steps=600)
    sgd, heavy = runs["SGD"], runs["momentum"]
    assert sgd.points.shape == heavy.points.shape == (601, 2)
    # gradient descent on (x^2 + 100 y^2)/2 multiplies x by (1 - lr), y by (1 - 100 lr) < 0
    k = np.arange(601)
    np.testing.assert_allclose(sgd.points[:, 0], -10.0 * (1 - lr) ** k, rtol=1e-9)
    np.testing.assert_allclose(sgd.points[:, 1], (1 - 100 * lr) ** k, rtol=1e-9, atol=1e-300)
    y = sgd.points[:50, 1]
    assert np.all(np.sign(y[1:]) != np.sign(y[:-1]))   # across the ravine at every step
    sgd_steps = sgd.steps_to_reach((0, 0), 1e-2)
    heavy_steps = heavy.steps_to_reach((0, 0), 1e-2)
    assert heavy_steps is not None and sgd_steps is not None
    assert heavy_steps < sgd_steps / 2
    expected = np.log(10 / 1e-2) / -np.log(1 - lr)   # x alone needs this many SGD steps
    assert abs(sgd_steps - expected) <= 2


def test_saddle_plain_descent_stays_on_the_axis_momentum_escapes_a_nudge():
    lr, steps = 0.05, 100
    on_axis = run_paths("saddle", {"GD": lambda ps: SGD(ps, lr=lr)},
                        start=(1.5, 0.0), steps=steps)["GD"]
    assert np.all(on_axis.points[:, 1] == 0.0)
    assert abs(on_axis.points[-1, 0]) < 1e-3           # slid into the saddle point
    assert on_axis.final_loss >= 0                      # and never found the way down
    nudged = run_paths("saddle", {"GD": lambda ps: SGD(ps, lr=lr),
                                  "momentum": lambda ps: SGD(ps, lr=lr, momentum=0.9)},
                       start=(1.5, 1e-6), steps=steps)
    gd_y = nudged["GD"].points[:, 1]
    np.testing.assert_allclose(gd_y, 1e-6 * (1 + 2 * lr) ** np.arange(steps + 1), rtol=1e-9)
    assert abs(gd_y[-1]) < 0.1                          # still near the saddle after 100 steps
    assert abs(nudged["momentum"].points[-1, 1]) > 1    # momentum has left it
    assert nudged["momentum"].final_loss < -1


def test_paths_record_exact_losses_and_share_the_noise():
    surface = S.SURFACES["noisy"]
    runs = run_paths(surface, {"a": lambda ps: SGD(ps, lr=0.1), "b": lambda ps: SGD(ps, lr=0.1)},
                     steps=20, seed=7)
    np.testing.assert_array_equal(runs["a"].points, runs["b"].points)
    x, y = runs["a"].points.T
    np.testing.assert_allclose(runs["a"].losses, (x ** 2 + 4 * y ** 2) / 2, rtol=1e-12)
    other = run_paths(surface, {"a": lambda ps: SGD(ps, lr=0.1)}, steps=20, seed=8)["a"]
    assert not np.array_equal(other.points, runs["a"].points)


def test_divergence_stops_the_run_and_is_reported():
    run = run_paths("ravine", {"big": lambda ps: SGD(ps, lr=1.0)}, steps=400)["big"]
    assert run.diverged and run.points.shape == (401, 2)
    assert np.isnan(run.points[-1]).all() and np.isfinite(run.final).all()
    assert np.isfinite(run.final_loss) and run.final_loss > 1e10


def test_run_paths_refuses_bad_arguments():
    sgd = {"SGD": lambda ps: SGD(ps, lr=0.01)}
    with pytest.raises(ValueError, match="unknown surface 'nope'; choose one of ravine"):
        run_paths("nope", sgd)
    with pytest.raises(ValueError, match="start must be two finite numbers"):
        run_paths("ravine", sgd, start=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="steps must be a non-negative int"):
        run_paths("ravine", sgd, steps=-1)
    with pytest.raises(ValueError, match="non-empty dict"):
        run_paths("ravine", {})
    with pytest.raises(TypeError, match=r"optimizers\['x'\] must be a callable"):
        run_paths("ravine", {"x": 0.1})
    with pytest.raises(TypeError, match="surface must be a Surface"):
        run_paths(S.ravine, sgd)


def test_default_optimizers_make_progress_on_every_surface():
    for surface in S.SURFACES.values():
        runs = run_paths(surface, default_optimizers(surface), steps=surface.steps)
        assert list(runs) == ["SGD", "momentum", "Nesterov", "Adagrad", "RMSprop", "Adam"]
        start_loss = surface(mg.tensor(surface.start, dtype=mg.float64)).item()
        for run in runs.values():
            assert not run.diverged, (surface.name, run.name)
            assert run.final_loss < start_loss / 10, (surface.name, run.name)
        if surface.minimum is not None:
            best = min(surface.distance_to_minimum(r.final) for r in runs.values())
            assert best < 0.05, surface.name


# --------------------------------------------------------------------------- plots

@pytest.fixture
def mpl():
    """The plots need matplotlib (the 'plots' extra); the rest of this file does not."""
    return pytest.importorskip("matplotlib")


def test_plot_paths_draws_every_path_and_writes_a_png(tmp_path, mpl):
    from minigrad.viz.plots import plot_paths
    surface = S.SURFACES["rosenbrock"]
    runs = run_paths(surface, default_optimizers(surface), steps=50)
    out = tmp_path / "rosen.png"
    fig = plot_paths(surface, runs, path=out)
    ax_map, ax_loss = fig.axes
    labels = [line.get_label() for line in ax_map.get_lines()]
    assert [lab for lab in labels if not lab.startswith("_")] == [*runs, "start", "minimum"]
    np.testing.assert_array_equal(ax_map.get_lines()[0].get_xydata(), runs["SGD"].points)
    assert len(ax_loss.get_lines()) == 6
    assert out.read_bytes()[:8] == PNG and out.stat().st_size > 20_000


def test_plot_history_both_forms(tmp_path, mpl):
    from minigrad.viz.plots import history_series, plot_history
    as_dict = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8]}
    fig = plot_history(as_dict, path=tmp_path / "h.png", log_loss=True)
    assert len(fig.axes) == 2
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["loss", "val_loss"]
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_ylabel() == "accuracy"
    assert (tmp_path / "h.png").read_bytes()[:8] == PNG

    rows = [{"epoch": 1, "loss": 2.0, "acc": 0.1}, {"epoch": 2, "loss": 1.0},
            {"epoch": 3, "loss": 0.5, "acc": 0.4}]
    x_label, series = history_series(rows)
    assert x_label == "epoch" and list(series) == ["loss", "acc"]
    x, acc = series["acc"]
    np.testing.assert_array_equal(x, [1, 2, 3])
    assert np.isnan(acc[1]) and acc[2] == 0.4
    fig = plot_history(rows)
    np.testing.assert_array_equal(fig.axes[1].get_lines()[0].get_xydata(), [[1, 0.1], [3, 0.4]])


def test_plot_history_refuses_bad_histories(mpl):
    from minigrad.viz.plots import plot_history
    with pytest.raises(TypeError, match="dict of lists or a list of dicts"):
        plot_history([1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})
    with pytest.raises(ValueError, match=r"history\['loss'\] must hold numbers"):
        plot_history({"loss": ["a", "b"]})
    with pytest.raises(ValueError, match="only 'epoch'"):
        plot_history({"epoch": [1, 2]})


def test_missing_matplotlib_says_how_to_install(monkeypatch, mpl):
    from minigrad.viz.plots import plot_history
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'minigrad\[plots\]'"):
        plot_history({"loss": [1.0]})


def paths_command(argv) -> int:
    """``minigrad paths ARGV`` through the two functions the CLI calls."""
    import argparse
    from minigrad.viz import paths
    parser = argparse.ArgumentParser(prog="minigrad paths")
    paths.add_arguments(parser)
    return paths.main(parser.parse_args(argv))


def test_paths_command_writes_pictures_and_tables(tmp_path, capsys, mpl):
    assert paths_command(["--surface", "ravine", "--out", str(tmp_path), "--steps", "40"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "paths_ravine.png").read_bytes()[:8] == PNG
    with open(tmp_path / "paths.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["optimizer"] for r in rows] == ["SGD", "momentum", "Nesterov", "Adagrad",
                                              "RMSprop", "Adam"]
    assert all(r["surface"] == "ravine" and r["steps"] == "40" for r in rows)
    surface = S.SURFACES["ravine"]
    runs = run_paths(surface, default_optimizers(surface), steps=40)
    for r in rows:
        assert float(r["final_loss"]) == pytest.approx(runs[r["optimizer"]].final_loss)
        assert float(r["distance_to_minimum"]) == pytest.approx(
            np.linalg.norm(runs[r["optimizer"]].points[-1]))
    table = (tmp_path / "paths.md").read_text()
    assert table.startswith("| surface | optimizer |") and table.count("\n| ravine |") == 6
    assert table.strip() in out


def test_paths_command_all_surfaces(tmp_path, mpl):
    assert paths_command(["--out", str(tmp_path), "--steps", "5"]) == 0
    for name in S.SURFACES:
        assert (tmp_path / f"paths_{name}.png").read_bytes()[:8] == PNG
    rows = list(csv.DictReader(open(tmp_path / "paths.csv")))
    assert len(rows) == 6 * len(S.SURFACES)
    saddle = [r for r in rows if r["surface"] == "saddle"]
    assert all(r["distance_to_minimum"] == "nan" for r in saddle)
    with pytest.raises(SystemExit):
        paths_command(["--surface", "nowhere"])
    with pytest.raises(SystemExit, match="--steps must be a positive integer"):
        paths_command(["--steps", "0", "--out", str(tmp_path)])


def test_paths_command_negative_seed_is_an_argument_error(tmp_path, capsys, mpl):
    with pytest.raises(SystemExit) as exc:
        paths_command(["--surface", "noisy", "--steps", "2", "--seed", "-1",
                       "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "--seed must be a whole number >= 0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_paths_command_refuses_an_output_folder_it_cannot_write(tmp_path, mpl):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        with pytest.raises(SystemExit, match=r"minigrad paths: cannot write into --out"):
            paths_command(["--surface", "saddle", "--steps", "2", "--out", str(out)])
    assert blocker.read_text() == "not a folder"
