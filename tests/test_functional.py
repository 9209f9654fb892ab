"""nn.functional: values against plain-numpy references, gradients against central finite
differences in float64 (and closed-form Hessians for double backward), input validation, and
(when torch is installed) values and gradients against torch."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.errors import ShapeError
from test_ops import finite_difference

N, C = 6, 4


@pytest.fixture
def batch(rng):
    scores = rng.standard_normal((N, C))
    target = rng.integers(0, C, N)
    return scores, target


def _reference_cross_entropy(scores, target):
    """-log(e^{s_y} / sum_j e^{s_j}) per row, written directly (fine for moderate scores)."""
    return np.array([-math.log(math.exp(row[y]) / sum(math.exp(v) for v in row))
                     for row, y in zip(scores, target)])


def _reference_hinge(scores, target, margin):
    """sum over j != y of max(0, s_j - s_y + margin), per row, with explicit loops."""
    return np.array([sum(max(0.0, row[j] - row[y] + margin) for j in range(len(row)) if j != y)
                     for row, y in zip(scores, target)])


def _away_from_hinge_kinks(scores, target, margin, gap=1e-3):
    """True if no margin s_j - s_y + margin (j != y) lies within ``gap`` of 0."""
    m = scores - scores[np.arange(len(target)), target][:, None] + margin
    m[np.arange(len(target)), target] = 1.0
    return np.all(np.abs(m) > gap)


def _assert_gradients_match(fn, arrays, rng):
    """Backward of ``fn`` (Tensors -> Tensor) against central differences, for every input;
    returns the input Tensors (holding the analytic gradients)."""
    tensors = [mg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*tensors)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    numeric = finite_difference(lambda *vs: fn(*[mg.Tensor(v) for v in vs]).data, arrays,
                                upstream)
    for t, expected in zip(tensors, numeric):
        np.testing.assert_allclose(t.grad.data, expected, rtol=1e-6, atol=1e-9)
    return tensors


def _reduce(per_sample, reduction):
    return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]


REDUCTIONS = ["mean", "sum", "none"]


# --------------------------------------------------------------------------- cross_entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_value_matches_reference(batch, reduction):
    scores, target = batch
    out = F.cross_entropy(mg.Tensor(scores), target, reduction=reduction)
    expected = _reduce(_reference_cross_entropy(scores, target), reduction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert out.shape == np.shape(expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradient_matches_finite_differences(batch, rng, reduction):
    scores, target = batch
    _assert_gradients_match(lambda s: F.cross_entropy(s, target, reduction=reduction),
                            [scores], rng)


def test_cross_entropy_is_stable_for_huge_logits(batch):
    scores, target = batch
    shifted = F.cross_entropy(mg.Tensor(scores + 1e4), target, reduction="none")
    plain = F.cross_entropy(mg.Tensor(scores), target, reduction="none")
    assert np.all(np.isfinite(shifted.data))
    np.testing.assert_allclose(shifted.data, plain.data, rtol=1e-9, atol=1e-9)
    x = mg.Tensor(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 1]), reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)
    np.testing.assert_allclose(x.grad.data, [[1, -1], [0, 0]], atol=1e-12)


@pytest.mark.parametrize("classes", [2, 10, 100])
def test_cross_entropy_at_tiny_weights_is_ln_c(rng, classes):
    X = rng.standard_normal((64, 20))
    W = mg.Tensor(1e-6 * rng.standard_normal((20, classes)))
    loss = F.cross_entropy(mg.Tensor(X) @ W, rng.integers(0, classes, 64))
    assert loss.item() == pytest.approx(math.log(classes), abs=1e-4)
    assert F.cross_entropy(mg.zeros(3, classes), np.zeros(3, dtype=int)).item() == \
        pytest.approx(math.log(classes), rel=1e-6)


def test_cross_entropy_double_backward_matches_closed_form_hessian(batch, rng):
    """H of the mean loss per row is (diag(p) - p p^T) / N, so H v = p * (v - p.v) / N."""
    scores, target = batch
    x = mg.Tensor(scores.copy(), requires_grad=True)
    (g,) = mg.grad(F.cross_entropy(x, target), x, create_graph=True)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    onehot = np.eye(C)[target]
    np.testing.assert_allclose(g.data, (p - onehot) / N, rtol=1e-10, atol=1e-12)
    v = rng.standard_normal(scores.shape)
    (hv,) = mg.grad((g * mg.Tensor(v)).sum(), x)
    expected = p * (v - (p * v).sum(axis=1, keepdims=True)) / N
    np.testing.assert_allclose(hv.data, expected, rtol=1e-10, atol=1e-12)


def test_cross_entropy_backward_twice_with_retained_graph(batch):
    scores, target = batch
    x = mg.Tensor(scores.copy(), requires_grad=True)
    loss = F.cross_entropy(x, target)
    loss.backward(retain_graph=True)
    first = x.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first, rtol=1e-12)
    np.testing.assert_array_equal(x.data, scores)  # the input was never written to


# --------------------------------------------------------------------------- hinge


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_value_matches_reference(batch, reduction, margin):
    scores, target = batch
    out = F.multiclass_hinge_loss(mg.Tensor(scores), target, margin=margin, reduction=reduction)
    expected = _reduce(_reference_hinge(scores, target, margin), reduction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_gradient_matches_finite_differences(rng, reduction):
    scores, target = 2 * rng.standard_normal((N, C)), rng.integers(0, C, N)
    assert _away_from_hinge_kinks(scores, target, 1.0)
    (x,) = _assert_gradients_match(
        lambda s: F.multiclass_hinge_loss(s, target, reduction=reduction), [scores], rng)
    assert np.count_nonzero(x.grad.data) > N  # some margins are active


def test_hinge_kink_gets_zero_gradient():
    # s_1 - s_0 + 1 == 0 exactly: the margin sits on the kink, its subgradient is 0
    x = mg.Tensor(np.array([[2.0, 1.0, 5.0]]), requires_grad=True)
    loss = F.multiclass_hinge_loss(x, np.array([0]))
    loss.backward()
    assert loss.item() == 4.0
    np.testing.assert_array_equal(x.grad.data, [[-1.0, 0.0, 1.0]])


@pytest.mark.parametrize("classes", [2, 10, 100])
def test_hinge_at_tiny_weights_is_about_c_minus_one(rng, classes):
    X = rng.standard_normal((64, 20))
    W = mg.Tensor(1e-6 * rng.standard_normal((20, classes)))
    loss = F.multiclass_hinge_loss(mg.Tensor(X) @ W, rng.integers(0, classes, 64))
    assert loss.item() == pytest.approx(classes - 1, abs=1e-3)
    assert F.multiclass_hinge_loss(mg.zeros(3, classes), np.zeros(3, dtype=int),
                                   margin=2.0).item() == 2.0 * (classes - 1)


def test_hinge_double_backward_matches_closed_form(rng):
    """Through s = x * x: dL/dx = 2 x D with D the 0/1/-count matrix / N, so
    d/dx (dL/dx . v) = 2 v D."""
    x0 = rng.uniform(0.5, 2.0, (N, C))
    target = rng.integers(0, C, N)
    assert _away_from_hinge_kinks(x0 * x0, target, 1.0)
    x = mg.Tensor(x0.copy(), requires_grad=True)
    (g,) = mg.grad(F.multiclass_hinge_loss(x * x, target), x, create_graph=True)
    s = x0 * x0
    active = (s - s[np.arange(N), target][:, None] + 1.0 > 0).astype(float)
    active[np.arange(N), target] = 0
    D = active.copy()
    D[np.arange(N), target] = -active.sum(axis=1)
    D /= N
    np.testing.assert_allclose(g.data, 2 * x0 * D, rtol=1e-12)
    v = rng.standard_normal((N, C))
    (hv,) = mg.grad((g * mg.Tensor(v)).sum(), x)
    np.testing.assert_allclose(hv.data, 2 * v * D, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- fused losses


@pytest.mark.parametrize("loss_fn,name", [(F.cross_entropy, "CrossEntropy"),
                                          (F.multiclass_hinge_loss, "MulticlassHinge")])
def test_fused_loss_is_one_node_and_keeps_float32(batch, loss_fn, name):
    scores, target = batch
    x = mg.Tensor(scores.astype(np.float32), requires_grad=True)
    for reduction in REDUCTIONS:
        out = loss_fn(x, target.astype(np.int32), reduction=reduction)
        assert out.grad_fn.name() == name and out.grad_fn.inputs[0] is x
        assert out.dtype == np.float32
        out.backward(np.ones(out.shape, dtype=np.float32))
        assert x.grad.dtype == np.float32
        x.grad = None


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, F.multiclass_hinge_loss])
def test_fused_loss_accepts_int_tensor_and_unsigned_targets(batch, loss_fn):
    scores, target = batch
    expected = loss_fn(mg.Tensor(scores), target).item()
    assert loss_fn(mg.Tensor(scores), mg.Tensor(target)).item() == expected
    assert loss_fn(mg.Tensor(scores), target.astype(np.uint8)).item() == expected
    assert loss_fn(scores, target.tolist()).item() == expected  # arrays and lists work too


@pytest.mark.parametrize("loss_fn,fn_name", [(F.cross_entropy, "cross_entropy"),
                                             (F.multiclass_hinge_loss, "multiclass_hinge_loss")])
@pytest.mark.parametrize("scores_shape,target,error,words", [
    ((6, 4), np.zeros(6), TypeError, ["integer", "float64"]),
    ((6, 4), np.zeros(6, dtype=bool), TypeError, ["integer", "bool"]),
    ((6, 4), np.zeros(5, dtype=int), ShapeError, ["(6,)", "(5,)", "(6, 4)"]),
    ((6, 4), np.zeros((6, 1), dtype=int), ShapeError, ["(6, 1)"]),
    ((6, 4), np.array([0, 1, 2, 3, 4, 0]), ValueError, ["[0, 4)", "4"]),
    ((6, 4), np.array([0, 1, -1, 3, 0, 0]), ValueError, ["[0, 4)", "-1"]),
    ((4,), np.zeros(4, dtype=int), ShapeError, ["2-d", "(4,)"]),
    ((2, 3, 4), np.zeros(2, dtype=int), ShapeError, ["2-d", "(2, 3, 4)"]),
    ((0, 4), np.zeros(0, dtype=int), ValueError, ["empty"]),
])
def test_classification_losses_reject_bad_inputs(loss_fn, fn_name, scores_shape, target, error,
                                                 words):
    with pytest.raises(error) as info:
        loss_fn(mg.zeros(*scores_shape, requires_grad=True), target)
    assert fn_name in str(info.value)
    for w in words:
        assert w in str(info.value)


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, F.multiclass_hinge_loss, F.mse_loss])
def test_losses_reject_unknown_reduction_and_integer_scores(loss_fn):
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'.*'avg'"):
        loss_fn(mg.zeros(2, 3), np.zeros(2, dtype=int), reduction="avg")
    if loss_fn is not F.mse_loss:
        with pytest.raises(TypeError, match="floating point.*int64"):
            loss_fn(mg.Tensor(np.zeros((2, 3), dtype=np.int64)), np.zeros(2, dtype=int))


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, F.multiclass_hinge_loss])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_fused_loss_gradient_uses_the_target_of_its_forward(batch, loss_fn, as_tensor):
    """A target buffer refilled between forward and backward (a reused batch array, or a class
    Tensor changed with t[...] = v) must not change the gradient of the loss already computed."""
    scores, target = batch
    expected = mg.Tensor(scores, requires_grad=True)
    loss_fn(expected, target.copy()).backward()
    x = mg.Tensor(scores, requires_grad=True)
    buffer = target.copy()
    held = mg.Tensor(buffer) if as_tensor else buffer
    loss = loss_fn(x, held)
    if as_tensor:
        held[...] = (target + 1) % C
    else:
        buffer[:] = (target + 1) % C
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, expected.grad.data)


@pytest.mark.parametrize("margin", [float("nan"), float("inf"), "1", None, True])
def test_hinge_rejects_bad_margin(margin):
    with pytest.raises(ValueError, match="margin must be a finite real number"):
        F.multiclass_hinge_loss(mg.zeros(2, 3), np.zeros(2, dtype=int), margin=margin)


# --------------------------------------------------------------------------- mse, linear, ...


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_value_and_gradients(rng, reduction):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out = F.mse_loss(mg.Tensor(a), mg.Tensor(b), reduction=reduction)
    np.testing.assert_allclose(out.data, _reduce((a - b) ** 2, reduction), rtol=1e-12)
    x, t = _assert_gradients_match(lambda p, q: F.mse_loss(p, q, reduction=reduction), [a, b],
                                   rng)
    np.testing.assert_allclose(t.grad.data, -x.grad.data, rtol=1e-12)


def test_mse_loss_refuses_to_broadcast():
    with pytest.raises(ShapeError, match=r"mse_loss: input has shape \(3, 1\).*\(3,\)"):
        F.mse_loss(mg.zeros(3, 1), mg.zeros(3))


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_value_and_gradients(rng, x_shape, with_bias):
    a, w, b = rng.standard_normal(x_shape), rng.standard_normal((2, 3)), rng.standard_normal(2)
    arrays = [a, w, b] if with_bias else [a, w]
    out = F.linear(*[mg.Tensor(v) for v in arrays])
    np.testing.assert_allclose(out.data, a @ w.T + (b if with_bias else 0), rtol=1e-12)
    assert out.shape == x_shape[:-1] + (2,)
    _assert_gradients_match(F.linear, arrays, rng)


@pytest.mark.parametrize("x_shape,w_shape,b_shape,words", [
    ((5, 4), (2, 3), None, ["(5, 4)", "(2, 3)", "in_features=3"]),
    ((), (2, 3), None, ["in_features=3"]),
    ((5, 3), (3,), None, ["2-d", "(3,)"]),
    ((5, 3), (2, 3), (3,), ["bias", "(2,)", "(3,)"]),
])
def test_linear_rejects_mismatched_shapes(x_shape, w_shape, b_shape, words):
    bias = None if b_shape is None else mg.zeros(*b_shape)
    with pytest.raises(ShapeError, match="linear") as info:
        F.linear(mg.zeros(*x_shape), mg.zeros(*w_shape), bias)
    for w in words:
        assert w in str(info.value)


@pytest.mark.parametrize("fn,reference", [
    (lambda x: F.relu(x), lambda a: np.maximum(a, 0)),
    (lambda x: F.softmax(x, axis=0), lambda a: np.exp(a) / np.exp(a).sum(0)),
    (lambda x: F.softmax(x, dim=1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    (lambda x: F.log_softmax(x), lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True))),
    (lambda x: F.log_softmax(x, axis=0), lambda a: a - np.log(np.exp(a).sum(0))),
])
def test_activation_functions_value_and_gradient(rng, fn, reference):
    a = rng.standard_normal((3, 4))
    a[np.abs(a) < 0.1] = 0.5  # keep relu away from its kink
    np.testing.assert_allclose(fn(mg.Tensor(a)).data, reference(a), rtol=1e-12)
    np.testing.assert_allclose(fn(a).data, reference(a), rtol=1e-12)  # plain arrays are accepted
    _assert_gradients_match(fn, [a], rng)


# --------------------------------------------------------------------------- against torch


def _torch_pair(array):
    torch = pytest.importorskip("torch")
    return (mg.Tensor(array.copy(), requires_grad=True),
            torch.tensor(array.copy(), requires_grad=True))


def _assert_same_value_and_grad(ours, theirs, x, tx, upstream):
    import torch
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(batch, rng, reduction):
    scores, target = batch
    x, tx = _torch_pair(3 * scores)
    import torch
    ours = F.cross_entropy(x, target, reduction=reduction)
    theirs = torch.nn.functional.cross_entropy(tx, torch.tensor(target), reduction=reduction)
    _assert_same_value_and_grad(ours, theirs, x, tx, rng.standard_normal(ours.shape))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_matches_torch_multi_margin_loss_times_c(rng, reduction):
    """torch's multi_margin_loss divides each sample's sum by C; ours (CS231n) does not."""
    scores, target = 2 * rng.standard_normal((N, C)), rng.integers(0, C, N)
    x, tx = _torch_pair(scores)
    import torch
    ours = F.multiclass_hinge_loss(x, target, margin=0.7, reduction=reduction)
    theirs = C * torch.nn.functional.multi_margin_loss(tx, torch.tensor(target), margin=0.7,
                                                       reduction=reduction)
    _assert_same_value_and_grad(ours, theirs, x, tx, rng.standard_normal(ours.shape))


def test_log_softmax_linear_and_mse_match_torch(rng):
    torch = pytest.importorskip("torch")
    a, w, b, t = (rng.standard_normal(s) for s in [(5, 3), (4, 3), (4,), (5, 4)])
    x, tx = _torch_pair(a)
    W, tW = _torch_pair(w)
    B, tB = _torch_pair(b)
    tf = torch.nn.functional
    ours = F.mse_loss(F.log_softmax(F.linear(x, W, B), dim=1), mg.Tensor(t))
    theirs = tf.mse_loss(tf.log_softmax(tf.linear(tx, tW, tB), dim=1), torch.tensor(t))
    _assert_same_value_and_grad(ours, theirs, x, tx, np.array(1.0))
    for mine, ref in [(W, tW), (B, tB)]:
        np.testing.assert_allclose(mine.grad.data, ref.grad.numpy(), rtol=1e-12, atol=1e-14)
