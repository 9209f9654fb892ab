"""backward(trace=...): the printed chain-rule steps, checked against closed-form derivatives."""
import io
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad.trace import Tracer, summarize


def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def test_trace_true_prints_each_step_in_order_with_broadcast_undone(capsys):
    a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True, name="a")
    b = mg.tensor(0.5, requires_grad=True, name="b")
    (a * b).sum().backward(trace=True)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[1] SumBackward") and "df/dx_i = 1" in out[0]
    assert out[1].strip() == "upstream dL/dout = 1"
    assert out[3].startswith("[2] MulBackward") and "df/dx = y, df/dy = x" in out[3]
    assert out[4].strip() == "upstream dL/dout = [1, 1, 1]"
    line_a, line_b = out[5], out[6]
    # d(a*b)/da = b, d(a*b)/db = a: the local derivatives, then upstream * local
    assert line_a.strip().startswith("x 'a' (3,): local dout/dx = [0.5, 0.5, 0.5]")
    assert line_a.endswith("dL/dx = upstream * local = [0.5, 0.5, 0.5]")
    assert line_b.strip().startswith("y 'b' (): local dout/dy = [1, 2, 3]")
    # b was broadcast to (3,): its gradient is summed back over axis 0 to its own shape ()
    assert f"summed over broadcast axes (0,) to (): {1 + 2 + 3:g}" in line_b
    assert len(out) == 7


def test_trace_does_not_change_gradients(capsys):
    x = mg.tensor([[0.3, -1.2], [2.0, 0.1]], requires_grad=True, dtype=mg.float64)
    w = mg.tensor([0.5, -0.25], requires_grad=True, dtype=mg.float64)
    for trace in (False, True, Tracer(quiet=True)):
        x.grad = w.grad = None
        ((x * w).tanh() ** 2).mean().backward(trace=trace)
        t = np.tanh(x.data * w.data)
        dz = 2 * t * (1 - t ** 2) / 4   # d mean(tanh(xw)^2) / d(xw)
        np.testing.assert_allclose(x.grad.data, dz * w.data, rtol=1e-12)
        np.testing.assert_allclose(w.grad.data, (dz * x.data).sum(0), rtol=1e-12)
    capsys.readouterr()


def test_local_derivatives_of_elementwise_ops_match_closed_forms():
    x = mg.tensor([-0.7, 0.2, 1.5], requires_grad=True, dtype=mg.float64)
    tracer = Tracer(quiet=True)
    (x.exp() + x.tanh() + x.sigmoid()).sum().backward(trace=tracer)
    local = {s.op: s.inputs[0].local for s in tracer.steps if s.op in ("Exp", "Tanh", "Sigmoid")}
    v = x.data
    sig = 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(local["Exp"], np.exp(v), rtol=1e-12)
    np.testing.assert_allclose(local["Tanh"], 1 - np.tanh(v) ** 2, rtol=1e-12)
    np.testing.assert_allclose(local["Sigmoid"], sig * (1 - sig), rtol=1e-12)


def test_local_derivative_is_exact_where_upstream_is_zero():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=mg.float64)
    tracer = Tracer(quiet=True)
    (x * x).backward(gradient=np.array([0.0, 1.0]), trace=tracer)
    (step,) = tracer.steps
    np.testing.assert_array_equal(step.inputs[0].local, x.data)  # d(xy)/dx = y, here y = x
    np.testing.assert_array_equal(step.inputs[0].grad, [0.0, 2.0])


def test_matmul_step_has_no_local_but_the_vector_jacobian_product():
    rng = np.random.default_rng(0)
    A = mg.tensor(rng.normal(size=(3, 2)), requires_grad=True, name="A")
    B = mg.tensor(rng.normal(size=(2, 4)), requires_grad=True, name="B")
    tracer = Tracer(quiet=True)
    (A @ B).sum().backward(trace=tracer)
    step = tracer.steps[1]
    assert step.op == "MatMul" and all(inp.local is None for inp in step.inputs)
    G = np.ones((3, 4))
    np.testing.assert_allclose(step.inputs[0].final, G @ B.data.T, rtol=1e-12)
    np.testing.assert_allclose(step.inputs[1].final, A.data.T @ G, rtol=1e-12)
    assert "dL/db = mean=" in tracer.lines[1] and "local" not in tracer.lines[1]


