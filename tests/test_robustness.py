"""Robustness: long training keeps memory flat, an interrupted save loses nothing, no pickle.

* 10,000 training steps (nn.Linear + F.cross_entropy + SGD/Adam) do not grow the heap: every
  step's graph is freed by reference counting alone (the cyclic collector is off meanwhile).
* ``mg.save`` interrupted anywhere (a KeyboardInterrupt at every line it runs, or the process
  killed mid-write) leaves ``path`` holding the old content or the new one, never a broken file.
* No code in the package unpickles (``pickle.load``/``loads``/``Unpickler``, ``np.load`` with
  ``allow_pickle``) or evaluates code, except the restricted unpickler of the CIFAR-10 loader.
"""
from __future__ import annotations

import ast
import gc
import os
import signal
import subprocess
import sys
import textwrap
import tracemalloc
import weakref
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim, serialization

PACKAGE = Path(mg.__file__).parent
RESTRICTED_UNPICKLER = PACKAGE / "data" / "datasets" / "_safe_pickle.py"


# --------------------------------------------------------------------------- memory


def classifier_step(optimizer_class, **hyper):
    """One training step of a linear classifier on a fixed batch, as a closure."""
    rng = np.random.default_rng(0)
    X = mg.Tensor(rng.standard_normal((32, 10)).astype(np.float32))
    y = rng.integers(0, 4, 32)
    model = nn.Linear(10, 4, generator=rng)
    optimizer = optimizer_class(model.parameters(), **hyper)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        return loss
    return step, model


@pytest.mark.parametrize("optimizer_class, hyper", [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.Adam, {"lr": 1e-3}),
], ids=["SGD", "Adam"])
def test_training_memory_is_flat_over_10000_steps(optimizer_class, hyper):
    step, model = classifier_step(optimizer_class, **hyper)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # graphs must be freed by reference counting, not by the cyclic collector
    tracemalloc.start()
    try:
        for _ in range(1_000):  # warm-up: optimizer state, scratch buffers, free lists
            step()
        after_warmup = tracemalloc.get_traced_memory()[0]
        for _ in range(10_000):
            loss = step()
        grown = tracemalloc.get_traced_memory()[0] - after_warmup
    finally:
        tracemalloc.stop()
        if gc_was_enabled:
            gc.enable()
    assert grown < 10_000, f"memory grew by {grown} bytes over 10,000 steps"
    assert np.isfinite(loss.item()) and loss.item() < np.log(4)  # it did train


def test_each_steps_graph_dies_with_its_loss():
    step, model = classifier_step(optim.Adam, lr=1e-3)
    gc.disable()
    try:
        loss = step()
        node = weakref.ref(loss.grad_fn)
        del loss
        assert node() is None, "the graph outlived its loss (a reference cycle or a leak)"
    finally:
        gc.enable()
    assert all(p.grad.grad_fn is None for p in model.parameters())  # grads hold no graph


# --------------------------------------------------------------------------- interrupted saves

OLD = {"weight": np.arange(12.0).reshape(3, 4), "step": 3, "groups": [{"lr": 0.1}]}
NEW = {"weight": -np.arange(12.0).reshape(3, 4), "step": 4, "groups": [{"lr": 0.05}]}


