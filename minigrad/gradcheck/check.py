"""``gradcheck``: PyTorch's gradient check, on minigrad.

For ``outputs = func(*inputs)`` it builds, for every input that requires grad and every
floating-point output, the Jacobian J (d output / d input) twice:

* analytically, one row per output element, by vector-Jacobian products: ``mg.grad(output,
  inputs, grad_outputs=e_k)`` is row k of J (it runs the ops' backward rules);
* numerically, one column per input element, by central differences of ``func``:
  (func(x + eps e_i) - func(x - eps e_i)) / 2 eps, perturbing the input in its own dtype.

and requires ``|analytical - numerical| <= atol + rtol * |numerical|`` entry by entry (numpy's
``allclose``). The defaults (eps 1e-6, atol 1e-5, rtol 1e-3) are PyTorch's and assume float64:
a step of 1e-6 is only 8 times float32's spacing near 1 (1.2e-7): rounding swamps the
differences, so a float32 input warns.

``fast_mode=True`` checks one random projection per (input, output) pair instead: with unit
vectors u (input-shaped) and v (output-shaped, entries uniform in [0, 1) then normalised),
``v^T J u`` numerically (one directional difference: 2 evaluations per input) against
``(v^T J) u`` analytically (one backward per output). A 3073 x 10 classifier is then checked in
a handful of evaluations instead of 61,460, at the price of not naming the wrong element. The
tolerance becomes ``atol * sum(u) * sum(v) + rtol * |numerical|``: the entrywise ``atol``
summed over the projection.

Known false alarms: at a kink the function has no derivative and the two sides disagree:
``relu`` (or ``abs``, ``clip``) exactly at 0 (or at a bound), ``max``/``maximum`` with ties, an
input within eps of such a point. Keep inputs away from kinks. For the CS231n relative error
``|a - n| / (|a| + |n|)``: below 1e-7 is right, above 1e-2 is wrong, in between look closer.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..autograd import enable_grad, grad
from ..random import default_generator
from ..tensor import Tensor
from .numeric import (central_differences, check_eps, check_tolerance, directional_difference,
                      perturbable, relative_error)

__all__ = ["gradcheck", "GradcheckError", "GradcheckWarning", "Comparison", "make_check",
           "func_outputs", "random_unit", "projected_atol", "generator_from"]


class GradcheckError(RuntimeError):
    """Analytical and numerical derivatives disagree (or backward is not deterministic).

    The attributes say where, for programs: ``output_index``, ``input_index``, ``element``
    (``(output element, input element)`` as index tuples; None in fast mode), ``analytical``,
    ``numerical``, ``relative_error`` and ``suspect_op`` (the op ``gradcheck_graph`` blames, or
    None).
    """

    def __init__(self, message, *, output_index=None, input_index=None, element=None,
                 analytical=None, numerical=None, relative_error=None, suspect_op=None):
        super().__init__(message)
        self.output_index = output_index
        self.input_index = input_index
        self.element = element
        self.analytical = analytical
        self.numerical = numerical
        self.relative_error = relative_error
        self.suspect_op = suspect_op


class GradcheckWarning(UserWarning):
    """A gradient check runs where it is likely to give false alarms (e.g. float32 inputs)."""


def generator_from(seed) -> np.random.Generator:
    """A numpy Generator: the package's seeded one for None, else from an int or a Generator."""
    if seed is None:
        return default_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def random_unit(shape, rng: np.random.Generator) -> np.ndarray:
    """A float64 array of ``shape``, entries uniform in [0, 1), scaled to unit L2 norm."""
    u = np.asarray(rng.random(shape), dtype=np.float64)
    norm = np.linalg.norm(u)
    return np.asarray(u / norm) if norm > 0 else u


def projected_atol(atol: float, u, v) -> float:
    """The absolute tolerance of an entrywise check, carried through ``v^T J u``.

    |v^T (A - N) u| <= sum_ij |v_i| |A_ij - N_ij| |u_j| <= atol * sum|u| * sum|v|."""
    return float(atol * np.abs(u).sum() * np.abs(v).sum())