def test_tracer_numbers_steps_and_marks_fan_out():
    a = mg.tensor([1.0, -2.0], requires_grad=True, name="a")
    sink = io.StringIO()
    tracer = Tracer(file=sink)
    (a * a + a).sum().backward(trace=tracer)
    text = sink.getvalue()
    assert text.strip() == tracer.text()
    assert [s.op for s in tracer.steps] == ["Sum", "Add", "Mul"]
    assert re.findall(r"^\[(\d)\]", text, flags=re.M) == ["1", "2", "3"]
    assert "2nd gradient into this tensor" in tracer.lines[2]
    assert "3rd gradient into this tensor" in tracer.lines[2]
    assert "gradient into this tensor" not in tracer.lines[1]
    # the contributions the trace shows add up to what backward stored: 2a + 1
    contributions = [inp.final for s in tracer.steps for inp in s.inputs if inp.key is a]
    assert len(contributions) == 3
    np.testing.assert_allclose(sum(contributions), 2 * a.data + 1)
    np.testing.assert_allclose(a.grad.data, 2 * a.data + 1)


def test_trace_with_create_graph(capsys):
    x = mg.tensor(3.0, requires_grad=True, dtype=mg.float64)
    (gx,) = mg.grad(x ** 3, x, create_graph=True)
    gx.backward(trace=True)
    out = capsys.readouterr().out
    assert "PowBackward" in out
    assert x.grad.item() == pytest.approx(6 * 3.0)   # d(3x^2)/dx


def test_intermediate_inputs_name_the_op_that_made_them(capsys):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x.exp() * 2.0).sum().backward(trace=True)
    out = capsys.readouterr().out
    assert "x (2,) from Exp:" in out


def test_summarize():
    assert summarize(None) == "-"
    assert summarize(np.float32(2.5)) == "2.5"
    assert summarize(np.array([[1.0, 2.0]])) == "[[1, 2]]"
    assert summarize(np.array([True, False])) == "[ True, False]"
    big = np.arange(10.0) - 7
    assert summarize(big) == f"mean={big.mean():.4g} |max|={7:.4g}"
    assert summarize(np.zeros((0, 3))) == "<empty (0, 3)>"
    assert numbers(summarize(mg.tensor(1 / 3)))[0] == pytest.approx(1 / 3, rel=1e-3)


def test_outputs_shown_in_docs_backprop_are_what_the_code_prints():
    """docs/backprop.md shows real output: each ```text block after a ```python block."""
    import importlib.util
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "docs" / "img" / "make_backprop_figures.py"
    spec = importlib.util.spec_from_file_location("make_backprop_figures", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.DOC.read_text()
    outputs, namespace = module.run_blocks(text)
    pairs = module.output_pairs(text, outputs)
    assert len(pairs) >= 8
    for shown, actual, _, _ in pairs:
        assert shown == actual
    assert namespace["w"].grad is not None and namespace["report"].failing_nodes


def test_a_second_backward_through_a_retained_node_is_not_called_added():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    h = x.exp()
    with mg.trace_backward(quiet=True) as tracer:
        (h * 2).sum().backward(retain_graph=True)
        first = len(tracer.steps)
        (h * 3).sum().backward()
    second = tracer.lines[first:]
    into_h = next(line for line in second if line.startswith(f"[{first + 2}] Mul"))
    exp_step = tracer.steps[first + 2]
    assert exp_step.op == "Exp"
    # the Exp node's upstream in the second pass is only that pass's gradient: nothing was added
    np.testing.assert_allclose(exp_step.upstream, 3.0)
    assert "gradient into this tensor" not in into_h
    # x's .grad does accumulate across the two passes, and the trace says so
    assert "2nd gradient into this tensor" in tracer.lines[-1]
