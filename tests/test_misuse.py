"""Misuse of the public API: a specific exception, a message naming what was wrong, no change.

Each row of ``MISUSES`` is one wrong call. It builds the objects the call involves, makes the
call, and expects an exception of a given type whose message names what was wrong (the op, the
shapes, the dtype, the argument, the file). Then every object involved must be exactly as before:
tensor data and gradients bit for bit, module parameters, optimizer state and counters, files and
folders on disk, and the package's global state (grad mode, anomaly mode, default dtype, random
generator).

A misuse not handled as it should be yet gets ``row(..., xfail="<file, function: what is
expected>")``: a strict xfail, so the row turns red once the fix lands and the mark must go.
"""
from __future__ import annotations

import errno
import json
import os
import pickle
import re
import shlex
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn, optim, serialization
from minigrad.data import DataFileError, DataLoader, TensorDataset, UnsafePickleError, load_cifar10
from minigrad.errors import AnomalyError, GradientShapeError, ShapeError
from minigrad.optim.lr_scheduler import LRScheduler, StepLR
from minigrad.serialization import SerializationError

THIS_FILE = re.escape(__file__)


# --------------------------------------------------------------------------- snapshots


def snapshot(obj):
    """A comparable picture of everything a failed call could have changed in ``obj``.

    Arrays are compared by dtype, shape and bytes (so bit for bit, NaNs included), floats by
    their hex form. An object of a kind not listed here is an error, never silently skipped.
    """
    if isinstance(obj, mg.Tensor):
        node = obj.grad_fn
        return ("Tensor", type(obj).__name__, snapshot(obj.data), snapshot(obj.grad),
                obj.requires_grad, obj.name, id(node),
                node is not None and node.inputs is None)  # a graph freed by a failed call
    if isinstance(obj, (np.ndarray, np.generic)):
        return ("array", obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes())
    if isinstance(obj, nn.Module):
        return ("Module", type(obj).__name__, snapshot(vars(obj)))
    if isinstance(obj, optim.Optimizer):
        return ("Optimizer", type(obj).__name__, snapshot(obj.state_dict()),
                [[id(p) for p in group["params"]] for group in obj.param_groups],
                obj.evaluations.loss, obj.evaluations.grad)
    if isinstance(obj, LRScheduler):
        return ("LRScheduler", type(obj).__name__, snapshot(obj.state_dict()))
    if isinstance(obj, TensorDataset):
        return ("TensorDataset", snapshot(obj.arrays))
    if isinstance(obj, Path):
        if obj.is_dir():
            return ("dir", [(child.name, snapshot(child)) for child in sorted(obj.iterdir())])
        return ("file", obj.read_bytes()) if obj.exists() else ("missing",)
    if isinstance(obj, dict):
        return ("dict", [(snapshot(key), snapshot(value)) for key, value in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [snapshot(item) for item in obj])
    if isinstance(obj, float):
        return ("float", obj.hex())
    if obj is None or isinstance(obj, (bool, int, str, bytes)):
        return (type(obj).__name__, obj)
    raise TypeError(f"snapshot: no rule for {type(obj).__name__}")


def global_state():
    """What the package keeps globally; no failed call may change it."""
    return (mg.is_grad_enabled(), mg.is_anomaly_enabled(), mg.get_default_dtype().str,
            snapshot(mg.random.default_generator().bit_generator.state))


# --------------------------------------------------------------------------- building rows


def all_of(*parts: str) -> re.Pattern:
    """A regex matching a message that contains every part (regexes), in any order."""
    return re.compile("".join(f"(?=.*{part})" for part in parts), re.S)


def row(name, make, error, *parts, xfail=None):
    """One misuse: ``make(tmp_path)`` returns (objects involved, the wrong call)."""
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(make, error, all_of(*parts), id=name, marks=marks)


def leaf(*shape, requires_grad=True, dtype=np.float32):
    """A leaf tensor of random values (its own generator: the global one is left alone)."""
    values = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)
    return mg.tensor(values, requires_grad=requires_grad)