@dataclass
class Comparison:
    """Analytical against numerical derivatives of one output with respect to one input.

    Full mode: two Jacobians of shape (output size, input size). Fast mode (``projected``): two
    numbers, v^T J u. ``allowed`` is the tolerance per entry; ``floor`` the absolute tolerance,
    below which a value counts as zero for the relative error.
    """

    output_index: int
    input_index: int
    analytical: np.ndarray
    numerical: np.ndarray
    allowed: np.ndarray
    floor: float
    output_shape: tuple
    input_shape: tuple
    projected: bool

    def excess(self) -> np.ndarray:
        """|analytical - numerical| - allowed per entry (NaN counts as infinitely over)."""
        over = np.abs(self.analytical - self.numerical) - self.allowed
        return np.where(np.isnan(over), np.inf, over)

    @property
    def passed(self) -> bool:
        return not (self.excess() > 0).any()

    def max_relative_error(self) -> float:
        """The CS231n relative error over the entries above ``floor`` (0 if there are none):
        an exact 0 against a numerical 1e-11 is agreement at this tolerance, not an error of 1."""
        a, n = np.ravel(self.analytical), np.ravel(self.numerical)
        keep = ~(np.maximum(np.abs(a), np.abs(n)) <= self.floor)  # keeps NaN
        return relative_error(a[keep], n[keep]) if keep.any() else 0.0

    def worst(self):
        """(output element, input element, analytical, numerical, allowed) at the largest excess;
        the elements are index tuples, or None for a projection."""
        excess = np.ravel(self.excess())
        at = int(np.argmax(excess))
        a, n = np.ravel(self.analytical)[at], np.ravel(self.numerical)[at]
        allowed = np.ravel(np.broadcast_to(self.allowed, np.shape(self.analytical)))[at]
        if self.projected:
            return None, None, float(a), float(n), float(allowed)
        out_flat, in_flat = np.unravel_index(at, np.shape(self.analytical))
        return (_index_tuple(out_flat, self.output_shape), _index_tuple(in_flat, self.input_shape),
                float(a), float(n), float(allowed))


