"""UfuncFunction: ops that are one numpy ufunc, recorded without a Python forward call."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import gradcheck, gradcheck_graph


class Sin(mg.UfuncFunction):
    """f = sin x, df/dx = cos x."""

    ufunc, saves = np.sin, "inputs"

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)


class Hypot(mg.UfuncFunction):
    """f = sqrt(x^2 + y^2), df/dx = x / f, df/dy = y / f."""

    ufunc, saves = np.hypot, "inputs"

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        f = np.hypot(x, y)
        nx, ny = ctx.needs_input_grad
        return (g * x / f if nx else None), (g * y / f if ny else None)


def test_custom_unary_ufunc_gradient_matches_finite_differences():
    x = mg.tensor(np.linspace(-3, 3, 7), requires_grad=True, dtype=mg.float64)
    assert gradcheck(Sin.apply, (x,))
    Sin.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.cos(x.data), rtol=1e-12)


def test_custom_binary_ufunc_broadcasts_and_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.uniform(0.5, 2, (3, 1)), requires_grad=True, dtype=mg.float64)
    y = mg.tensor(rng.uniform(0.5, 2, (4,)), requires_grad=True, dtype=mg.float64)
    assert gradcheck(Hypot.apply, (x, y))
    out = Hypot.apply(x, y)
    assert out.shape == (3, 4)
    out.sum().backward()
    assert x.grad.shape == (3, 1) and y.grad.shape == (4,)


def test_only_the_inputs_that_require_grad_get_gradients():
    x = mg.tensor([3.0], requires_grad=True)
    y = mg.tensor([4.0])
    out = Hypot.apply(x, y)
    assert out.grad_fn.needs_input_grad == (True, False)
    out.backward(mg.ones(1))
    assert x.grad.item() == pytest.approx(0.6) and y.grad is None


def test_no_node_is_made_when_nothing_is_recorded():
    x = mg.tensor([1.0, 2.0])
    assert Sin.apply(x).grad_fn is None and not Sin.apply(x).requires_grad
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        y = w * 2 + w.tanh()
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_allclose(y.data, w.data * 2 + np.tanh(w.data))


def test_numbers_and_arrays_mix_with_tensors_and_keep_float32():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    for out in (2 * w, w * 2.0, 1 - w, w / np.array([2.0, 4.0], np.float32)):
        assert out.dtype == np.float32 and out.requires_grad


def test_saved_values_are_the_inputs_or_the_output():
    x = mg.tensor([0.5, -1.0], requires_grad=True)
    y = mg.tensor([2.0, 3.0])
    mul, t, add = (x * y).grad_fn, x.tanh(), (x + y).grad_fn
    assert mul.saved_tensors[0] is x.data and mul.saved_tensors[1] is y.data
    assert t.grad_fn.saved_tensors[0] is t.data
    assert add.saved_tensors == ()


def test_a_node_re_runs_through_its_forward():
    x = mg.tensor([0.3, 0.9], requires_grad=True, dtype=mg.float64)
    y = mg.tensor([2.0, 3.0], requires_grad=True, dtype=mg.float64)
    for out in (x * y, x.exp(), Sin.apply(x), Hypot.apply(x, y)):
        node = out.grad_fn
        ctx = object.__new__(type(node))
        raw = [a.data for a in node.inputs]
        np.testing.assert_array_equal(type(node).forward(ctx, *raw), out.data)
    report = gradcheck_graph(Hypot.apply(Sin.apply(x) * y, x.exp()).sum())
    assert report.passed, str(report)


def test_shape_errors_name_the_op_and_the_shapes():
    a = mg.ones((2, 3), requires_grad=True)
    with pytest.raises(mg.ShapeError, match=r"Hypot: inputs \(2, 3\) float32, \(4,\) float32 "
                                            r"do not broadcast"):
        Hypot.apply(a, mg.ones(4))
    with pytest.raises(mg.ShapeError, match=r"Mul: inputs \(2, 3\) float32, \(2,\) float32"):
        a * mg.ones(2)


def test_non_numeric_inputs_are_refused_with_the_op_name():
    with pytest.raises(TypeError, match=r"Add: .*\(inputs: \(2,\) float32, str 'a'\)"):
        mg.ones(2) + "a"


def test_zero_d_results_are_arrays():
    x = mg.tensor(2.0, requires_grad=True)
    out = x * x
    assert type(out.data) is np.ndarray and out.shape == ()
    out.backward()
    assert x.grad.item() == 4.0


def test_a_misdeclared_ufunc_op_is_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match=r"Cos.saves must be 'inputs', 'output' or '', got 'input'"):
        class Cos(mg.UfuncFunction):
            ufunc, saves = np.cos, "input"
    with pytest.raises(TypeError, match=r"Sq.ufunc must be a numpy ufunc .* got function"):
        class Sq(mg.UfuncFunction):
            ufunc = staticmethod(lambda x: x * x)


def test_a_wrong_number_of_inputs_is_refused_and_writes_nothing():
    x, y = mg.tensor([0.5, 1.0]), mg.tensor([7.0, 7.0])
    with pytest.raises(TypeError, match=r"Sin takes 1 input\(s\), got 2"):
        Sin.apply(x, y)  # np.sin(x, y) would write sin(x) into y (its `out`)
    assert y.tolist() == [7.0, 7.0]
    with pytest.raises(TypeError, match=r"Hypot takes 2 input\(s\), got 3"):
        Hypot.apply(x, y, y)
    with pytest.raises(TypeError, match=r"Hypot: .*inputs: \(2,\) float32"):
        Hypot.apply(x)