def on_tensors(*shapes, call):
    """Objects: fresh leaves of ``shapes``; the misuse: ``call(*leaves)``."""
    def make(tmp):
        tensors = [leaf(*shape) for shape in shapes]
        return tensors, lambda: call(*tensors)
    return make


def on_nothing(call):
    """A misuse that involves no existing object (a constructor, a factory)."""
    return lambda tmp: ([], call)


def linear_model():
    """A Linear(3, 4) with gradients: both its data and its grads must survive a failed call."""
    model = nn.Linear(3, 4, generator=np.random.default_rng(0))
    model(leaf(2, 3, requires_grad=False)).sum().backward()
    return model


def on_model(call):
    def make(tmp):
        model = linear_model()
        return [model], lambda: call(model)
    return make


def trained_adam():
    """A model and an Adam that took two steps, so its state holds moments and step counts."""
    model = linear_model()
    adam = optim.Adam(model.parameters(), lr=0.1)
    adam.step()
    adam.step()
    return model, adam


def on_optimizer(call):
    def make(tmp):
        model, adam = trained_adam()
        return [model, adam], lambda: call(adam)
    return make


def adam_state_with(**changes):
    """Adam's state dict with some entries replaced (``group__lr`` sets a group value)."""
    def call(adam):
        state = adam.state_dict()
        for key, value in changes.items():
            if key.startswith("group__"):
                state["param_groups"][0][key[len("group__"):]] = value
            else:
                state[key] = value
        adam.load_state_dict(state)
    return call


# custom Functions with broken rules ------------------------------------------------------


class Doubling(mg.Function):
    """f(x) = 2x; each subclass below breaks the backward rule (df/dx = 2) in its own way."""

    @staticmethod
    def forward(ctx, x):
        return x * 2


class TwoGradients(Doubling):
    backward = staticmethod(lambda ctx, g: (g * 2, g))  # a gradient too many


class WrongShapeGradient(Doubling):
    backward = staticmethod(lambda ctx, g: np.ones(5, dtype=g.dtype))  # x has shape (2,)


class BackwardReturnsText(Doubling):
    backward = staticmethod(lambda ctx, g: "not an array")


class ForwardReturnsText(Doubling):
    forward = staticmethod(lambda ctx, x: "not an array")
    backward = staticmethod(lambda ctx, g: g)


def backward_through(function):
    """Objects: a leaf x; the misuse: backward through ``function`` applied to 3x."""
    def make(tmp):
        x = leaf(2)
        return [x], lambda: function.apply(x * 3).sum().backward()
    return make


def backward_twice(tmp):
    x = leaf(3)
    loss = (x * x).sum()
    loss.backward()
    return [x], loss.backward


def non_scalar_backward(tmp):
    """The output keeps its graph: calling again with ``gradient=`` must still work."""
    x = leaf(2, 3)
    y = x * 2
    return [x, y], y.backward


def unused_input(tmp):
    x, unused = leaf(3), leaf(2)
    return [x, unused], lambda: mg.grad((x * x).sum(), [x, unused])


def assign_to_tensor_requiring_grad(tmp):
    x = leaf(3)
    def call():
        x[0] = 5.0
    return [x], call


def assign_under_no_grad(index, value):
    def make(tmp):
        x = leaf(3)
        def call():
            with mg.no_grad():
                x[index] = value
        return [x], call
    return make


def log_of_negative_in_anomaly_mode(tmp):
    x = mg.tensor([-1.0, 2.0], requires_grad=True)
    def call():
        with mg.detect_anomaly():
            x.log()
    return [x], call


# nn, optim ---------------------------------------------------------------------------------


def assign_tensor_as_parameter(model):
    model.weight = mg.zeros(4, 3)


