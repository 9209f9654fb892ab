"""Draw the graph a tensor was computed by, with Graphviz.

``draw_graph(loss)`` walks back from ``loss.grad_fn`` through each node's ``inputs`` and returns a
``graphviz.Digraph``: Jupyter shows it inline, ``.render(outfile="g.svg")`` writes a picture, and
``.save("g.dot")`` / ``.source`` give the DOT text without needing Graphviz's ``dot`` program.

What the picture shows:

* each Tensor as a box: its name, shape, dtype, a summary of its data and of its grad;
  blue = a leaf that requires grad (what backward computes gradients for), grey dashed = a leaf
  that does not, green with a thick border = the output, white = an intermediate result;
* each op as a yellow ellipse (red when ``failing=`` names it), with its non-tensor arguments
  (``axis=1``); plain numbers and arrays that enter an op are small grey constants;
* a tensor used by several ops (fan-out: backward adds up its gradients) has an orange border
  and says how many times it is used;
* edges into a many-input op are labelled with forward's parameter name (``x``, ``y``), so the
  order of ``a - b`` or ``A @ B`` is visible.

A node does not hold its output: every tensor drawn is the root or some node's input. After a
``backward()`` without ``retain_graph=True`` the nodes' inputs are freed; the picture then shows
what is left and says so.
"""
from __future__ import annotations

import contextlib
import functools
import html
from collections import deque

import numpy as np

from ..tensor import Tensor
from ..trace import input_names, is_elementwise, summarize

__all__ = ["draw_graph", "GraphvizNotFoundError", "INSTALL_DOT"]

INSTALL_DOT = ("Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install "
               "graphviz` (macOS), `conda install -c conda-forge graphviz`, or see "
               "https://graphviz.org/download/")

COLORS = {
    "output": "#b7e4c7",     # green
    "param": "#a9d6f5",      # blue: a leaf that requires grad
    "leaf": "#eeeeee",       # grey: a leaf that does not require grad
    "inner": "#ffffff",      # an intermediate result
    "op": "#fff3b0",         # yellow
    "failing": "#ff6b6b",    # red
    "fanout": "#e8590c",     # orange border
    "const": "#f4f4f4",
}


class GraphvizNotFoundError(RuntimeError):
    """Rendering needs Graphviz's ``dot`` program and it is not on PATH."""


def _graphviz():
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError("drawing graphs needs the graphviz Python package: "
                          "pip install 'minigrad[graph]'") from exc
    return graphviz


@contextlib.contextmanager
def _dot_missing_hint(what_still_works: str):
    """Turn graphviz's ExecutableNotFound into an error that says how to install ``dot``."""
    graphviz = _graphviz()
    try:
        yield
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizNotFoundError(
            f"rendering the graph needs Graphviz's `dot` program, which was not found on PATH "
            f"({exc}). {INSTALL_DOT}. {what_still_works}.") from exc


@functools.lru_cache(maxsize=None)
def _graph_class():
    """A ``graphviz.Digraph`` whose render/pipe say how to install ``dot`` when it is missing."""
    graphviz = _graphviz()

    class MinigradGraph(graphviz.Digraph):
        """The Digraph ``draw_graph`` returns; ``notes`` lists what the picture leaves out."""

        notes: list = []

        def render(self, *args, **kwargs):
            with _dot_missing_hint(f"The DOT source was still written to {self.filepath!r}"):
                return super().render(*args, **kwargs)

        def pipe(self, *args, **kwargs):
            with _dot_missing_hint("`.source` and `.save('graph.dot')` still work without it"):
                return super().pipe(*args, **kwargs)

    return MinigradGraph


# --------------------------------------------------------------------------- walking the graph


class _Walk:
    """Everything reachable from the root: nodes in breadth-first order from the root, the
    tensors they take, and how often each tensor is used (fan-out)."""

    def __init__(self, root: Tensor):
        self.nodes = []          # Function nodes, nearest the root first
        self.tensors = {}        # id -> Tensor, in discovery order
        self.uses = {}           # id(tensor) -> number of input slots it fills
        self.freed = []          # nodes whose inputs were freed by a backward
        self.tensors[id(root)] = root
        if root.grad_fn is None:
            return
        seen = {root.grad_fn}
        queue = deque([root.grad_fn])
        while queue:
            node = queue.popleft()
            self.nodes.append(node)
            if node.inputs is None:
                self.freed.append(node)
                continue
            for a in node.inputs:
                if not isinstance(a, Tensor):
                    continue
                self.tensors.setdefault(id(a), a)
                self.uses[id(a)] = self.uses.get(id(a), 0) + 1
                parent = a.grad_fn
                if parent is not None and parent not in seen:
                    seen.add(parent)
                    queue.append(parent)