def same_tree(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_tree(a[k], b[k])
                                                                    for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_tree, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def which_content(path: Path) -> str:
    """'old' or 'new': what ``path`` holds; anything else (a broken file) fails the test."""
    loaded = mg.load(path)
    if same_tree(loaded, OLD):
        return "old"
    assert same_tree(loaded, NEW), f"{path} holds neither the old nor the new content"
    return "new"


class InterruptAt:
    """A trace function that raises KeyboardInterrupt at the n-th line (or call) Python runs,
    like Ctrl-C arriving there. Raising from a trace function also switches tracing off, so
    there is exactly one interrupt."""

    def __init__(self, n: int | None):
        self.n, self.count = n, 0

    def __call__(self, frame, event, arg):
        if event in ("call", "line"):
            self.count += 1
            if self.count == self.n:
                raise KeyboardInterrupt(f"simulated Ctrl-C at line event {self.n}")
        return self


def traced_save(obj, path, tracer) -> None:
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        mg.save(obj, path)
    finally:
        sys.settrace(previous)


def the_interrupt(error: BaseException | None) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt behind ``error`` (itself, or what it was raised while handling:
    zipfile's cleanup may raise a ValueError over the interrupt)."""
    while error is not None and not isinstance(error, KeyboardInterrupt):
        error = error.__context__
    return error


def cleanup_lines(module) -> set:
    """The lines of ``except`` handlers and ``finally`` blocks in ``module``'s source: code that
    releases resources, where an interrupt can still leak one (no Python code can close a
    descriptor in no time)."""
    lines = set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Try):
            for block in [handler.body for handler in node.handlers] + [node.finalbody]:
                if block:
                    lines.update(range(block[0].lineno, block[-1].end_lineno + 1))
    return lines


def landed_in_cleanup(interrupt: KeyboardInterrupt, module, cleanup: set) -> bool:
    """Whether the innermost line of ``module`` the interrupt passed through is cleanup code."""
    line, tb = None, interrupt.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == module.__file__:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line in cleanup


class Outcome(NamedTuple):
    interrupted: bool
    content: str        # what the path holds afterwards: "old" or "new"
    others: list        # names of the other files left in the folder
    leaked_fds: int     # file descriptors the interrupted save left open
    in_cleanup: bool    # the interrupt landed in serialization's except/finally code


def open_fds() -> int:
    """How many file descriptors this process has open (Linux, macOS)."""
    folder = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    return len(os.listdir(folder))


@pytest.fixture(scope="module")
def interrupted_saves(tmp_path_factory) -> list:
    """Save NEW over OLD once per line a save runs, interrupted at that line by a
    KeyboardInterrupt. fsync is a no-op meanwhile (1000 syncs would take seconds; a process
    that survives sees its writes whether or not they reached the disk)."""
    folder = tmp_path_factory.mktemp("interrupted")
    path = folder / "checkpoint.npz"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        mg.save(OLD, path)
        counter = InterruptAt(None)
        traced_save(NEW, path, counter)  # how many lines a save over a file runs
        mg.save(OLD, path)
        cleanup = cleanup_lines(serialization)
        outcomes = []
        for n in range(1, counter.count + 2):  # the last one runs to the end
            fds = open_fds()
            interrupted = in_cleanup = False
            try:
                traced_save(NEW, path, InterruptAt(n))
            except BaseException as error:  # noqa: B036 - the interrupt, or what replaced it
                interrupt = the_interrupt(error)
                assert interrupt is not None, f"line event {n} lost the interrupt: {error!r}"
                interrupted = True
                in_cleanup = landed_in_cleanup(interrupt, serialization, cleanup)
                del interrupt  # its traceback holds the frames, and they the open files
            content = which_content(path)  # fails on a broken file
            others = sorted(p.name for p in folder.iterdir() if p != path)
            outcomes.append(Outcome(interrupted, content, others, open_fds() - fds, in_cleanup))
            for name in others:  # start the next attempt clean, from the old file
                (folder / name).unlink()
            if content == "new":
                mg.save(OLD, path)
    assert len(outcomes) > 100
    return outcomes


# zipfile objects left half-made by an interrupt complain when they are freed
IGNORE_HALF_MADE_ZIPFILES = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning")


@IGNORE_HALF_MADE_ZIPFILES
def test_a_save_interrupted_at_any_line_leaves_the_old_or_the_new_file(interrupted_saves):
    contents = [(o.interrupted, o.content) for o in interrupted_saves]
    assert (True, "old") in contents     # interrupted while writing: the old content
    assert (True, "new") in contents     # interrupted after the rename: the new one, whole
    assert contents[-1] == (False, "new")  # past the last line: not interrupted
    half = len(contents) // 2
    assert all(content == "old" for _, content in contents[:half])
    for outcome in interrupted_saves:  # nothing visible is left, at worst a hidden temp file
        assert all(name.startswith(".checkpoint.npz.") for name in outcome.others), outcome


@IGNORE_HALF_MADE_ZIPFILES
def test_an_interrupted_save_leaves_no_temporary_file_and_no_open_descriptor(interrupted_saves):
    """Every resource is released, unless the interrupt lands in the releasing code itself."""
    assert any(o.in_cleanup for o in interrupted_saves)  # the exception below is needed
    for n, outcome in enumerate(interrupted_saves, 1):
        assert outcome.others == [], f"line event {n}: {outcome}"
        assert outcome.leaked_fds == 0 or outcome.in_cleanup, f"line event {n}: {outcome}"


CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    import minigrad as mg
    from minigrad import serialization

    path, mode = sys.argv[1], sys.argv[2]
    big = {"weight": np.full((512, 1024), 2.0), "step": 2}      # 4 MiB
    if mode == "pause-mid-write":      # tell the parent when half of the file is written
        real = serialization._write_archive
        class Slow:
            def __init__(self, file):
                self.file, self.written = file, 0
            def write(self, data):
                written = self.file.write(data)
                self.written += len(data)
                if self.written > 2 ** 21:  # the array is on disk, the zip directory is not
                    self.file.flush()
                    print("mid-write", flush=True)
                    time.sleep(60)
                return written
            def __getattr__(self, name):
                return getattr(self.file, name)
        serialization._write_archive = lambda file, entries: real(Slow(file), entries)
    if mode == "pause-after-rename":
        def pause(directory):
            print("renamed", flush=True)
            time.sleep(60)
        serialization._fsync_directory = pause
    if mode == "loop":                 # save two versions in turn until killed
        k = 0
        while True:
            mg.save({"weight": np.full((512, 1024), float(k % 2)), "step": k % 2}, path)
            if k == 0:
                print("saved once", flush=True)
            k += 1
    mg.save(big, path)
    """)


needs_sigkill = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL here")


def run_child_until(path: Path, mode: str, line: str, extra_delay: float = 0.0) -> None:
    """Start a process saving to ``path``; SIGKILL it once it printed ``line``."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), mode],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == line
        if extra_delay:
            try:
                child.wait(timeout=extra_delay)
            except subprocess.TimeoutExpired:
                pass
        assert child.poll() is None, "the child finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


@needs_sigkill
def test_a_process_killed_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "checkpoint.npz"
    mg.save(OLD, path)
    run_child_until(path, "pause-mid-write", "mid-write")
    assert which_content(path) == "old"
    leftovers = [p.name for p in tmp_path.iterdir() if p != path]
    # the half-written temporary file a crash leaves is hidden and never taken for the file
    assert len(leftovers) == 1 and leftovers[0].startswith(".checkpoint.npz.")
    partial = tmp_path / leftovers[0]
    assert partial.stat().st_size > 2 ** 21
    with pytest.raises(serialization.SerializationError):
        mg.load(partial)  # what a direct write would have left in place of the checkpoint


@needs_sigkill
def test_a_process_killed_after_the_rename_leaves_the_whole_new_file(tmp_path):
    path = tmp_path / "checkpoint.npz"
    mg.save(OLD, path)
    run_child_until(path, "pause-after-rename", "renamed")
    loaded = mg.load(path)
    assert loaded["step"] == 2 and np.array_equal(loaded["weight"], np.full((512, 1024), 2.0))
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


@needs_sigkill
@pytest.mark.parametrize("delay", [0.05, 0.13, 0.31])
def test_a_process_killed_at_a_random_moment_leaves_a_whole_file(tmp_path, delay):
    path = tmp_path / "checkpoint.npz"
    run_child_until(path, "loop", "saved once", extra_delay=delay)
    loaded = mg.load(path)
    k = loaded["step"]
    assert k in (0, 1) and np.array_equal(loaded["weight"], np.full((512, 1024), float(k)))
    assert all(p == path or p.name.startswith(".checkpoint.npz.") for p in tmp_path.iterdir())


# --------------------------------------------------------------------------- no pickle


class UnsafeLoads(ast.NodeVisitor):
    """Finds code that can run what a file contains: unpickling, np.load with allow_pickle,
    marshal/shelve, eval/exec; and subclasses of pickle.Unpickler (checked separately)."""

    PICKLE_MODULES = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle"}
    PICKLE_READERS = {"load", "loads", "Unpickler"}

    def __init__(self):
        self.problems: list[str] = []
        self.unpicklers: list[ast.ClassDef] = []
        self.modules: dict[str, str] = {}     # local name -> module it stands for
        self.functions: dict[str, str] = {}   # local name -> "module.function"

    def visit_Import(self, node):
        for alias in node.names:
            self.modules[alias.asname or alias.name.split(".")[0]] = alias.name
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        for alias in node.names:
            full = f"{node.module}.{alias.name}"
            self.functions[alias.asname or alias.name] = full
            self.modules[alias.asname or alias.name] = full
        self.generic_visit(node)

    def _name(self, node) -> str:
        """The dotted name an expression refers to, with import aliases resolved."""
        if isinstance(node, ast.Name):
            return self.functions.get(node.id) or self.modules.get(node.id) or node.id
        if isinstance(node, ast.Attribute):
            return f"{self._name(node.value)}.{node.attr}"
        return "?"

    def visit_ClassDef(self, node):
        if any(self._name(base).endswith("Unpickler") for base in node.bases):
            self.unpicklers.append(node)
        self.generic_visit(node)

    def visit_Call(self, node):
        name = self._name(node.func)
        module, _, function = name.rpartition(".")
        where = f"line {node.lineno}: {name}(...)"
        if module.split(".")[0] in self.PICKLE_MODULES and function in self.PICKLE_READERS:
            self.problems.append(where)
        elif name in ("marshal.load", "marshal.loads", "shelve.open", "joblib.load",
                      "eval", "exec"):
            self.problems.append(where)
        elif module.split(".")[0] == "numpy" and function in ("load", "read_array"):
            allow = [k.value for k in node.keywords if k.arg in ("allow_pickle", None)]
            if any(not (isinstance(v, ast.Constant) and v.value is False) for v in allow):
                self.problems.append(where + " with allow_pickle not False")
        self.generic_visit(node)


def scan(source: str) -> UnsafeLoads:
    visitor = UnsafeLoads()
    visitor.visit(ast.parse(source))
    return visitor


@pytest.mark.parametrize("source", [
    "import pickle\npickle.load(f)",
    "import pickle as p\np.loads(b)",
    "from pickle import loads as read\nread(b)",
    "from pickle import Unpickler\nUnpickler(f).load()",
    "import _pickle\n_pickle.loads(b)",
    "import numpy as np\nnp.load(f, allow_pickle=True)",
    "import numpy\nnumpy.load(f, allow_pickle=flag)",
    "import numpy as np\nnp.load(f, **options)",
    "from numpy import load\nload(f, allow_pickle=True)",
    "import numpy as np\nnp.lib.format.read_array(f, allow_pickle=True)",
    "import marshal\nmarshal.loads(b)",
    "eval(text)",
])
def test_the_scanner_finds_every_unsafe_load(source):
    assert scan(source).problems, source


@pytest.mark.parametrize("source", [
    "import pickle\npickle.dumps(x)",
    "import numpy as np\nnp.load(f)",
    "import numpy as np\nnp.load(f, allow_pickle=False)",
    "model.eval()",
    "import json\njson.loads(s)",
])
def test_the_scanner_accepts_safe_code(source):
    assert scan(source).problems == [], source


def test_no_unpickling_anywhere_in_the_package_but_the_restricted_unpickler():
    """The one way to unpickle is the CIFAR loader's Unpickler subclass (its ``.load()`` is a
    method of that subclass, never ``pickle.load``); nothing else reads pickles or runs code."""
    files = sorted(PACKAGE.rglob("*.py"))
    assert RESTRICTED_UNPICKLER in files and PACKAGE / "serialization.py" in files
    unpicklers = []
    for file in files:
        found = scan(file.read_text(encoding="utf-8"))
        assert found.problems == [], f"{file.relative_to(PACKAGE.parent)}: {found.problems}"
        unpicklers += [(file, cls.name) for cls in found.unpicklers]
    assert unpicklers == [(RESTRICTED_UNPICKLER, "_RestrictedUnpickler")]


def test_the_restricted_unpickler_decides_every_class_itself():
    """Its find_class never falls back to pickle's (which imports and returns anything)."""
    (cls,) = scan(RESTRICTED_UNPICKLER.read_text(encoding="utf-8")).unpicklers
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    assert {"find_class", "persistent_load"} <= set(methods)
    for method in methods.values():
        for node in ast.walk(method):
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("find_class", "persistent_load") or \
                    not isinstance(node.value, ast.Call), "falls back to super()"
                assert node.attr != "__import__"
            assert not (isinstance(node, ast.Name) and node.id in ("getattr", "__import__",
                                                                   "importlib"))