def step_with_mismatched_gradient(tmp):
    a, b = leaf(2), leaf(3)
    a.grad, b.grad = mg.ones(2), mg.ones(2)  # b's gradient does not fit b
    adam = optim.Adam([a, b], lr=0.1)
    return [a, b, adam], adam.step


def add_parameter_twice(adam):
    adam.add_param_group({"params": [adam.param_groups[0]["params"][0]], "lr": 0.5})


def random_search_with_vector_loss(tmp):
    w = leaf(2)
    search = optim.RandomSearch([w], std=1.0, seed=0)
    search.step(lambda: (w * w).sum())
    # the parameters always hold the best point found (RandomSearch's promise)
    return [w, search.best_loss], lambda: search.step(lambda: w * w)


def random_search_without_closure(tmp):
    w = leaf(2)
    search = optim.RandomSearch([w], std=1.0, seed=0)
    return [w, search], search.step


def step_lr(step_size):
    def make(tmp):
        model, adam = trained_adam()
        return [model, adam], lambda: StepLR(adam, step_size=step_size)
    return make


def scheduler_foreign_state(tmp):
    model, adam = trained_adam()
    scheduler = StepLR(adam, step_size=2)
    return [adam, scheduler], lambda: scheduler.load_state_dict({"last_epoch": 3})


# files ---------------------------------------------------------------------------------------


