"""Numeric gradients by central differences: the article's approach 2, as a tool and a backend.

For a scalar loss L and one coordinate w_i of a parameter::

    dL/dw_i  ~=  (L(w + h e_i) - L(w - h e_i)) / 2h        (error O(h^2), two evaluations)

The one-sided form the article tabulates, (L(w + h e_i) - L(w)) / h, is only O(h) accurate;
the central form costs one more evaluation per coordinate and is what every check here uses.

Everything here computes in float64, whatever the dtype of the inputs, and puts every input back
exactly as it was (bit for bit, the same array object) afterwards, also when ``f`` raises:

* a Tensor keeps its identity: its ``.data`` is swapped for a float64 working copy while the
  differences run, so ``f`` (or a closure or model holding the Tensor) sees the perturbations;
* a writable float64 ndarray is perturbed in place, each element put back after its two
  evaluations (the CS231n way);
* anything else (a float32 array, a read-only array, a number) is replaced by a float64 copy,
  which is what ``f`` receives.
"""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import numpy as np

from ..autograd import enable_grad, no_grad
from ..errors import ShapeError
from ..tensor import Tensor
from ._table import format_number, format_table

__all__ = ["relative_error", "numerical_grad", "numerical_backward", "NumericalBackward",
           "central_differences", "directional_difference", "perturbable", "scalar_value",
           "check_eps", "check_tolerance"]

_TINY = np.finfo(np.float64).tiny


def relative_error(a, b) -> float:
    """The CS231n relative error, elementwise, then its maximum::

        rel(a, b) = |a - b| / max(|a| + |b|, tiny)

    0 where both are 0; NaN anywhere gives NaN. ``a`` and ``b`` (Tensors, arrays or numbers)
    must have the same shape. Rule of thumb (float64, smooth function): below 1e-7 the gradient
    is right, above 1e-2 it is wrong, in between look closer (kinks, float32, tiny values).
    """
    a = _float64_values(a, "a")
    b = _float64_values(b, "b")
    if a.shape != b.shape:
        raise ShapeError(f"relative_error: a has shape {a.shape} but b has shape {b.shape}; "
                         "compare arrays of the same shape")
    if a.size == 0:
        return 0.0
    scale = np.maximum(np.abs(a) + np.abs(b), _TINY)
    return float(np.max(np.abs(a - b) / scale))


def _float64_values(x, name: str) -> np.ndarray:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"relative_error: {name} must be numeric, got dtype {data.dtype}")
    return data.astype(np.float64, copy=False)


def check_eps(eps, who: str) -> float:
    """``eps`` as a positive finite float, or a ValueError naming ``who``."""
    try:
        value = float(eps)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: eps must be a number, got {type(eps).__name__}") from None
    if not (value > 0 and np.isfinite(value)):
        raise ValueError(f"{who}: eps must be a positive finite step, got {eps!r}")
    return value


