"""``gradcheck_graph``: check every op of a recorded graph on its own, and name the wrong one.

``gradcheck`` says that d loss / d W is wrong; in a graph of twenty ops it cannot say which op's
backward is to blame. ``gradcheck_graph(output)`` walks the graph that produced ``output``
(before a backward frees it) and checks each node locally: it re-runs that one op on float64
copies of the inputs the node recorded (its constants, index arrays, axes and masks as they
were) and applies ``gradcheck`` to it, i.e. the op's own backward against finite differences of
the op's own forward. A wrong custom ``Function`` among correct built-ins is named exactly.

A node whose inputs and output have at most ``max_full`` elements gets the full Jacobian check;
a bigger one a random projection (``fast_mode``). Only inputs that require grad are checked;
non-differentiable ones (index arrays, axes, bool masks, constants) are held fixed.

False alarms come from kinks, as in any finite-difference check: a ``relu`` whose input is
within eps of 0, ``max``/``maximum`` with ties, ``abs``/``clip`` at their corners. The CS231n
reading of the relative error |a - n| / (|a| + |n|): below 1e-7 good, above 1e-2 wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from ._table import format_number, format_table
from .check import func_outputs, make_check
from .numeric import check_eps, check_tolerance

__all__ = ["gradcheck_graph", "GraphCheckReport", "NodeCheck"]


@dataclass
class NodeCheck:
    """One row of the report: an op of the graph and how its backward fared."""

    position: int            # the node's place in forward order (inputs first)
    op: str                  # the op's name: "MatMul", "Sum", "Cube" ...
    input_shapes: tuple      # the shapes of its Tensor inputs
    mode: str                # "full" (every Jacobian entry) or "fast" (a random projection)
    max_rel_error: float     # CS231n relative error, worst entry (values below atol ignored)
    passed: bool
    note: str = ""           # why it failed, when it is not a plain mismatch
    node: object = field(default=None, repr=False, compare=False)  # the Function node

    def shapes_text(self) -> str:
        return ", ".join(str(s) for s in self.input_shapes) or "-"

    def as_dict(self) -> dict:
        return {"position": self.position, "op": self.op, "input_shapes": self.input_shapes,
                "mode": self.mode, "max_rel_error": self.max_rel_error,
                "passed": self.passed, "note": self.note}


@dataclass
class GraphCheckReport:
    """Every node's local check, in forward order. Prints as a table.

    ``passed``: every node passed; ``first_failure``: the first failing row (or None);
    ``failing_nodes``: the Function nodes that failed (what ``viz.draw_graph`` colours).
    """

    rows: list
    eps: float
    atol: float
    rtol: float

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def first_failure(self):
        return next((row for row in self.rows if not row.passed), None)

    @property
    def failing_nodes(self) -> list:
        return [row.node for row in self.rows if not row.passed]

    def as_dicts(self) -> list:
        return [row.as_dict() for row in self.rows]

    def __str__(self) -> str:
        failing = [row for row in self.rows if not row.passed]
        nodes = f"{len(self.rows)} node" + ("" if len(self.rows) == 1 else "s")
        head = (f"gradcheck_graph: {nodes}, "
                + ("all pass" if not failing else
                   f"{len(failing)} failing; first failure: #{failing[0].position} "
                   f"{failing[0].op}")
                + f" (eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})")
        table = format_table(
            ["#", "op", "inputs", "check", "max rel. error", "result"],
            [[row.position, row.op, row.shapes_text(), row.mode,
              format_number(row.max_rel_error, 2), "ok" if row.passed else "FAILED"]
             for row in self.rows])
        notes = [f"  #{row.position} {row.op}: {row.note}" for row in self.rows if row.note]
        return "\n".join([head, table] + notes)


def gradcheck_graph(output, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                    max_full: int = 512, seed=0) -> GraphCheckReport:
    """Check each node of ``output``'s recorded graph locally; see the module docstring.

    Call it before ``output.backward()`` (or after ``backward(retain_graph=True)``): backward
    frees what the nodes recorded. ``eps``/``atol``/``rtol`` are gradcheck's; ``seed`` draws
    the projections of the nodes checked in fast mode (fixed by default, so a report is
    reproducible and the package's random stream untouched; None uses that stream).
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck_graph: output must be a Tensor, got {type(output).__name__}")
    eps = check_eps(eps, "gradcheck_graph")
    atol = check_tolerance(atol, "atol", "gradcheck_graph")
    rtol = check_tolerance(rtol, "rtol", "gradcheck_graph")
    if isinstance(max_full, (bool, np.bool_)) or not isinstance(max_full, (int, np.integer)) \
            or max_full < 0:
        raise ValueError(f"gradcheck_graph: max_full must be an integer >= 0, got {max_full!r}")
    if output.grad_fn is None:
        raise ValueError("gradcheck_graph: output has no recorded graph (it is a leaf, or was "
                         "computed under no_grad() or from tensors that do not require grad)")
    order = forward_order(output.grad_fn)
    for node in order:
        if node.inputs is None:
            raise RuntimeError(
                f"gradcheck_graph: the graph was freed by a backward pass ({node.name()} no "
                "longer holds its inputs); call gradcheck_graph before backward(), or pass "
                "retain_graph=True to backward()")
    rows = [_check_node(node, position, eps, atol, rtol, max_full, seed)
            for position, node in enumerate(order)]
    return GraphCheckReport(rows, eps, atol, rtol)


def forward_order(root) -> list:
    """The nodes that ``root`` depends on, each after every node that feeds it (inputs first).

    An iterative depth-first walk, so a graph a million nodes deep needs no recursion."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for a in node.inputs or ():
            parent = a.grad_fn if isinstance(a, Tensor) else None
            if parent is not None and parent not in visited:
                stack.append((parent, False))
    return order


def _check_node(node, position, eps, atol, rtol, max_full, seed) -> NodeCheck:
    """Re-run one op on float64 copies of its recorded inputs and gradcheck it alone."""
    cls = type(node)
    kwargs = dict(getattr(node, "kwargs", None) or {})
    shapes = tuple(tuple(a.shape) for a in node.inputs if isinstance(a, Tensor))
    row = NodeCheck(position, node.name(), shapes, "full", 0.0, True, node=node)
    args = tuple(_float64_copy(a) for a in node.inputs)

    def run_op(*inputs):
        return cls.apply(*inputs, **kwargs)

    try:
        outputs = func_outputs(run_op, args)
        sizes = [a.size for a in args if isinstance(a, Tensor) and a.requires_grad]
        fast = max(sizes + [o.size for o in outputs]) > max_full
        row.mode = "fast" if fast else "full"
        check = make_check(run_op, args, fast, outputs=outputs, eps=eps, atol=atol, rtol=rtol,
                           seed=seed)
        comparisons = check.comparisons()
    except Exception as exc:  # an op whose forward or backward raises is a failing op
        row.passed, row.max_rel_error = False, float("nan")
        row.note = f"{type(exc).__name__}: {exc}"
        return row
    errors = [c.max_relative_error() for c in comparisons]
    row.max_rel_error = float(np.max(errors)) if errors else 0.0
    row.passed = all(c.passed for c in comparisons)
    low = [str(o.dtype) for o in outputs if o.dtype.kind == "f" and o.dtype != np.float64]
    if low and not row.passed:
        row.note = (f"the op returns {', '.join(low)} even from float64 inputs: finite "
                    "differences at that precision are mostly rounding noise")
    return row


def _float64_copy(a):
    """A recorded input, ready to re-run the op in float64: float Tensors and arrays become
    float64 copies (Tensors keep requires_grad), a float dtype argument (Cast's target) becomes
    float64; everything else (index arrays, axes, masks, numbers) stays as recorded."""
    if isinstance(a, Tensor):
        data = a.data.astype(np.float64) if a.dtype.kind == "f" else a.data.copy()
        return Tensor(data, requires_grad=a.requires_grad)
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return a.astype(np.float64)
    if isinstance(a, np.floating):
        return np.float64(a)
    if isinstance(a, (np.dtype, type)):
        try:
            if np.dtype(a).kind == "f":
                return np.dtype(np.float64)
        except TypeError:
            pass
    return a
