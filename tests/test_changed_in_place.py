"""A value saved for backward and changed in place afterwards makes backward refuse, not lie."""
import gc
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import autograd
from minigrad.gradcheck import gradcheck

CHANGED = r"a value it saved for backward \(shape \(3,\), float32\) was changed in place"


def test_a_parameter_updated_between_forward_and_backward():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()
    with mg.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match="Mul: " + CHANGED):
        loss.backward()
    assert w.grad is None


def test_a_constant_input_changed_in_place():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = mg.tensor([4.0, 5.0, 6.0])
    loss = (w * x).sum()
    x.mul_(2)
    with pytest.raises(RuntimeError, match="Mul: " + CHANGED):
        loss.backward()


def test_setitem_zero_and_fill_count_as_changes():
    for change in (lambda x: x.__setitem__(0, 9.0), lambda x: x.zero_(),
                   lambda x: x.fill_(1.0), lambda x: x.copy_([1.0, 1.0, 1.0])):
        w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = mg.tensor([4.0, 5.0, 6.0])
        loss = (w * x).sum()
        change(x)
        with pytest.raises(RuntimeError, match=CHANGED):
            loss.backward()


def test_a_saved_output_changed_in_place():
    x = mg.tensor([0.1, 0.2, 0.3], requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="Exp: " + CHANGED):
        y.sum().backward()


def test_a_change_through_another_view_of_the_memory():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = mg.tensor([[4.0, 5.0, 6.0]])
    flat = x.reshape(3)
    assert np.shares_memory(flat.data, x.data)
    loss = (w * flat).sum()
    x.add_(1)
    with pytest.raises(RuntimeError, match="Mul: " + CHANGED):
        loss.backward()


def test_ops_that_saved_nothing_do_not_mind():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = mg.tensor([4.0, 5.0, 6.0])
    loss = (w + x).sum()  # Add saves nothing: d(w + x)/dw = 1 whatever x is
    x.mul_(2)
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0, 1.0])


def test_an_optimizer_step_between_two_backwards_of_one_graph():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    opt = mg.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="Mul: " + CHANGED):
        loss.backward()


def test_a_new_forward_after_the_change_is_fine_and_exact():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    opt = mg.optim.SGD([w], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        np.testing.assert_allclose(w.grad.data, 2 * w.data)
        opt.step()


def test_a_failed_in_place_op_changes_nothing_and_marks_nothing():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = mg.tensor([4.0, 5.0, 6.0])
    loss = (w * x).sum()
    with pytest.raises(mg.ShapeError):
        x.add_(np.ones(4))
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [4.0, 5.0, 6.0])


def test_the_notes_go_away_with_their_arrays():
    x = mg.tensor(np.ones(1000))
    for _ in range(50):
        x.add_(1)
    key, data = id(x.data), weakref.ref(x.data)
    # one note for the array however often it changed (other tests' notes may come and go)
    assert sum(ref() is x.data for ref, _ in list(autograd._changed.values())) == 1
    assert autograd._changed[key][0]() is x.data
    del x
    gc.collect()
    assert data() is None and key not in autograd._changed


def test_clone_is_a_recorded_copy():
    x = mg.tensor([1.0, -2.0, 0.5], requires_grad=True, dtype=mg.float64)
    c = x.clone()
    assert not np.shares_memory(c.data, x.data) and c.grad_fn is not None
    assert gradcheck(lambda t: t.clone() * t, (x,))
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = mg.tensor([4.0, 5.0, 6.0])
    loss = (w * x).sum()
    x.clone().mul_(2)  # changing a clone leaves the saved original alone
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [4.0, 5.0, 6.0])
    assert mg.tensor([True, False]).clone().tolist() == [True, False]


def test_loading_a_state_dict_or_reinitialising_counts_as_a_change():
    for change in (lambda m: m.load_state_dict({"weight": np.ones((2, 3)), "bias": np.ones(2)}),
                   lambda m: mg.nn.init.uniform_(m.weight)):
        model = mg.nn.Linear(3, 2)
        loss = (model(mg.ones((4, 3))) * model.weight.sum()).sum()
        change(model)
        with pytest.raises(RuntimeError, match="changed in place"):
            loss.backward()


def test_a_numpy_write_to_data_is_checked_once_marked():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()
    w.data[0] = 7.0  # bypasses the check, like .data in PyTorch ...
    autograd.mark_changed(w.data)  # ... unless it is noted
    with pytest.raises(RuntimeError, match="Mul: " + CHANGED):
        loss.backward()


def test_the_error_tells_where_the_op_was_made_under_detect_anomaly():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with mg.detect_anomaly():
        loss = (w * w).sum()
    with mg.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match=r"The Mul was created at .*test_changed_in_place.py"):
        loss.backward()
    loss = (w * w).sum()
    with mg.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match=r"under mg.detect_anomaly\(\) to see where"):
        loss.backward()