def check_tolerance(value, name: str, who: str) -> float:
    """A tolerance (``atol``, ``rtol``, ...) as a finite float >= 0, or an error naming it: a
    negative or NaN tolerance would fail every comparison, and blame correct ops for it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(f"{who}: {name} must be a number >= 0, got {value!r}")
    if not 0 <= value < np.inf:
        raise ValueError(f"{who}: {name} must be a number >= 0, got {value!r}")
    return float(value)


def scalar_value(value, who: str) -> float:
    """The float behind what a loss function returned: a one-element Tensor, array or number."""
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{who}: the function must return a number or a Tensor, "
                        f"got {type(value).__name__}")
    if data.size != 1:
        raise ValueError(f"{who}: the function must return a scalar (a one-element Tensor or a "
                         f"number), got shape {data.shape}")
    return float(data.reshape(()))


@contextmanager
def perturbable(x, position: int, who: str, dtype=np.float64):
    """Yield ``(argument, array)``: pass ``argument`` to the function, perturb ``array`` in place.

    ``dtype=None`` keeps a Tensor's own dtype (gradcheck's rule); otherwise see the module
    docstring. On exit ``x`` is exactly as before.
    """
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            raise TypeError(f"{who}: input {position} is a Tensor of dtype {x.dtype}; only "
                            "floating point inputs can be differentiated")
        original = x.data
        x.data = np.array(original, dtype=dtype or original.dtype, copy=True)
        try:
            yield x, x.data
        finally:
            x.data = original
        return
    if isinstance(x, np.ndarray) and x.dtype == np.float64 and dtype is not None \
            and np.dtype(dtype) == np.float64 and x.flags.writeable:
        yield x, x  # central_differences puts each element back itself
        return
    if isinstance(x, (bool, np.bool_)) or np.asarray(x).dtype.kind not in "iuf":
        raise TypeError(f"{who}: input {position} must be a float Tensor, array or number, got "
                        f"{type(x).__name__} of dtype {np.asarray(x).dtype}")
    copy = np.array(x, dtype=dtype or np.float64, copy=True)
    yield copy, copy


def central_differences(evaluate, array, eps: float, indices=None, on_step=None) -> np.ndarray:
    """One derivative per flat index i of ``array``::

        (evaluate() with array[i] + eps  -  evaluate() with array[i] - eps) / (2 eps)

    ``evaluate()`` returns a float (the result has shape (k,)) or a float array of M values
    (shape (k, M): a Jacobian column per index). ``array[i]`` is put back exactly after its two
    evaluations, also when ``evaluate`` raises. ``on_step(index, value, plus, minus, derivative)``
    is called after each index (for the verbose tables).
    """
    indices = range(array.size) if indices is None else indices
    rows = []
    for flat in indices:
        index = np.unravel_index(int(flat), array.shape)
        old = array[index]
        try:
            array[index] = old + eps
            plus = evaluate()
            array[index] = old - eps
            minus = evaluate()
        finally:
            array[index] = old
        derivative = (plus - minus) / (2 * eps)
        rows.append(derivative)
        if on_step is not None:
            on_step(index, old, plus, minus, derivative)
    return np.array(rows, dtype=np.float64)


def directional_difference(evaluate, array, direction, eps: float):
    """The derivative along ``direction`` (J u for a vector function, grad . u for a scalar one)::

        (evaluate() at array + eps u  -  evaluate() at array - eps u) / (2 eps)

    Two evaluations whatever the size of ``array``; ``array`` is restored exactly afterwards.
    """
    saved = array.copy()
    step = eps * direction
    try:
        np.add(saved, step, out=array, casting="unsafe")
        plus = evaluate()
        np.subtract(saved, step, out=array, casting="unsafe")
        minus = evaluate()
    finally:
        array[...] = saved
    return (plus - minus) / (2 * eps)


# --------------------------------------------------------------------------- numerical_grad


def numerical_grad(f, *inputs, eps: float = 1e-6, verbose=False):
    """Central-difference gradient of a scalar function ``f(*inputs)`` with respect to each input.

    ``f`` takes the inputs (Tensors, arrays or numbers) and returns a scalar Tensor or a number.
    Returns an ndarray shaped like the input (one input), or a tuple of them (several inputs).
    Costs 2 evaluations of ``f`` per input element. Computes in float64 and restores every input
    exactly (see the module docstring). A Tensor or array passed twice is one variable used
    twice: both of its gradients are the total derivative, as ``backward`` gives. ``f`` runs in
    the caller's grad mode, so it may use autograd itself (e.g. to check a second derivative).

    ``verbose=True`` (or a number of rows) prints the article's table for the first coordinates
    of each input: W, W+h, the loss on either side and the resulting dW.
    """
    if not inputs:
        raise TypeError("numerical_grad: give at least one input to differentiate with respect to")
    eps = check_eps(eps, "numerical_grad")
    rows = _verbose_rows(verbose)
    grads, tables = [], []
    with ExitStack() as stack:
        pairs, entered = [], {}
        for i, x in enumerate(inputs):
            if isinstance(x, (Tensor, np.ndarray)) and id(x) in entered:
                pairs.append(entered[id(x)])  # the same object again: one variable, used twice
                continue
            pairs.append(stack.enter_context(perturbable(x, i, "numerical_grad")))
            entered[id(x)] = pairs[-1]
        args = [argument for argument, _ in pairs]

        def evaluate():
            return scalar_value(f(*args), "numerical_grad")

        base = evaluate() if rows else None
        for position, (_, array) in enumerate(pairs):
            table = _StepTable(position if len(pairs) > 1 else None, rows, eps)
            grads.append(central_differences(evaluate, array, eps,
                                             on_step=table.add if rows else None)
                         .reshape(array.shape))
            tables.append(table)
    if rows:
        print(_verbose_text(tables, base, eps, [g.size for g in grads]))
    return grads[0] if len(grads) == 1 else tuple(grads)


def _verbose_rows(verbose) -> int:
    if verbose is True:
        return 5
    if verbose is False or verbose is None:
        return 0
    if isinstance(verbose, (int, np.integer)) and verbose >= 0:
        return int(verbose)
    raise TypeError(f"numerical_grad: verbose must be True/False or a number of rows, "
                    f"got {verbose!r}")


class _StepTable:
    """Collects the first rows of the article's W / W+h / dW table for one input."""

    def __init__(self, position, limit: int, eps: float):
        self.position, self.limit, self.eps = position, limit, eps
        self.rows = []

    def add(self, index, value, plus, minus, derivative):
        if len(self.rows) >= self.limit:
            return
        label = str(tuple(int(i) for i in index))
        if self.position is not None:
            label = f"input {self.position} {label}"
        value = float(value)
        self.rows.append([label, format_number(value, 10), format_number(value + self.eps, 10),
                          format_number(plus, 12), format_number(minus, 12),
                          format_number(derivative, 8)])


