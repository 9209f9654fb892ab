"""``mg.detect_anomaly()``: a NaN or inf made in the forward or the backward raises at once.

The error names the op that produced the bad value and the line of user code (this file) that
created it. Outside the context nothing is checked, and the context restores the previous mode
on the way out, also when an exception leaves it and when contexts are nested.
"""
import inspect
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.errors import AnomalyError

# numpy warns when it makes the NaNs and infs these tests are about
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def next_line() -> int:
    """The line number of the statement after the caller's current one."""
    return inspect.currentframe().f_back.f_lineno + 1


def created_here(line: int) -> str:
    """A regex for 'this file:line', as anomaly messages give the place an op was created."""
    return re.escape(f"{__file__}:{line}") + r"\b"


class NanGradient(mg.Function):
    """f(x) = x (finite), with a broken backward that returns NaN."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g * np.nan


def f64(*values, requires_grad=True):
    return mg.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("op_name, make_bad_value", [
    ("Log", lambda x: x.log()),                       # log(-1) = nan
    ("Log", lambda x: mg.log(x)),
    ("Log", lambda x: np.log(x)),                     # a numpy ufunc on a Tensor
    ("Sqrt", lambda x: x.sqrt()),                     # sqrt(-1) = nan
    ("Div", lambda x: x / (x + 1)),                   # -1 / 0 = -inf
    ("Pow", lambda x: x ** 0.5),                      # (-1)^0.5 = nan
    ("Exp", lambda x: (x * -1000.0).exp()),           # e^1000 = inf
    ("Mul", lambda x: x * 1e308 * 10.0),              # overflow to -inf
])
def test_a_non_finite_forward_value_names_the_op_and_the_line(op_name, make_bad_value):
    x = f64(-1.0, 2.0)
    with mg.detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            make_bad_value(x)
    message = str(info.value)
    assert re.search(rf"\b{op_name}\b.*forward", message), message
    # the innermost line outside minigrad that made the op: the lambda's, in this file
    assert re.search(created_here(make_bad_value.__code__.co_firstlineno), message), message


def test_forward_values_without_gradients_are_checked_too():
    """Inference under anomaly mode: the check does not depend on recording a graph."""
    x = f64(-1.0, requires_grad=False)
    with mg.detect_anomaly(), mg.no_grad(), pytest.raises(AnomalyError, match="Log") as info:
        line = next_line()
        x.log()
    assert re.search(created_here(line), str(info.value))


def test_the_line_is_the_users_even_when_the_op_runs_inside_the_library():
    """cross_entropy runs its fused op inside minigrad.nn; the line reported is the caller's."""
    logits = mg.tensor(np.array([[np.inf, 0.0], [0.0, 1.0]]), requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(AnomalyError, match="CrossEntropy") as info:
        line = next_line()
        F.cross_entropy(logits, np.array([0, 1]))
    assert re.search(created_here(line), str(info.value))
    assert "minigrad/nn" not in str(info.value)


def test_a_nan_in_the_data_is_caught_by_the_first_op_that_reads_it():
    x = f64(1.0, np.nan)
    with mg.detect_anomaly(), pytest.raises(AnomalyError, match="Add") as info:
        line = next_line()
        x + 1.0
    assert re.search(created_here(line), str(info.value))


def test_the_error_comes_at_once_before_any_later_op_runs():
    x = f64(-1.0, 2.0)
    reached = []
    with mg.detect_anomaly(), pytest.raises(AnomalyError):
        y = x.log()
        reached.append(y)  # not reached: the NaN never becomes a result
    assert reached == []


# --------------------------------------------------------------------------- backward


def test_sqrt_at_zero_has_a_finite_forward_and_an_infinite_gradient():
    """d sqrt(x)/dx = 1 / (2 sqrt(x)) is inf at 0: only the backward can catch it."""
    x = f64(0.0, 4.0)
    with mg.detect_anomaly():
        line = next_line()
        y = x.sqrt()
        np.testing.assert_array_equal(y.data, [0.0, 2.0])  # the forward passed the check
        loss = y.sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert re.search(r"\bSqrt\.backward\b.*non-finite gradient", message), message
    assert re.search(created_here(line), message), message
    assert x.grad is None  # the inf never reached the leaf


def test_a_custom_backward_returning_nan_is_named():
    x = f64(1.0, 2.0)
    with mg.detect_anomaly():
        line = next_line()
        y = NanGradient.apply(x * 3.0)
        with pytest.raises(AnomalyError) as info:
            (y * 2.0).sum().backward()
    message = str(info.value)
    assert re.search(r"\bNanGradient\.backward\b", message), message
    assert re.search(created_here(line), message), message
    assert x.grad is None


def test_a_failing_backward_leaves_earlier_gradients_untouched():
    """Parameters are not poisoned: a gradient accumulated before stays bit for bit."""
    w = f64(0.5, 4.0)
    (w * w).sum().backward()
    earlier = w.grad.data.copy()
    with mg.detect_anomaly(), pytest.raises(AnomalyError, match="Sqrt"):
        (w - 0.5).sqrt().sum().backward()
    assert w.grad.data.tobytes() == earlier.tobytes()


def test_a_graph_recorded_outside_is_checked_by_a_backward_inside():
    x = f64(0.0)
    y = x.sqrt().sum()
    with mg.detect_anomaly(), pytest.raises(AnomalyError, match=r"Sqrt\.backward"):
        y.backward()


def test_a_second_order_gradient_is_checked():
    """With create_graph=True the gradient is a recorded Tensor; it is checked like any other."""
    x = f64(0.0, 1.0)
    with mg.detect_anomaly():
        y = (x * x * x).sum()
        (g,) = mg.grad(y, x, create_graph=True)  # 3x^2: finite
        np.testing.assert_array_equal(g.data, [0.0, 3.0])
        with pytest.raises(AnomalyError, match="Sqrt"):
            mg.grad(g.sqrt().sum(), x)  # sqrt(3x^2) is finite; its gradient at 0 is not


# --------------------------------------------------------------------------- outside the context


def test_outside_the_context_nan_flows_forward_and_backward():
    x = f64(-1.0, 0.0, 4.0)
    assert not mg.is_anomaly_enabled()
    y = x.log()
    assert np.isnan(y.data[0]) and np.isneginf(y.data[1])
    root = f64(0.0, 4.0)
    root.sqrt().sum().backward()
    assert np.isposinf(root.grad.data[0])  # 1 / (2 sqrt(0)), silently


def test_a_graph_recorded_inside_is_not_checked_by_a_backward_outside():
    x = f64(0.0)
    with mg.detect_anomaly():
        y = x.sqrt().sum()
    y.backward()
    assert np.isposinf(x.grad.data[0])


def test_check_nan_false_turns_the_checks_off():
    x = f64(-1.0)
    with mg.detect_anomaly(check_nan=False):
        assert not mg.is_anomaly_enabled()
        assert np.isnan(x.log().data[0])


# --------------------------------------------------------------------------- the mode itself


def test_the_context_turns_the_mode_on_and_restores_it():
    assert not mg.is_anomaly_enabled()
    with mg.detect_anomaly() as context:
        assert mg.is_anomaly_enabled()
        assert isinstance(context, mg.detect_anomaly)
    assert not mg.is_anomaly_enabled()


@pytest.mark.parametrize("error", [AnomalyError, ValueError, KeyboardInterrupt])
def test_the_mode_is_restored_when_an_exception_leaves_the_context(error):
    with pytest.raises(error):
        with mg.detect_anomaly():
            if error is AnomalyError:
                f64(-1.0).log()
            raise error("raised inside")
    assert not mg.is_anomaly_enabled()
    assert np.isnan(f64(-1.0).log().data[0])  # and no check is left running


def test_nested_contexts_restore_each_previous_mode():
    with mg.detect_anomaly():
        with mg.detect_anomaly():
            assert mg.is_anomaly_enabled()
        assert mg.is_anomaly_enabled()  # the inner exit keeps the outer one on
        with mg.detect_anomaly(check_nan=False):
            assert not mg.is_anomaly_enabled()
            assert np.isnan(f64(-1.0).log().data[0])
        assert mg.is_anomaly_enabled()
        with pytest.raises(AnomalyError):
            f64(-1.0).log()
        with pytest.raises(AnomalyError):
            with mg.detect_anomaly(check_nan=False):
                with mg.detect_anomaly():
                    f64(-1.0).log()
        assert mg.is_anomaly_enabled()
    assert not mg.is_anomaly_enabled()


def test_one_context_object_entered_twice_restores_the_mode():
    context = mg.detect_anomaly()
    try:
        with context:
            with context:
                pass
        assert not mg.is_anomaly_enabled()
    finally:
        mg.autograd._anomaly_mode.set(False)  # do not leak the mode into other tests


def test_anomaly_mode_does_not_change_finite_results():
    x = f64(0.5, 2.0)
    expected = ((x.log() * x).tanh().sum())
    expected.backward()
    plain_grad = x.grad.data.copy()
    x.grad = None
    with mg.detect_anomaly():
        y = (x.log() * x).tanh().sum()
        y.backward()
    assert y.item() == expected.item()
    assert x.grad.data.tobytes() == plain_grad.tobytes()
