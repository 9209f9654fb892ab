"""draw_graph: the DOT source of known graphs (nodes, labels, edges, colours), notes for freed
and capped graphs, failing nodes, and real rendering to SVG/PNG with Graphviz's dot."""
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import minigrad as mg

pytest.importorskip("graphviz")
from minigrad.viz import draw_graph  # noqa: E402
from minigrad.viz.graph import COLORS, GraphvizNotFoundError  # noqa: E402

NODE = re.compile(r"^\t(\w+) \[label=(<.*>|\"[^\"]*\"|\S+)(.*)\]$")
EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$")
GRAD_ROW = re.compile(r"grad (none|\[|-?\d)")
OP = re.compile(r"^op\d+$")


def parse_dot(source):
    """nodes: name -> (label text without HTML tags, attribute text); edges: (src, dst, attrs)."""
    nodes, edges = {}, []
    for line in source.splitlines():
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = NODE.match(line)
        if m:
            text = re.sub(r"<[^>]*>", " ", m.group(2)).strip("<>\" ")
            nodes[m.group(1)] = (" ".join(text.split()), m.group(3))
    return nodes, edges


def find(nodes, words):
    """The one node whose label contains every word."""
    hits = [n for n, (text, _) in nodes.items() if all(w in text for w in words)]
    assert len(hits) == 1, (words, hits, nodes)
    return hits[0]


def fill(nodes, name):
    return re.search(r'fillcolor="([^"]+)"', nodes[name][1]).group(1)


@pytest.fixture
def small():
    """loss = sum(a * b + x): a (3,) and b () require grad, x does not."""
    a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True, name="a")
    b = mg.tensor(2.0, requires_grad=True, name="b")
    x = mg.tensor([0.5, 0.0, -1.0], name="x")
    loss = (a * b + x).sum()
    return a, b, x, loss


def test_small_graph_nodes_labels_and_edges(small):
    a, b, x, loss = small
    nodes, edges = parse_dot(draw_graph(loss).source)
    ops = {n: text for n, (text, _) in nodes.items() if OP.match(n)}
    assert sorted(ops.values()) == ["Add", "Mul", "Sum"]
    tensors = [n for n in nodes if n.startswith("t")]
    assert len(tensors) == 6  # a, b, x, a*b, a*b+x, loss

    ta = find(nodes, ["a (leaf, requires grad)", "(3,) float32", "data [1, 2, 3]", "grad none"])
    tb = find(nodes, ["b (leaf, requires grad)", "() float32", "data 2"])
    tx = find(nodes, ["x (leaf, no grad)", "data [0.5, 0, -1]"])
    assert not GRAD_ROW.search(nodes[tx][0])  # a leaf without grad has no grad row
    expected_total = float(np.sum(np.array([1, 2, 3]) * 2 + np.array([0.5, 0, -1])))
    tout = find(nodes, ["output", f"data {expected_total:g}"])
    tab = find(nodes, ["data [2, 4, 6]"])
    tsum_in = find(nodes, ["data [2.5, 4, 5]"])
    mul, add, total = (next(n for n, t in ops.items() if t == op) for op in ("Mul", "Add", "Sum"))

    pairs = {(s, d) for s, d, _ in edges}
    assert pairs == {(ta, mul), (tb, mul), (mul, tab), (tab, add), (tx, add), (add, tsum_in),
                     (tsum_in, total), (total, tout)}
    labels = {(s, d): attrs for s, d, attrs in edges}
    assert "label=x" in labels[(ta, mul)] and "label=y" in labels[(tb, mul)]
    assert "label" not in labels[(tsum_in, total)]  # a one-input op needs no edge labels

    assert fill(nodes, ta) == fill(nodes, tb) == COLORS["param"]
    assert fill(nodes, tx) == COLORS["leaf"] and "dashed" in nodes[tx][1]
    assert fill(nodes, tout) == COLORS["output"] and "penwidth=2.5" in nodes[tout][1]
    assert fill(nodes, tab) == COLORS["inner"]
    assert all(fill(nodes, n) == COLORS["op"] for n in ops)


def test_grad_shown_after_backward_with_retained_graph(small):
    a, b, x, loss = small
    loss.backward(retain_graph=True)
    nodes, _ = parse_dot(draw_graph(loss).source)
    # d sum(a*b + x)/da = b (broadcast), d/db = sum(a): closed forms
    find(nodes, ["a (leaf", "grad [2, 2, 2]"])
    find(nodes, ["b (leaf", f"grad {np.sum([1.0, 2.0, 3.0]):g}"])
    hidden, _ = parse_dot(draw_graph(loss, show_data=False, show_grad=False).source)
    assert not any("data" in t or GRAD_ROW.search(t) for t, _ in hidden.values())


def test_fan_out_is_marked():
    a = mg.tensor([1.0, -1.0], requires_grad=True, name="a")
    y = (a * a + a).sum()
    nodes, edges = parse_dot(draw_graph(y).source)
    ta = find(nodes, ["a (leaf"])
    assert "used 3x: grads add up" in nodes[ta][0]
    assert f'color="{COLORS["fanout"]}"' in nodes[ta][1]
    assert sum(1 for s, _, _ in edges if s == ta) == 3
    other = [n for n, (t, _) in nodes.items() if n.startswith("t") and n != ta]
    assert not any("used" in nodes[n][0] for n in other)