class RunsCode:
    """Unpickling this runs ``touch marker``: what a malicious file would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def cifar_folder(tmp, first_batch: bytes, binary: bool) -> Path:
    """A CIFAR-10 folder whose first batch holds ``first_batch`` (it is read first)."""
    folder = tmp / ("cifar-10-batches-bin" if binary else "cifar-10-batches-py")
    folder.mkdir()
    suffix = ".bin" if binary else ""
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / (name + suffix)).write_bytes(b"")
    (folder / ("data_batch_1" + suffix)).write_bytes(first_batch)
    return folder


def cifar_misuse(binary, first_batch):
    def make(tmp):
        folder = cifar_folder(tmp, first_batch(tmp / "cifar-10-batches-py" / "pwned"), binary)
        return [folder], lambda: load_cifar10(folder)
    return make


def python_batch(images: int = 2) -> dict:
    return {b"data": np.zeros((images, 3072), np.uint8), b"labels": [0] * images}


def checkpoint_folder(tmp) -> tuple[Path, Path]:
    folder = tmp / "checkpoints"
    folder.mkdir()
    path = folder / "model.npz"
    mg.save({"weight": np.arange(6.0).reshape(2, 3), "step": 7}, path)
    return folder, path


def load_misuse(write):
    """Objects: the folder; the misuse: ``mg.load`` of a file ``write(path, folder)`` made."""
    def make(tmp):
        folder, path = checkpoint_folder(tmp)
        write(path, folder)
        return [folder], lambda: mg.load(path)
    return make


def truncate_to_half(path, folder):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def npz_with_pickled_payload(path, folder):
    """A file that looks like a minigrad save whose one array is a pickle that runs code."""
    manifest = json.dumps({"format": "minigrad.save", "version": 1,
                           "root": {"t": "array", "k": "a0"}}).encode()
    with open(path, "wb") as file:
        np.savez(file, a0=np.array([RunsCode(folder / "pwned")], dtype=object),
                 __minigrad_manifest__=np.frombuffer(manifest, np.uint8))


def save_misuse(call):
    """Objects: a folder holding a previous checkpoint; the misuse: ``call(path)``."""
    def make(tmp):
        folder, path = checkpoint_folder(tmp)
        return [folder], lambda: call(path)
    return make


class DiskFullAfter:
    """A file whose writes fail with ENOSPC once ``limit`` bytes were written."""

    def __init__(self, file, limit: int):
        self._file, self._left = file, limit

    def write(self, data) -> int:
        if len(data) > self._left:
            self._file.write(bytes(data)[: self._left])
            self._left = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._left -= len(data)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


def save_while_disk_fills_up(path):
    real_write = serialization._write_archive
    def write_until_full(file, entries):
        real_write(DiskFullAfter(file, limit=2000), entries)
    with mock.patch.object(serialization, "_write_archive", write_until_full):
        mg.save({"weight": np.ones((100, 100))}, path)


# --------------------------------------------------------------------------- the table

MISUSES = [
    # ------------------------------------------------------------------ shapes in ops
    row("matmul (2,3) @ (4,5)", on_tensors((2, 3), (4, 5), call=lambda a, b: a @ b),
        ShapeError, "MatMul", r"\(2, 3\)", r"\(4, 5\)"),
    row("add (2,3) + (4,)", on_tensors((2, 3), (4,), call=lambda a, b: a + b),
        ShapeError, "Add", r"\(2, 3\)", r"\(4,\)", "broadcast"),
    row("mul (2,1,3) * (4,2)", on_tensors((2, 1, 3), (4, 2), call=lambda a, b: a * b),
        ShapeError, "Mul", r"\(2, 1, 3\)", r"\(4, 2\)", "broadcast"),
    row("where with (3,) and (4,)",
        on_tensors((3,), (4,), call=lambda a, b: mg.where(a.data > 0, a, b)),
        ShapeError, "Where", r"\(3,\)", r"\(4,\)"),
    row("concatenate (2,3) and (2,4) on axis 0",
        on_tensors((2, 3), (2, 4), call=lambda a, b: mg.concatenate([a, b], axis=0)),
        ShapeError, "Concatenate", r"\(2, 3\)", r"\(2, 4\)"),
    row("reshape 6 elements to (4,)", on_tensors((2, 3), call=lambda a: a.reshape(4)),
        ShapeError, "Reshape", "size 6", r"\(4,\)"),
    row("sum over axis 3 of a 2-d tensor", on_tensors((2, 3), call=lambda a: a.sum(axis=3)),
        ValueError, "Sum", "axis 3", "dimension 2"),
    row("softmax over axis 2 of a 2-d tensor",
        on_tensors((2, 3), call=lambda a: a.softmax(axis=2)),
        ValueError, "Softmax", "axis 2", r"\(2, 3\)"),
    row("max of an empty tensor", on_tensors((0,), call=lambda a: a.max()),
        ValueError, "Max", "empty", r"\(0,\)"),
    row("compare (2,3) with (4,)", on_tensors((2, 3), (4,), call=lambda a, b: a < b),
        ShapeError, "less", r"\(2, 3\) float32", r"\(4,\) float32"),
    row("compare a tensor with a string", on_tensors((2,), call=lambda a: a == "x"),
        TypeError, "equal", r"\(2,\) float32", "'x'"),
    row("argmax over axis 3 of a 2-d tensor",
        on_tensors((2, 3), call=lambda a: a.argmax(dim=3)),
        ValueError, "argmax", "axis 3", r"\(2, 3\)"),
    row("all over axis 2 of a 2-d tensor", on_tensors((2, 3), call=lambda a: a.all(axis=2)),
        ValueError, "all", "axis 2", r"\(2, 3\)"),
    row("transpose a 2-d tensor with 3 axes",
        on_tensors((2, 3), call=lambda a: a.transpose(0, 1, 2)),
        ValueError, "Transpose", r"\(2, 3\)", r"\(0, 1, 2\)"),
    row("squeeze axis 0 of size 2", on_tensors((2, 3), call=lambda a: a.squeeze(0)),
        ValueError, "squeeze", "axis 0", r"\(2, 3\)"),
    row("unsqueeze at axis 5 of a 2-d tensor",
        on_tensors((2, 3), call=lambda a: a.unsqueeze(5)),
        ValueError, "unsqueeze", "axis 5", r"\(2, 3\)"),
    row("swapaxes(0, 4) of a 2-d tensor",
        on_tensors((2, 3), call=lambda a: a.swapaxes(0, 4)),
        ValueError, "swapaxes", "4", r"\(2, 3\)"),
    row("flatten(0, 5) of a 2-d tensor",
        on_tensors((2, 3), call=lambda a: a.flatten(0, 5)),
        ValueError, "flatten", "5", r"\(2, 3\)"),
    # ------------------------------------------------------------------ indexing, in place
    row("index 5 of a tensor of 3", on_tensors((3,), call=lambda a: a[5]),
        IndexError, "GetItem", "index 5", "size 3"),
    row("in-place assignment to a tensor that requires grad", assign_to_tensor_requiring_grad,
        RuntimeError, "in-place", "requires grad", "no_grad"),
    row("in-place assignment of 4 values into 3", assign_under_no_grad(slice(None), np.ones(4)),
        ShapeError, "setitem", r"\(4,\)", r"\(3,\)"),
    row("in-place assignment at index 5 of 3", assign_under_no_grad(5, 1.0),
        IndexError, "setitem", "index 5", "size 3"),
    # ------------------------------------------------------------------ dtypes
    row("an int tensor with requires_grad",
        on_nothing(lambda: mg.tensor([1, 2], requires_grad=True)),
        TypeError, "floating", "int64"),
    row("a string tensor", on_nothing(lambda: mg.tensor("abc")), TypeError, "<U3", "numbers"),
    row("a ragged nested list", on_nothing(lambda: mg.tensor([[1.0, 2.0], [3.0]])),
        TypeError, "ragged"),
    row("default dtype int32", on_nothing(lambda: mg.set_default_dtype(np.int32)),
        TypeError, "default dtype", "int32"),
    row("add a string to a tensor", on_tensors((3,), call=lambda a: a + "x"),
        TypeError, "Add", "str"),
    row("cast a tensor to str", on_tensors((3,), call=lambda a: a.astype(str)),
        TypeError, "astype", "<U"),
    row("randn with a negative size", on_nothing(lambda: mg.randn(-1)),
        ValueError, "randn", "-1"),
    # ------------------------------------------------------------------ backward
    row("backward of a non-scalar without gradient", non_scalar_backward,
        RuntimeError, "scalar", r"\(2, 3\)", "gradient="),
    row("backward with a gradient of the wrong shape",
        on_tensors((3,), call=lambda a: (a * 2).backward(np.ones(4))),
        GradientShapeError, r"\(4,\)", r"\(3,\)"),
    row("a second backward through a freed graph", backward_twice,
        RuntimeError, "second time", "retain_graph=True"),
    row("backward of a tensor that does not require grad",
        on_nothing(lambda: mg.ones(3).sum().backward()),
        RuntimeError, "does not require grad"),
    row("grad of an input that was not used", unused_input,
        RuntimeError, r"inputs\[1\]", "not used", "allow_unused"),
    row("requires_grad_(False) on a non-leaf",
        on_tensors((3,), call=lambda a: (a * 2).requires_grad_(False)),
        RuntimeError, "non-leaf", "detach"),
    row("a custom backward returning 2 gradients for 1 input", backward_through(TwoGradients),
        GradientShapeError, r"TwoGradients\.backward", "2 gradients", "1 input"),
    row("a custom backward returning a (5,) gradient for (2,)",
        backward_through(WrongShapeGradient),
        GradientShapeError, r"WrongShapeGradient\.backward", r"\(5,\)", r"\(2,\)"),
    row("a custom forward returning a str",
        on_tensors((2,), call=lambda a: ForwardReturnsText.apply(a)),
        TypeError, r"ForwardReturnsText\.forward", "str"),
    row("a custom backward returning a str", backward_through(BackwardReturnsText),
        TypeError, r"BackwardReturnsText\.backward", "str"),
    row("log of a negative number in anomaly mode", log_of_negative_in_anomaly_mode,
        AnomalyError, "Log", "non-finite", THIS_FILE + r":\d+"),
    row("item() of 3 elements", on_tensors((3,), call=lambda a: a.item()),
        ValueError, r"item\(\)", r"\(3,\)"),
    row("truth value of 3 elements", on_tensors((3,), call=bool),
        ValueError, "ambiguous", "3 elements"),
    row("clip without bounds", on_tensors((3,), call=lambda a: a.clip()),
        ValueError, "clip", "min", "max"),
    # ------------------------------------------------------------------ nn
    row("Linear(0, 4)", on_nothing(lambda: nn.Linear(0, 4)), ValueError, "in_features", "0"),
    row("Linear(3, 4) on inputs of width 5",
        on_model(lambda model: model(leaf(2, 5))),
        ShapeError, "linear", r"\(2, 5\)", "in_features=3"),
    row("load_state_dict with a missing key",
        on_model(lambda m: m.load_state_dict({"weight": np.ones((4, 3), np.float32)})),
        RuntimeError, "missing key", "'bias'", "nothing was changed"),
    row("load_state_dict with a wrong shape",
        on_model(lambda m: m.load_state_dict({"weight": np.ones((4, 3), np.float32),
                                              "bias": np.ones(5, np.float32)})),
        RuntimeError, "size mismatch", "'bias'", r"\(5,\)", r"\(4,\)"),
    row("load_state_dict with an extra key",
        on_model(lambda m: m.load_state_dict({"weight": np.ones((4, 3), np.float32),
                                              "bias": np.ones(4, np.float32),
                                              "extra": np.ones(1, np.float32)})),
        RuntimeError, "unexpected key", "'extra'"),
    row("load_state_dict with integer data",
        on_model(lambda m: m.load_state_dict({"weight": np.ones((4, 3), np.int64),
                                              "bias": np.ones(4, np.float32)})),
        RuntimeError, "'weight'", "int64"),
    row("load_state_dict of a list", on_model(lambda m: m.load_state_dict([1, 2])),
        TypeError, "mapping", "list"),
    row("assign a Tensor to a parameter attribute", on_model(assign_tensor_as_parameter),
        TypeError, "'weight'", "Tensor", "Parameter"),
    row("Parameter made from a non-leaf",
        on_tensors((3,), call=lambda a: nn.Parameter(a * 2)),
        ValueError, "grad_fn", "detach"),
    row("Sequential of an int", on_nothing(lambda: nn.Sequential(3)),
        TypeError, "Sequential", "int"),
    row("cross_entropy with class 5 of 3",
        on_tensors((4, 3), call=lambda s: F.cross_entropy(s, np.array([0, 1, 2, 5]))),
        ValueError, "cross_entropy", r"\[0, 3\)", "5"),
    row("cross_entropy with float targets",
        on_tensors((4, 3), call=lambda s: F.cross_entropy(s, np.array([0.0, 1, 2, 1]))),
        TypeError, "cross_entropy", "float64"),
    row("mse_loss of (4,3) against (4,)", on_tensors((4, 3), (4,), call=F.mse_loss),
        ShapeError, "mse_loss", r"\(4, 3\)", r"\(4,\)"),
    # ------------------------------------------------------------------ optim
    row("optimizer given an empty list", on_nothing(lambda: optim.SGD([], lr=0.1)),
        ValueError, "empty parameter list"),
    row("optimizer given a bare Tensor", on_tensors((3,), call=lambda a: optim.SGD(a)),
        TypeError, "Tensor", r"\[t\]"),
    row("optimizer given a set", on_tensors((3,), call=lambda a: optim.SGD({a})),
        TypeError, "sets", "list"),
    row("SGD with a negative lr", on_tensors((3,), call=lambda a: optim.SGD([a], lr=-0.1)),
        ValueError, "SGD", r"lr=-0\.1"),
    row("Adam with betas (1.5, 0.999)",
        on_tensors((3,), call=lambda a: optim.Adam([a], betas=(1.5, 0.999))),
        ValueError, "Adam", r"betas\[0\]=1\.5"),
    row("SGD of a non-leaf", on_tensors((3,), call=lambda a: optim.SGD([a * 2])),
        ValueError, "non-leaf", "Mul"),
    row("SGD of an int tensor",
        on_nothing(lambda: optim.SGD([mg.tensor([1, 2])], lr=0.1)),
        TypeError, "SGD", "int64"),
    row("a parameter added to a second group", on_optimizer(add_parameter_twice),
        ValueError, "more than one parameter group"),
    row("optimizer step with a gradient of the wrong shape", step_with_mismatched_gradient,
        ValueError, r"Adam\.step", r"\(3,\)", r"\(2,\)"),
    row("optimizer load_state_dict with 2 groups for 1",
        on_optimizer(lambda adam: adam.load_state_dict(
            {"state": {}, "param_groups": adam.state_dict()["param_groups"] * 2})),
        ValueError, "number of parameter groups", r"\(2\)", r"\(1\)"),
    row("optimizer load_state_dict with a moment of the wrong shape",
        on_optimizer(adam_state_with(
            state={1: {"step": 1, "exp_avg": np.zeros(5), "exp_avg_sq": np.zeros(4)}})),
        ValueError, "exp_avg", r"\(5,\)", r"\(4,\)"),
    row("optimizer load_state_dict with a negative lr",
        on_optimizer(adam_state_with(group__lr=-1.0)),
        ValueError, "Adam", r"lr=-1\.0"),
    row("RandomSearch step with a non-scalar loss", random_search_with_vector_loss,
        ValueError, "scalar loss", r"\(2,\)"),
    row("RandomSearch step without a closure", random_search_without_closure,
        TypeError, "RandomSearch", "closure"),
    row("StepLR with step_size 0", step_lr(0), ValueError, "StepLR", "step_size", "0"),
    row("scheduler load_state_dict of a foreign dict", scheduler_foreign_state,
        ValueError, r"StepLR\.load_state_dict", "expected the keys"),
    # ------------------------------------------------------------------ data
    row("DataLoader with batch_size 0",
        on_nothing(lambda: DataLoader(TensorDataset(np.zeros(3)), batch_size=0)),
        ValueError, "batch_size", ">= 1", "got 0"),
    row("DataLoader with batch_size 2.0",
        on_nothing(lambda: DataLoader(TensorDataset(np.zeros(3)), batch_size=2.0)),
        TypeError, "batch_size", "float"),
    row("DataLoader of an int", on_nothing(lambda: DataLoader(5)),
        TypeError, "dataset", "int", "__len__"),
    row("TensorDataset of unequal lengths",
        on_nothing(lambda: TensorDataset(np.zeros((3, 2)), np.zeros(4))),
        ValueError, "first dimension", r"\(3, 2\)", r"\(4,\)"),
    row("TensorDataset of strings", on_nothing(lambda: TensorDataset(np.array(["a", "b"]))),
        TypeError, "argument 0", "<U1"),
    row("CIFAR-10 binary batch cut short",
        cifar_misuse(binary=True, first_batch=lambda marker: bytes(3073 + 100)),
        DataFileError, r"data_batch_1\.bin", "truncated", "3173"),
    row("CIFAR-10 python batch cut short",
        cifar_misuse(binary=False,
                     first_batch=lambda marker: pickle.dumps(python_batch(), protocol=2)[:500]),
        DataFileError, "data_batch_1", "truncated or corrupt"),
    row("CIFAR-10 python batch holding a malicious pickle",
        cifar_misuse(binary=False, first_batch=lambda marker: pickle.dumps(
            {**python_batch(), b"labels": RunsCode(marker)}, protocol=2)),
        UnsafePickleError, "data_batch_1", "refused", "system", "could run code"),
    # ------------------------------------------------------------------ files
    row("load a truncated save file", load_misuse(truncate_to_half),
        SerializationError, "model.npz", "corrupt or truncated"),
    row("load a text file", load_misuse(lambda path, folder: path.write_text("weights: 1 2 3")),
        SerializationError, "model.npz", "not a minigrad save file"),
    row("load an npz numpy wrote",
        load_misuse(lambda path, folder: np.savez(str(path), w=np.ones(3))),
        SerializationError, "model.npz", "not a minigrad save file", "numpy.load"),
    row("load a save file holding a pickle that runs code", load_misuse(npz_with_pickled_payload),
        SerializationError, "model.npz", "Object arrays"),
    row("save a Module instead of its state dict",
        save_misuse(lambda path: mg.save(linear_model(), path)),
        TypeError, "Linear", r"state_dict\(\)"),
    row("save while the disk fills up", save_misuse(save_while_disk_fills_up),
        OSError, "No space left"),
    row("save into a missing folder",
        save_misuse(lambda path: mg.save({"w": 1.0}, path.parent / "missing" / "model.npz")),
        FileNotFoundError, "missing", "does not exist"),
]


def test_the_table_covers_at_least_40_misuses():
    assert len(MISUSES) >= 40
    assert len({param.id for param in MISUSES}) == len(MISUSES)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("make, error, message", MISUSES)
def test_misuse_raises_a_clear_error_and_changes_nothing(tmp_path, make, error, message):
    objects, call = make(tmp_path)
    before = snapshot(objects), global_state()
    with pytest.raises(error, match=message):
        call()
    assert (snapshot(objects), global_state()) == before


# --------------------------------------------------------------------------- controls


def test_the_malicious_pickles_really_run_code(tmp_path):
    """Control: unpickled without restrictions, the payloads of the table do run."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps({b"labels": RunsCode(marker)}, protocol=2))
    assert marker.exists()
    marker.unlink()
    npz_with_pickled_payload(tmp_path / "evil.npz", tmp_path)
    with np.load(tmp_path / "evil.npz", allow_pickle=True) as archive:
        archive["a0"]
    assert marker.exists()