def _failing_nodes(failing) -> list:
    """Accept a gradcheck_graph report (``.failing_nodes``), one node, or a list of nodes."""
    if failing is None:
        return []
    if hasattr(failing, "failing_nodes"):
        failing = failing.failing_nodes
    from ..autograd import Function
    if isinstance(failing, Function):
        return [failing]
    if isinstance(failing, (list, tuple, set, frozenset)):
        bad = [f for f in failing if not isinstance(f, Function)]
        if bad:
            raise TypeError(f"draw_graph: failing= must hold graph nodes (Function objects, "
                            f"e.g. tensor.grad_fn), got {type(bad[0]).__name__}")
        return list(failing)
    raise TypeError(f"draw_graph: failing= takes a gradcheck_graph report, a node (tensor.grad_fn) "
                    f"or a list of nodes, got {type(failing).__name__}")


# --------------------------------------------------------------------------- labels


def _is_constant(value, elementwise: bool) -> bool:
    """Is a non-Tensor argument data (drawn as a constant box) or a setting of the op (shown in
    its label)? Float arrays are always data; numbers and other arrays are data only for
    elementwise ops (``x * 2``, ``where(mask, ...)``), settings elsewhere (``axis=0``, an index)."""
    if isinstance(value, np.ndarray):
        return elementwise or value.dtype.kind in "fc"
    if isinstance(value, (bool, np.bool_)):
        return False
    return elementwise and isinstance(value, (int, float, np.number))


def _short(value, limit: int = 24) -> str:
    text = repr(value) if not isinstance(value, np.dtype) else str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _html(rows, bold_first=True) -> str:
    """An HTML-like Graphviz label: one table row per line of text, the first in bold."""
    cells = []
    for i, row in enumerate(rows):
        text = html.escape(row)
        if i == 0 and bold_first:
            text = f"<b>{text}</b>"
        cells.append(f"<tr><td>{text}</td></tr>")
    return '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">' + \
        "".join(cells) + "</table>>"


def _role(t: Tensor, root: Tensor) -> str:
    if t is root:
        return "output"
    if t.grad_fn is not None:
        return "inner"
    return "param" if t.requires_grad else "leaf"


def _tensor_label(t, title, uses, show_data, show_grad) -> str:
    """Title (if any), shape and dtype, data summary, grad (leaves that require grad, and any
    tensor holding one), fan-out count."""
    rows = [title] if title else []
    rows.append(f"{tuple(t.shape)} {t.dtype}")
    if show_data:
        rows.append(f"data {summarize(t, max_items=4)}")
    if show_grad and (t.grad is not None or t.requires_grad and t.grad_fn is None):
        rows.append(f"grad {summarize(t.grad, max_items=4)}" if t.grad is not None
                    else "grad none")
    if uses > 1:
        rows.append(f"used {uses}x: grads add up")
    return _html(rows, bold_first=bool(title))


def _tensor_title(t, role, names) -> str:
    name = names.get(id(t)) or t.name
    word = {"output": "output", "param": "leaf, requires grad", "leaf": "leaf, no grad",
            "inner": ""}[role]
    if name:
        return f"{name} ({word})" if word else name
    return word


def _op_params(node, names) -> list[str]:
    params = []
    elementwise = is_elementwise(node)
    for name, value in zip(names, node.inputs or ()):
        if not isinstance(value, Tensor) and not _is_constant(value, elementwise) and \
                value is not None and value is not False:
            params.append(f"{name}={_short(value)}")
    for key, value in getattr(node, "kwargs", {}).items():
        params.append(f"{key}={_short(value)}")
    return params


# --------------------------------------------------------------------------- drawing