def test_constants_and_op_settings():
    a = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (a * 3.0).sum(axis=0).reshape(1, 2).mean()
    nodes, edges = parse_dot(draw_graph(y).source)
    const = [n for n in nodes if "_c" in n]
    assert len(const) == 1 and nodes[const[0]][0] == "3"
    mul = find(nodes, ["Mul"])
    assert (const[0], mul, "label=y") in edges
    assert nodes[find(nodes, ["Sum"])][0] == "Sum axis=0"   # settings in the label, not boxes
    assert nodes[find(nodes, ["Reshape"])][0] == "Reshape shape=(1, 2)"
    find(nodes, ["leaf, requires grad", "(2, 2) float32", "data [[1, 2], [3, 4]]"])


def test_large_tensors_are_summarised():
    data = np.arange(12.0).reshape(3, 4)
    t = mg.tensor(data, requires_grad=True, name="w")
    nodes, _ = parse_dot(draw_graph((t * t).sum()).source)
    find(nodes, ["w (leaf", f"mean={data.mean():.4g}", f"|max|={np.abs(data).max():.4g}"])


def test_names_from_params_dict_and_leaf_root():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    nodes, _ = parse_dot(draw_graph((w * w).sum(), params={"layer.weight": w}).source)
    find(nodes, ["layer.weight (leaf, requires grad)"])
    leaf_nodes, leaf_edges = parse_dot(draw_graph(w).source)
    assert list(leaf_nodes) == ["t0"] and leaf_edges == []
    assert "output" in leaf_nodes["t0"][0]


def test_freed_graph_is_drawn_as_far_as_known(small):
    a, b, x, loss = small
    loss.backward()
    graph = draw_graph(loss)
    nodes, edges = parse_dot(graph.source)
    assert {t for t, _ in nodes.values()} >= {"Sum", "inputs freed by backward()"}
    assert not any("leaf" in t for t, _ in nodes.values())
    assert len(graph.notes) == 1 and "retain_graph=True" in graph.notes[0]
    assert "retain_graph=True" in graph.source  # the note is in the picture too


@pytest.mark.parametrize("form", ["node", "list", "report"])
def test_failing_nodes_are_coloured(small, form):
    a, b, x, loss = small
    mul = loss.grad_fn.inputs[0].grad_fn.inputs[0].grad_fn
    assert mul.name() == "Mul"
    failing = {"node": mul, "list": [mul],
               "report": types.SimpleNamespace(failing_nodes=[mul])}[form]
    nodes, _ = parse_dot(draw_graph(loss, failing=failing).source)
    bad = find(nodes, ["Mul"])
    assert fill(nodes, bad) == COLORS["failing"] and "gradcheck failed" in nodes[bad][0]
    assert fill(nodes, find(nodes, ["Add"])) == COLORS["op"]


class HalfExp(mg.Function):
    """f(x) = e^x, but its backward is off by a factor 2 (e^x / 2): a bug to catch."""

    @staticmethod
    def forward(ctx, x):
        ctx.out = np.exp(x)
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return 0.5 * g * ctx.out


def test_gradcheck_graph_report_colours_exactly_the_wrong_op():
    from minigrad.gradcheck import gradcheck_graph
    u = mg.tensor([0.3, -0.8, 1.1], requires_grad=True, dtype=mg.float64, name="u")
    v = (HalfExp.apply(u * u) * 3.0).sum()
    report = gradcheck_graph(v)
    nodes, _ = parse_dot(draw_graph(v, failing=report).source)
    red = [n for n in nodes if OP.match(n) and fill(nodes, n) == COLORS["failing"]]
    assert [nodes[n][0] for n in red] == ["HalfExp gradcheck failed"]
    assert sum(1 for n in nodes if OP.match(n)) == 4   # Mul, HalfExp, Mul, Sum


def test_bad_arguments_are_refused(small):
    a, b, x, loss = small
    other = (a * 2.0).grad_fn
    with pytest.raises(ValueError, match="not in the graph"):
        draw_graph(loss, failing=other)
    with pytest.raises(TypeError, match="failing="):
        draw_graph(loss, failing="Mul")
    with pytest.raises(TypeError, match="root must be a Tensor"):
        draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(loss, rankdir="XY")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(loss, max_nodes=0)


def test_large_graph_is_capped_with_a_note():
    x = mg.tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(50):
        y = y * 1.01
    graph = draw_graph(y, max_nodes=10, rankdir="TB")
    nodes, edges = parse_dot(graph.source)
    assert sum(1 for n in nodes if OP.match(n)) == 10
    assert "40 more ops not drawn (max_nodes=10); 50 in all" in nodes["truncated"][0]
    assert graph.notes == [nodes["truncated"][0]]
    assert sum(1 for s, _, _ in edges if s == "truncated") == 1
    assert "rankdir=TB" in graph.source


def test_import_minigrad_does_not_import_graphviz_or_matplotlib():
    code = ("import sys, minigrad, minigrad.viz; "
            "print(sorted(m for m in ('graphviz', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_graphviz_package_says_how_to_install(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"pip install 'minigrad\[graph\]'"):
        draw_graph(small[3])


def test_missing_dot_program_still_writes_source(small, tmp_path, monkeypatch):
    graph = draw_graph(small[3])
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError) as info:
        graph.render(outfile=str(tmp_path / "g.svg"))
    message = str(info.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        graph.pipe(format="svg")
    graph.save(str(tmp_path / "g.dot"))
    assert (tmp_path / "g.dot").read_text() == graph.source


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program not installed")
def test_rendering_svg_and_png(small, tmp_path):
    graph = draw_graph(small[3], legend=True)
    svg = tmp_path / "graph.svg"
    png = tmp_path / "graph.png"
    graph.render(outfile=str(svg))
    graph.render(outfile=str(png))
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and text.rstrip().endswith("</svg>")
    assert "Mul" in text and "a (leaf, requires grad)" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png.read_bytes()) > 1000