def test_a_failed_non_scalar_backward_leaves_the_graph_usable():
    x = leaf(2, 3)
    y = x * 2
    with pytest.raises(RuntimeError):
        y.backward()
    y.backward(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 2.0, np.float32))


def test_the_disk_full_save_did_write_part_of_a_file(tmp_path, monkeypatch):
    """Control: the failing write of the table really fails midway, not before it starts."""
    sizes = []
    real_unlink = os.unlink
    def recording_unlink(path):
        sizes.append(os.path.getsize(path))
        real_unlink(path)
    monkeypatch.setattr(serialization.os, "unlink", recording_unlink)
    with pytest.raises(OSError, match="No space left"):
        save_while_disk_fills_up(tmp_path / "model.npz")
    assert sizes == [2000]  # 2000 bytes written, then the temporary file removed
    assert list(tmp_path.iterdir()) == []


def test_snapshot_sees_every_kind_of_change(tmp_path):
    """Control: each kind of change the table guards against alters the snapshot."""
    model, adam = trained_adam()
    folder, path = checkpoint_folder(tmp_path)
    before = snapshot([model, adam, folder])
    changes = [
        lambda: model.weight.data.__setitem__((0, 0), np.nextafter(model.weight.data[0, 0],
                                                                   np.float32(np.inf))),
        lambda: setattr(model.bias, "grad", None),
        lambda: adam.state[model.weight]["exp_avg"].__setitem__(0, 1.0),
        lambda: setattr(adam.evaluations, "grad", adam.evaluations.grad + 1),
        lambda: adam.param_groups[0].__setitem__("lr", 0.5),
        lambda: (folder / ".model.npz.tmp").write_bytes(b""),
        lambda: path.write_bytes(path.read_bytes()[:-1]),
    ]
    for change in changes:
        snapshot_before_change = snapshot([model, adam, folder])
        change()
        assert snapshot([model, adam, folder]) != snapshot_before_change
    assert snapshot([model, adam, folder]) != before
