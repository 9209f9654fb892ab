"""Follow backprop by hand: each chain-rule step of a backward pass, printed in order.

``loss.backward(trace=True)`` calls ``print_step(node, upstream, input_grads)`` for every node,
in the order the engine runs them (each node after all the nodes it feeds). For a node
``out = f(x, y, ...)`` with upstream gradient ``G = dL/dout`` a step is the chain rule::

    dL/dx = G * df/dx      (elementwise ops: the local derivative df/dx is printed too)
    dL/dx = vjp(G)         (other ops, e.g. MatMul or Sum: the vector-Jacobian product)

When ``x`` was broadcast in the forward pass, ``dL/dx`` first has the broadcast shape; the engine
then sums it back to ``x``'s shape (``autograd.sum_to_shape``, the one place that undoes
broadcasting), printed as a last ``-> summed over axes ...``.

``Tracer`` does the same with memory across steps: it numbers them, keeps them in ``steps``,
and says when a tensor receives a second gradient (fan-out: the contributions add up)::

    loss.backward(trace=minigrad.trace.Tracer())
"""
from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field

import numpy as np

from .tensor import Tensor

__all__ = ["summarize", "print_step", "format_step", "describe_step", "Step", "InputStep",
           "Tracer", "op_formula", "input_names", "is_elementwise", "trace_backward",
           "active_tracer"]


def summarize(a, max_items: int = 6, precision: int = 4) -> str:
    """A short text for an array or Tensor: a scalar's value, a few values, or mean and |max|."""
    if a is None:
        return "-"
    data = a.data if isinstance(a, Tensor) else np.asarray(a)
    if data.size == 1:
        value = data.reshape(()).item()
        return f"{value:.{precision}g}" if isinstance(value, float) else str(value)
    if data.size == 0:
        return f"<empty {data.shape}>"
    if data.size <= max_items:
        text = np.array2string(data, separator=", ",
                               formatter={"float_kind": lambda v: f"{v:.{precision}g}"})
        return " ".join(text.split())
    values = data.astype(np.float64)
    return f"mean={values.mean():.{precision}g} |max|={np.abs(values).max():.{precision}g}"


def op_formula(node) -> str:
    """The first line of the op's docstring: by convention f and its derivative."""
    doc = type(node).__doc__
    if not doc:
        return ""
    return doc.strip().splitlines()[0].strip().replace("``", "")