def draw_graph(root: Tensor, show_data: bool = True, show_grad: bool = True, rankdir: str = "LR",
               failing=None, max_nodes: int = 150, params: dict | None = None,
               legend: bool = False):
    """Draw the graph that computed ``root``; returns a ``graphviz.Digraph``.

    ``failing``: a ``gradcheck_graph`` report, a node or a list of nodes, drawn in red.
    ``max_nodes``: at most this many op nodes (those nearest the root); a note counts the rest.
    ``params``: names for tensors, e.g. ``dict(model.named_parameters())`` (else ``t.name``).
    ``legend``: add a small key to the colours.
    The graph's ``notes`` attribute lists what the picture leaves out (also shown at the bottom).
    """
    _graphviz()  # a clear ImportError first, if the package is missing
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: root must be a Tensor, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be one of 'LR', 'RL', 'TB', 'BT', got "
                         f"{rankdir!r}")
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    names = {}
    for name, t in (params or {}).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] must be a Tensor, got "
                            f"{type(t).__name__}")
        names[id(t)] = name
    failing_nodes = _failing_nodes(failing)

    walk = _Walk(root)
    all_nodes = set(walk.nodes)
    missing = [n for n in failing_nodes if n not in all_nodes]
    if missing:
        raise ValueError(f"draw_graph: failing node {missing[0]!r} is not in the graph of root")
    drawn = walk.nodes[:max_nodes]
    hidden = walk.nodes[max_nodes:]
    drawn_set = set(drawn)

    graph = _graph_class()(
        "minigrad", graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"})
    notes = []
    tensor_ids = {}  # id(tensor) -> DOT node name
    op_ids = {node: f"op{i}" for i, node in enumerate(drawn)}

    def tensor_node(t):
        if id(t) in tensor_ids:
            return tensor_ids[id(t)]
        tensor_ids[id(t)] = name = f"t{len(tensor_ids)}"
        role = _role(t, root)
        uses = walk.uses.get(id(t), 0)
        attrs = {"shape": "box", "style": "filled,rounded", "fillcolor": COLORS[role]}
        if role == "leaf":
            attrs["style"] = "filled,rounded,dashed"
        if role == "output":
            attrs["penwidth"] = "2.5"
        if uses > 1:
            attrs.update(color=COLORS["fanout"], penwidth="2")
        graph.node(name, _tensor_label(t, _tensor_title(t, role, names), uses, show_data,
                                       show_grad), **attrs)
        return name

    tensor_node(root)
    failing_set = set(failing_nodes)
    for node in drawn:
        _draw_op(graph, node, op_ids[node], node in failing_set, tensor_node)
    # every tensor drawn that an op made gets an edge from that op (or from the truncation note)
    for key, name in list(tensor_ids.items()):
        producer = walk.tensors[key].grad_fn
        if producer is None:
            continue
        if producer in op_ids:
            graph.edge(op_ids[producer], name)
        else:
            graph.edge("truncated", name, style="dashed")

    if hidden:
        text = (f"{len(hidden)} more ops not drawn (max_nodes={max_nodes}); "
                f"{len(walk.nodes)} in all")
        hidden_failing = [n for n in failing_nodes if n not in drawn_set]
        if hidden_failing:
            text += f", including failing {', '.join(n.name() for n in hidden_failing)}"
        graph.node("truncated", text, shape="note", style="filled", fillcolor="#ffe8cc")
        notes.append(text)
    if walk.freed:
        notes.append(
            f"the inputs of {len(walk.freed)} op(s) were freed by backward(), so the graph "
            "beyond them is unknown: draw before backward() or pass retain_graph=True")
    if legend:
        _add_legend(graph)
    if notes:
        graph.attr(label="\n".join(notes), labelloc="b", labeljust="l")
    graph.notes = notes
    return graph


def _draw_op(graph, node, op_id, failed, tensor_node) -> None:
    """One op: its ellipse, and an edge from each tensor or constant it takes."""
    arg_names = input_names(node, len(node.inputs) if node.inputs is not None else 0)
    rows = [node.name()] + _op_params(node, arg_names)
    attrs = {"shape": "ellipse", "style": "filled", "fillcolor": COLORS["op"]}
    if failed:
        rows.append("gradcheck failed")
        attrs.update(fillcolor=COLORS["failing"], penwidth="2")
    graph.node(op_id, _html(rows), **attrs)
    if node.inputs is None:
        freed = f"{op_id}_freed"
        graph.node(freed, "inputs freed by backward()", shape="note", style="dashed",
                   fontcolor="#666666")
        graph.edge(freed, op_id, style="dashed")
        return
    elementwise = is_elementwise(node)
    graph_inputs = [(n, a) for n, a in zip(arg_names, node.inputs)
                    if isinstance(a, Tensor) or _is_constant(a, elementwise)]
    labelled = len(graph_inputs) > 1
    for i, (arg, value) in enumerate(graph_inputs):
        if isinstance(value, Tensor):
            src = tensor_node(value)
        else:
            src = f"{op_id}_c{i}"
            graph.node(src, html.escape(summarize(value, max_items=4)), shape="box",
                       style="filled,dashed", fillcolor=COLORS["const"], fontsize="9")
        graph.edge(src, op_id, **({"label": arg} if labelled else {}))


def _add_legend(graph) -> None:
    """A key to the colours: one small table node."""
    entries = [("leaf, requires grad", COLORS["param"]), ("leaf, no grad", COLORS["leaf"]),
               ("intermediate", COLORS["inner"]), ("output", COLORS["output"]),
               ("op", COLORS["op"]), ("failing op", COLORS["failing"])]
    cells = "".join(f'<td bgcolor="{color}" border="1">{html.escape(text)}</td>'
                    for text, color in entries)
    cells += f'<td color="{COLORS["fanout"]}" border="2">fan-out: grads add up</td>'
    graph.node("legend", f'<<table border="0" cellspacing="4" cellpadding="3"><tr>{cells}'
                         '</tr></table>>', shape="plaintext")