def _verbose_text(tables, base, eps, sizes) -> str:
    lines = [f"numerical gradient by central differences, h = {eps:g}",
             f"  loss(W) = {format_number(base, 12)}"]
    rows = [row for table in tables for row in table.rows]
    headers = ["index", "W", "W+h", "loss(W+h)", "loss(W-h)",
               "dW = (loss(W+h) - loss(W-h)) / 2h"]
    lines.append(format_table(headers, rows))
    shown, total = len(rows), sum(sizes)
    if shown < total:
        lines.append(f"  ... {total - shown} more coordinates; {2 * total + 1} loss evaluations "
                     "in all (2 per coordinate, 1 for loss(W))")
    return "\n".join(lines)


# --------------------------------------------------------------------------- numerical_backward


@dataclass(frozen=True)
class NumericalBackward:
    """What ``numerical_backward`` did: plain data for the journey and the optimizers."""

    loss: float              # closure() at the unperturbed parameters
    loss_evaluations: int    # closure() calls spent: 1 + 2 per differenced element
    elements: int            # parameter elements differenced
    parameters: int          # parameters whose .grad was filled

    def __str__(self):
        params = f"{self.parameters} parameter" + ("" if self.parameters == 1 else "s")
        return (f"numerical backward: loss {self.loss:.6g}; {params}, {self.elements} "
                f"elements, {self.loss_evaluations} loss evaluations (1 + 2 per element)")


def numerical_backward(closure, params, eps: float = 1e-5) -> NumericalBackward:
    """The numeric gradient as a backend: fill ``.grad`` like ``closure().backward()`` would.

    ``closure()`` computes and returns the loss (a scalar Tensor or a number; it must not call
    backward itself, and must be deterministic: no dropout, no fresh mini-batch per call).
    Each parameter gets d loss / d parameter by central differences, computed in float64 and
    accumulated into ``.grad`` exactly as ``backward()`` accumulates: added to an existing
    ``.grad``, a Tensor of the parameter's dtype, and only for parameters that require grad and
    that the loss depends on (found by walking the graph of one recorded evaluation; when the
    loss carries no graph, e.g. it was computed with numpy, every parameter that requires grad
    is filled). Parameters are restored bit for bit. So any optimizer can step on it::

        opt.zero_grad()
        result = numerical_backward(closure, params)   # instead of closure().backward()
        opt.step()

    Returns a ``NumericalBackward``: the loss and ``loss_evaluations`` = 1 + 2 per element
    (the article's point: 2 x 30,730 evaluations per step for a 3073 x 10 classifier).
    """
    eps = check_eps(eps, "numerical_backward")
    params = _unique_tensors(params)
    if not any(p.requires_grad for p in params):
        raise ValueError(f"numerical_backward: none of the {len(params)} parameters requires "
                         "grad; mark them requires_grad=True (backward would fill nothing)")
    with enable_grad():
        loss = closure()
    loss_value = scalar_value(loss, "numerical_backward")
    reachable = _reachable_leaves(loss)
    targets = [p for p in params
               if p.requires_grad and (reachable is None or id(p) in reachable)]
    del loss  # free the recorded graph before the many evaluations

    def evaluate():
        return scalar_value(closure(), "numerical_backward")

    grads = []
    with no_grad():
        for position, p in enumerate(targets):
            with perturbable(p, position, "numerical_backward") as (_, array):
                grads.append(central_differences(evaluate, array, eps).reshape(p.shape))
    # filled only once every difference is done: a closure that raises changes no .grad
    for p, g in zip(targets, grads):
        g = g.astype(p.dtype)  # like backward: a fresh array of the parameter's dtype, added
        p.grad = Tensor(g) if p.grad is None else Tensor(p.grad.data + g)
    elements = sum(g.size for g in grads)
    return NumericalBackward(loss=loss_value, loss_evaluations=1 + 2 * elements,
                             elements=elements, parameters=len(targets))


def _unique_tensors(params) -> list:
    if isinstance(params, Tensor):
        params = [params]
    unique, seen = [], set()
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"numerical_backward: params[{i}] is a {type(p).__name__}, "
                            "not a Tensor")
        if id(p) not in seen:
            seen.add(id(p))
            unique.append(p)
    if not unique:
        raise ValueError("numerical_backward: params is empty")
    return unique


def _reachable_leaves(loss):
    """The ids of the leaf Tensors the recorded graph of ``loss`` reaches (None: no graph).

    Ids, not Tensors, in the set: ``Tensor.__eq__`` is elementwise."""
    if not isinstance(loss, Tensor) or not loss.requires_grad:
        return None
    if loss.grad_fn is None:
        return {id(loss)}
    leaves, seen, stack = set(), set(), [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for a in node.inputs or ():
            if isinstance(a, Tensor) and a.requires_grad:
                if a.grad_fn is None:
                    leaves.add(id(a))
                else:
                    stack.append(a.grad_fn)
    return leaves