def input_names(node, count: int) -> list[str]:
    """The names of ``forward``'s positional parameters (``x``, ``y``, ``xs[0]`` ...)."""
    try:
        params = list(inspect.signature(type(node).forward).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            names += [f"{p.name}[{i}]" for i in range(count - len(names))]
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    names += [f"input{i}" for i in range(len(names), count)]
    return names[:count]


def is_elementwise(node) -> bool:
    """Ops defined in ``ops/elementwise.py`` map element i of the inputs to element i of the
    output (after broadcasting), so their Jacobian is diagonal: a local derivative per element."""
    return type(node).__module__ == "minigrad.ops.elementwise"


def _local_derivatives(node, upstream_shape, count):
    """df/d(input) elementwise: the node's own backward applied to a gradient of ones.

    For an elementwise op, backward(G) = G * f'(x), so backward(1) = f'(x). Runs on plain arrays
    with recording off, whatever mode the engine is in."""
    from .autograd import no_grad
    with no_grad():
        ones = np.ones(upstream_shape)
        local = type(node).backward(node, ones)
    local = local if isinstance(local, tuple) else (local,)
    if len(local) != count:
        return (None,) * count
    return tuple(None if g is None else np.asarray(g.data if isinstance(g, Tensor) else g)
                 for g in local)


def _broadcast_axes(grad_shape, shape):
    """The axes ``sum_to_shape`` sums over to take a gradient from ``grad_shape`` to ``shape``."""
    lead = len(grad_shape) - len(shape)
    axes = list(range(lead))
    axes += [lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1]
    return tuple(axes)


@dataclass
class InputStep:
    """The chain rule for one input of a node: local derivative, result, broadcast undone."""

    var: str                # forward's parameter name (x, y, ...)
    label: str              # var, the tensor's name if it has one, its shape, the op making it
    shape: tuple
    local: np.ndarray | None   # df/dx elementwise, or None when the op is not elementwise
    grad: np.ndarray        # dL/dx as the op's backward returned it (maybe broadcast-shaped)
    summed_axes: tuple      # axes summed to undo broadcasting (empty if none)
    final: np.ndarray       # dL/dx in x's own shape: what reaches x
    key: object = field(default=None, repr=False)  # the leaf Tensor or node it flows into


@dataclass
class Step:
    """One node of the backward pass: which op, its formula, the upstream gradient, its inputs."""

    op: str
    formula: str
    upstream: np.ndarray
    inputs: list


def _raw(g) -> np.ndarray:
    return np.asarray(g.data if isinstance(g, Tensor) else g)


def describe_step(node, upstream, input_grads) -> Step:
    """Work out what one chain-rule step did, from the engine's view of it."""
    from .autograd import sum_to_shape
    up = _raw(upstream)
    inputs = node.inputs or ()
    names = input_names(node, len(inputs))
    local = (_local_derivatives(node, up.shape, len(inputs)) if is_elementwise(node)
             else (None,) * len(inputs))
    steps = []
    for name, x, g, loc in zip(names, inputs, input_grads, local):
        if g is None or not isinstance(x, Tensor) or not x.requires_grad:
            continue
        g = _raw(g)
        axes = _broadcast_axes(g.shape, x.shape) if g.shape != x.shape else ()
        final = sum_to_shape(g, x.shape) if g.shape != x.shape else g
        label = f"{name} '{x.name}' {x.shape}" if x.name else f"{name} {x.shape}"
        if not x.name and x.grad_fn is not None:
            label += f" from {x.grad_fn.name()}"
        key = x.grad_fn if x.grad_fn is not None else x
        steps.append(InputStep(name, label, x.shape, loc, g, axes, final, key))
    return Step(node.name(), op_formula(node), up, steps)


def format_step(step: Step, number: int | None = None, notes: dict | None = None) -> str:
    """The text of one step; ``notes`` maps an input index to an extra remark."""
    head = f"[{number}] " if number is not None else ""
    lines = [f"{head}{step.op}Backward    {step.formula}".rstrip(),
             f"    upstream dL/dout = {summarize(step.upstream)}"]
    for i, inp in enumerate(step.inputs):
        var = inp.var
        where = f"    {inp.label}:"
        if inp.local is not None:
            line = (f"{where} local dout/d{var} = {summarize(inp.local)};  "
                    f"dL/d{var} = upstream * local = {summarize(inp.grad)}")
        else:
            line = f"{where} dL/d{var} = {summarize(inp.grad)}"
        if inp.summed_axes:
            line += (f"  -> summed over broadcast axes {inp.summed_axes} to {inp.shape}: "
                     f"{summarize(inp.final)}")
        if notes and i in notes:
            line += f"  ({notes[i]})"
        lines.append(line)
    return "\n".join(lines)


def print_step(node, upstream, input_grads, file=None) -> None:
    """Print one chain-rule step: the hook ``Tensor.backward(trace=True)`` calls per node."""
    print(format_step(describe_step(node, upstream, input_grads)), file=file or sys.stdout)


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


class Tracer:
    """A stateful trace: ``loss.backward(trace=Tracer())``.

    Numbers the steps, keeps them in ``self.steps`` (a list of ``Step``), and marks each
    gradient that arrives at a tensor which already received one: at fan-out the engine adds
    the contributions. Prints to ``file`` (stdout by default) unless ``quiet=True``.
    """

    def __init__(self, file=None, quiet: bool = False):
        self.file = file
        self.quiet = quiet
        self.steps: list[Step] = []
        self.lines: list[str] = []
        self._received: dict = {}

    def __call__(self, node, upstream, input_grads) -> None:
        step = describe_step(node, upstream, input_grads)
        # the node has now used every gradient it received in this backward pass: one that
        # reaches it later comes from another pass and is not added to these
        self._received.pop(node, None)
        notes = {}
        for i, inp in enumerate(step.inputs):
            count = self._received.get(inp.key, 0) + 1
            self._received[inp.key] = count
            if count > 1:
                notes[i] = f"{_ordinal(count)} gradient into this tensor: added to the others"
        self.steps.append(step)
        text = format_step(step, number=len(self.steps), notes=notes)
        self.lines.append(text)
        if not self.quiet:
            print(text, file=self.file or sys.stdout)

    def text(self) -> str:
        """Everything traced so far, one step after another."""
        return "\n".join(self.lines)


_active_tracers: list = []


def active_tracer():
    """The tracer of the innermost ``trace_backward()`` block, or None outside any."""
    return _active_tracers[-1] if _active_tracers else None


class trace_backward:  # noqa: N801 - a context manager named like mg.no_grad
    """Context manager: every ``backward()`` inside prints its chain-rule steps.

    ``with mg.trace_backward() as tracer: loss.backward()`` is ``loss.backward(trace=tracer)``;
    the steps are also kept in ``tracer.steps``. Pass ``quiet=True`` to only collect them.
    """

    def __init__(self, file=None, quiet: bool = False):
        self.tracer = Tracer(file=file, quiet=quiet)

    def __enter__(self) -> "Tracer":
        _active_tracers.append(self.tracer)
        return self.tracer

    def __exit__(self, *exc):
        _active_tracers.remove(self.tracer)
        return False
