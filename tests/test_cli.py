import subprocess
import sys

import pytest

import minigrad
from minigrad import cli
from minigrad.demo import train


def test_version_and_subcommands(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert minigrad.__version__ in out
    for name in cli.SUBCOMMANDS:
        assert name in out


def test_console_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "minigrad.cli", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"minigrad {minigrad.__version__}"


def test_demo_loss_falls():
    losses = train(steps=60, log_every=1000, echo=lambda *_: None)
    assert abs(losses[0] - 1.0986) < 0.05  # ln 3 at tiny weights
    assert losses[-1] < 0.3 * losses[0]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))


def test_import_is_light():
    code = ("import sys, minigrad; heavy = {'matplotlib', 'graphviz', 'tqdm', 'sklearn', "
            "'torch', 'scipy'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize("argv, words", [
    (["--steps", "-1"], "--steps"),
    (["--seed", "-1"], "--seed"),
    (["--lr", "nan"], "--lr"),
])
def test_demo_bad_arguments_are_argparse_errors(capsys, argv, words):
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: minigrad demo" in err and words in err and "Traceback" not in err