def _index_tuple(flat, shape) -> tuple:
    return tuple(int(i) for i in np.unravel_index(int(flat), shape))


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool = False, nondet_tol: float = 0.0,
              seed=None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences (PyTorch's rules).

    ``func`` takes the inputs and returns a Tensor or a tuple of Tensors; ``inputs`` is a Tensor
    or a tuple (non-Tensor items are passed through unchecked). Every input that requires grad
    is checked against every floating-point output; an output that does not require grad must
    have a zero numerical derivative. Backward must also be deterministic: two runs may differ
    by at most ``nondet_tol``. Returns True, or on failure raises ``GradcheckError`` naming the
    input, the worst element, both values and the relative error, plus the op that the per-node
    check (``gradcheck_graph``) blames; with ``raise_exception=False`` returns False instead.
    ``seed`` (None: the package's generator) draws the fast-mode directions. See the module
    docstring for the math, fast mode and the kinks that give false alarms.
    """
    eps = check_eps(eps, "gradcheck")
    atol = check_tolerance(atol, "atol", "gradcheck")
    rtol = check_tolerance(rtol, "rtol", "gradcheck")
    nondet_tol = check_tolerance(nondet_tol, "nondet_tol", "gradcheck")
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(
            f"gradcheck: none of the {len(inputs)} inputs is a Tensor with requires_grad=True; "
            "mark the inputs to check with requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            dt = inputs[i].dtype
            spacing = np.finfo(dt).eps
            warnings.warn(GradcheckWarning(
                f"gradcheck: input {i} is {dt}, not float64. A step of eps={eps:g} is only "
                f"{eps / spacing:.3g} times {dt}'s spacing near 1 ({spacing:.1e}), so the "
                "perturbed values and the differences of func are mostly rounding noise and "
                "the check will likely fail: pass .double() inputs."), stacklevel=2)
    runner = make_check(func, inputs, fast_mode, eps=eps, atol=atol, rtol=rtol,
                        nondet_tol=nondet_tol, seed=seed)
    try:
        failed = next((c for c in runner.comparisons() if not c.passed), None)
    except GradcheckError:  # backward is not reentrant
        if raise_exception:
            raise
        return False
    if failed is None:
        return True
    if not raise_exception:
        return False
    raise runner.error(failed)  # the message runs gradcheck_graph: only when it is wanted


def make_check(func, inputs: tuple, fast_mode: bool, outputs=None, **options) -> "_Check":
    """The full or fast check of ``func`` at ``inputs`` (a tuple); ``outputs`` = func(*inputs),
    computed here (recording the graph) unless given."""
    if outputs is None:
        outputs = func_outputs(func, inputs)
    return (_FastCheck if fast_mode else _FullCheck)(func, inputs, outputs, **options)


def func_outputs(func, inputs: tuple) -> tuple:
    """``func(*inputs)`` as a tuple of Tensors, with the graph recorded."""
    with enable_grad():
        return _as_outputs(func(*inputs))


def _as_outputs(result) -> tuple:
    if isinstance(result, Tensor):
        return (result,)
    if isinstance(result, (tuple, list)) and all(isinstance(r, Tensor) for r in result):
        return tuple(result)
    raise TypeError(f"gradcheck: func must return a Tensor or a tuple of Tensors, got "
                    f"{type(result).__name__}")


def _label(position: int, x: Tensor) -> str:
    name = f" '{x.name}'" if getattr(x, "name", None) else ""
    return f"input {position}{name} (shape {x.shape}, {x.dtype})"


def _index_text(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


class _Check:
    """What the full and fast checks share: evaluating ``func``, the backward runs (vector-
    Jacobian products), and turning a failed comparison into an error message."""

    mode = ""          # how error messages name the check
    projected = False  # comparisons are of projections v^T J u, not Jacobian entries

    def __init__(self, func, inputs, outputs, *, eps, atol, rtol, nondet_tol=0.0, seed=None):
        self.func, self.inputs, self.outputs = func, inputs, outputs
        self.checked = [i for i, x in enumerate(inputs)
                        if isinstance(x, Tensor) and x.requires_grad]
        self.tensors = [inputs[i] for i in self.checked]
        self.float_outputs = [k for k, o in enumerate(outputs) if o.dtype.kind == "f"]
        self.eps, self.atol, self.rtol, self.nondet_tol = eps, atol, rtol, nondet_tol
        self.seed = seed

    def evaluate(self) -> np.ndarray:
        """Every floating-point output of ``func`` at the current inputs, flattened, float64."""
        outputs = _as_outputs(self.func(*self.inputs))
        if [o.shape for o in outputs] != [o.shape for o in self.outputs]:
            raise RuntimeError("gradcheck: func returned outputs of other shapes when an input "
                               "was perturbed; it must return the same structure every time")
        return np.concatenate([outputs[k].data.astype(np.float64).ravel()
                               for k in self.float_outputs] or [np.zeros(0)])

    def evaluate_size(self) -> int:
        """How many values ``evaluate`` returns."""
        return sum(self.outputs[k].size for k in self.float_outputs)

    def split(self, flat: np.ndarray) -> dict:
        """Undo ``evaluate``'s flattening (along the last axis): output index -> its values."""
        pieces, start = {}, 0
        for k in self.float_outputs:
            n = self.outputs[k].size
            pieces[k] = flat[..., start:start + n]
            start += n
        return pieces

    def vjp(self, k: int, v: np.ndarray) -> list:
        """v^T J for output k and every checked input (zeros where no gradient flows); run
        twice to check that backward is deterministic."""
        output = self.outputs[k]
        if not output.requires_grad:
            return [np.zeros(x.shape) for x in self.tensors]
        runs = []
        for _ in range(2):
            grads = grad([output], self.tensors, grad_outputs=[np.asarray(v)],
                         retain_graph=True, allow_unused=True)
            runs.append([np.zeros(x.shape) if g is None else g.data.astype(np.float64)
                         for g, x in zip(grads, self.tensors)])
        for j, (first, second) in enumerate(zip(*runs)):
            gap = float(np.max(np.abs(first - second))) if first.size else 0.0
            if gap > self.nondet_tol:
                raise GradcheckError(
                    f"gradcheck: backward is not reentrant: two backward passes from output {k} "
                    f"gave gradients for {_label(self.checked[j], self.tensors[j])} that differ "
                    f"by {gap:.3g} > nondet_tol={self.nondet_tol:g}",
                    output_index=k, input_index=self.checked[j])
        return runs[0]

    def comparison(self, k, j, analytical, numerical, allowed, floor) -> Comparison:
        return Comparison(k, self.checked[j], analytical, numerical, allowed, floor,
                          self.outputs[k].shape, self.tensors[j].shape, self.projected)

    def error(self, c: Comparison) -> GradcheckError:
        """The message for a failed comparison: where, both values, and the op to blame."""
        out_el, in_el, a, n, allowed = c.worst()
        rel = relative_error(a, n)
        suspect, hint = self.blame(c.output_index)
        lines = [f"gradcheck{self.mode}: Jacobian mismatch for output {c.output_index} with "
                 f"respect to {_label(c.input_index, self.inputs[c.input_index])}."]
        lines += self.where(c, out_el, in_el, a, n, allowed, rel)
        lines.append(hint)
        return GradcheckError(
            "\n".join(lines), output_index=c.output_index, input_index=c.input_index,
            element=None if in_el is None else (out_el, in_el), analytical=a, numerical=n,
            relative_error=rel, suspect_op=suspect)

    def blame(self, k: int):
        """Run the per-node check on output k's graph: which op's backward is wrong?"""
        output = self.outputs[k]
        if output.grad_fn is None:
            return None, (f"  output {k} has no recorded graph (it does not require grad), yet "
                          "its numerical derivative is not zero: the function depends on the "
                          "input through a path backward cannot see (.data, numpy, detach).")
        from .graph import gradcheck_graph
        report = gradcheck_graph(output, eps=self.eps, atol=self.atol, rtol=self.rtol)
        first = report.first_failure
        if first is None:
            return None, ("  every recorded op passes its own local check (gradcheck_graph), "
                          "so the difference comes from outside the recorded graph (values "
                          "taken through .data or numpy, which backward cannot see) or from a "
                          "kink (relu at 0, max ties).")
        detail = first.note or f"max relative error {first.max_rel_error:.3g}"
        return first.op, (f"  the per-op check (gradcheck_graph) blames {first.op}: node "
                          f"#{first.position} of {len(report.rows)}, inputs "
                          f"{first.shapes_text()}, {detail}.")


class _FullCheck(_Check):
    """Every Jacobian entry: 2 evaluations per input element, 2 backwards per output element."""

    def comparisons(self) -> list:
        numerical = []  # per checked input: output index -> Jacobian (output size, input size)
        for j, x in enumerate(self.tensors):
            with perturbable(x, self.checked[j], "gradcheck", dtype=None) as (_, array):
                columns = central_differences(self.evaluate, array, self.eps)
            columns = columns.reshape(x.size, self.evaluate_size())
            numerical.append({k: piece.T for k, piece in self.split(columns).items()})
        result = []
        for k in self.float_outputs:
            output = self.outputs[k]
            rows = [np.zeros((output.size, x.size)) for x in self.tensors]
            for m in range(output.size):
                v = np.zeros(output.size)
                v[m] = 1.0
                for j, g in enumerate(self.vjp(k, v.reshape(output.shape))):
                    rows[j][m] = g.ravel()
            for j in range(len(self.tensors)):
                n = numerical[j][k]
                result.append(self.comparison(k, j, rows[j], n,
                                              self.atol + self.rtol * np.abs(n), self.atol))
        return result

    def where(self, c, out_el, in_el, a, n, allowed, rel) -> list:
        d_out = "d output" + (_index_text(out_el) if len(c.output_shape) else "")
        d_in = "d input" + (_index_text(in_el) if len(c.input_shape) else "")
        bad = int((c.excess() > 0).sum())
        return [f"  worst entry {d_out} / {d_in}: analytical {a:.6g}, numerical {n:.6g}, "
                f"relative error {rel:.3g}",
                f"  allowed |analytical - numerical| <= atol + rtol * |numerical| = "
                f"{allowed:.3g} there; {bad} of {c.excess().size} entries exceed their "
                "tolerance."]


class _FastCheck(_Check):
    """One random projection v^T J u per (input, output): 2 evaluations per input."""

    mode = " (fast_mode)"
    projected = True

    def comparisons(self) -> list:
        rng = generator_from(self.seed)
        us = [random_unit(x.shape, rng) for x in self.tensors]
        vs = {k: random_unit(self.outputs[k].shape, rng) for k in self.float_outputs}
        numerical = []  # per checked input: output index -> v^T (J u)
        for j, x in enumerate(self.tensors):
            with perturbable(x, self.checked[j], "gradcheck", dtype=None) as (_, array):
                ju = directional_difference(self.evaluate, array, us[j], self.eps)
            numerical.append({k: np.dot(vs[k].ravel(), piece)
                              for k, piece in self.split(ju).items()})
        result = []
        for k in self.float_outputs:
            for j, g in enumerate(self.vjp(k, vs[k])):
                analytical = np.dot(g.ravel(), us[j].ravel())
                n = numerical[j][k]
                floor = projected_atol(self.atol, us[j], vs[k])
                result.append(self.comparison(k, j, analytical, n,
                                              floor + self.rtol * np.abs(n), floor))
        return result

    def where(self, c, out_el, in_el, a, n, allowed, rel) -> list:
        return [f"  along random unit directions u (input) and v (output), v^T J u is "
                f"analytical {a:.6g}, numerical {n:.6g}, relative error {rel:.3g}",
                f"  allowed |analytical - numerical| <= atol * sum(u) * sum(v) + rtol * "
                f"|numerical| = {allowed:.3g}.",
                "  fast mode cannot say which element is wrong: fast_mode=False does (2 "
                "evaluations per input element); gradcheck_sparse samples a few."]
