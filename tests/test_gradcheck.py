"""minigrad.gradcheck: numeric gradients against closed forms, gradcheck against known-wrong
backwards, gradcheck_graph locating the wrong op, numerical_backward as a training backend."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import (GradcheckError, GradcheckWarning, gradcheck, gradcheck_graph,
                                gradcheck_sparse, numerical_backward, numerical_grad,
                                relative_error)
from op_specs import OP_SPECS


def leaf(array, requires_grad=True, dtype=np.float64):
    return mg.tensor(np.asarray(array, dtype=dtype), requires_grad=requires_grad)


class Cube(mg.Function):
    """f(x) = x^3, f'(x) = slope * x^2: correct with slope 3."""

    slope = 3

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        return cls.slope * x * x * g


class BadCube(Cube):
    """x^3 with a wrong derivative: 2 x^2 instead of 3 x^2."""

    slope = 2


# --------------------------------------------------------------------------- every op passes

# Ops and argument forms the shared spec table (tests/op_specs.py) does not cover.
EXTRA_OPS = {
    "unsqueeze_squeeze": (lambda a: a.unsqueeze(1).squeeze(), [(3, 4)]),
    "swapaxes": (lambda a: a.swapaxes(0, 2), [(2, 3, 4)]),
    "clip_lower_only": (lambda a: a.clip(min=0.05), [(3, 4)]),
    "getitem_ellipsis_newaxis": (lambda a: a[..., None, 1:3], [(2, 3, 4)]),
    "getitem_negative_int": (lambda a: a[-1], [(3, 4)]),
    "getitem_repeated_2d_index": (lambda a: a[np.array([[0, 0], [2, 0]])], [(3, 4)]),
    "sum_negative_axis": (lambda a: a.sum(axis=-2), [(2, 3, 4)]),
    "mean_all": (lambda a: a.mean(), [(2, 3)]),
    "max_tuple_axis_keepdims": (lambda a: a.max(axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    "pow_tensor_exponent": (lambda a, b: (a.abs() + 0.5) ** b, [(3, 4), (4,)]),
    "matmul_batched_both": (lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 5)]),
    "matmul_1d_batched": (lambda a, b: a @ b, [(4,), (2, 4, 3)]),
    "concatenate_three_last_axis": (lambda a, b, c: mg.concatenate([a, b, c], axis=-1),
                                    [(2, 3), (2, 1), (2, 2)]),
    "stack_axis0": (lambda a, b: mg.stack([a, b]), [(3,), (3,)]),
    "where_broadcast_cond": (lambda a, b: mg.where(np.array([True, False, True, False]), a, b),
                             [(3, 4), (4,)]),
    "softmax_then_log_softmax": (lambda a: a.softmax(axis=0) * a.log_softmax(axis=1),
                                 [(3, 4)]),
    "ufunc_exp_tanh": (lambda a: np.tanh(np.exp(a) * 0.3), [(5,)]),
    "neg_sub_div_chain": (lambda a, b: -(a - b) / (b * b + 1.0), [(3, 4), (3, 1)]),
}


def _spec_cases():
    for spec in OP_SPECS:
        for shapes in spec.shapes:
            yield pytest.param(spec.fn, spec.inputs, shapes,
                               id=f"{spec.name}-{'-'.join(map(str, shapes))}")
    for name, (fn, shapes) in EXTRA_OPS.items():
        yield pytest.param(fn, None, shapes, id=name)


def _inputs(make, shapes, rng):
    """Random float64 leaves; spec inputs keep away from kinks, the extras' values never sit
    on one (no ties, nothing within 0.05 of clip's bound)."""
    if make is not None:
        arrays = make(shapes, rng)
    else:
        arrays = [rng.uniform(0.1, 1.5, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes]
    return [leaf(a) for a in arrays]


@pytest.mark.parametrize("fn,make,shapes", list(_spec_cases()))
def test_every_builtin_op_passes_gradcheck(fn, make, shapes, rng):
    inputs = _inputs(make, shapes, rng)
    before = [x.data.copy() for x in inputs]
    assert gradcheck(fn, tuple(inputs))
    for x, b in zip(inputs, before):
        assert x.data.tobytes() == b.tobytes()  # the check restores its inputs


@pytest.mark.parametrize("fn,make,shapes", list(_spec_cases()))
def test_every_builtin_op_passes_gradcheck_graph(fn, make, shapes, rng):
    inputs = _inputs(make, shapes, rng)
    out = fn(*inputs)
    report = gradcheck_graph(out)
    assert report.passed, str(report)
    assert report.rows and all(row.max_rel_error < 1e-6 for row in report.rows), str(report)


def _scatter_without_accumulating(ctx, g):
    """GetItem's classic bug: assignment keeps only one of the repeated indices' gradients."""
    out = np.zeros(ctx.in_shape)
    out[ctx.index] = g
    return out, None


@pytest.mark.parametrize("op_class,fn,bad_backward", [
    (mg.ops.Tanh, lambda a: a.tanh().sum(axis=0),
     lambda ctx, g: g * (1 - ctx.saved_tensors[0])),                # 1 - tanh, not 1 - tanh^2
    (mg.ops.Softmax, lambda a: a.softmax(axis=1) * a,
     lambda ctx, g: (ctx.saved_tensors[0] * g, None)),              # forgot the - sum(g s) term
    (mg.ops.GetItem, lambda a: a[np.array([0, 2, 0])].sum(axis=1), _scatter_without_accumulating),
])
def test_a_broken_builtin_backward_is_caught_and_named(monkeypatch, rng, op_class, fn,
                                                       bad_backward):
    """The op table above has teeth: break one op's backward and both checks say so."""
    monkeypatch.setattr(op_class, "backward", staticmethod(bad_backward))
    x = leaf(rng.uniform(0.3, 1.2, size=(3, 4)))
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn, x)
    assert info.value.suspect_op == op_class.name()
    report = gradcheck_graph(fn(x))
    assert [row.op for row in report.rows if not row.passed] == [op_class.name()]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_losses_pass_gradcheck_first_and_second_order(reduction, rng):
    import minigrad.nn.functional as F
    scores = leaf(rng.standard_normal((5, 4)))
    target = np.array([0, 3, 1, 1, 2])
    margins = scores.data - scores.data[np.arange(5), target][:, None] + 1.0
    assert np.abs(margins).min() > 1e-3  # the hinge is checked away from its kink
    assert gradcheck(lambda s: F.cross_entropy(s, target, reduction=reduction), scores)
    assert gradcheck(lambda s: F.multiclass_hinge_loss(s, target, reduction=reduction), scores)

    def ce_gradient_times_scores(s):  # its gradient checks the create_graph backward
        g = mg.grad(F.cross_entropy(s, target, reduction=reduction).sum(), s,
                    create_graph=True)[0]
        return g * s

    assert gradcheck(ce_gradient_times_scores, scores)
    assert gradcheck_graph(F.cross_entropy(scores, target, reduction=reduction)).passed


@pytest.mark.parametrize("spec", OP_SPECS, ids=lambda spec: spec.name)
def test_every_builtin_op_has_right_second_derivatives(spec, rng):
    """gradcheck of the gradient itself (create_graph=True) checks the double-backward rules."""
    inputs = tuple(_inputs(spec.inputs, spec.shapes[-1], rng))
    upstream = mg.Tensor(rng.standard_normal(spec.fn(*inputs).shape))

    def first_derivatives(*xs):
        return mg.grad((spec.fn(*xs) * upstream).sum(), xs, create_graph=True)

    assert gradcheck(first_derivatives, inputs)


def test_fast_mode_passes_every_builtin_op(rng):
    for spec in OP_SPECS:
        inputs = _inputs(spec.inputs, spec.shapes[0], rng)
        assert gradcheck(spec.fn, tuple(inputs), fast_mode=True, seed=1), spec.name


# --------------------------------------------------------------------------- gradcheck


def test_wrong_custom_backward_fails_with_message_naming_it(rng):
    x = leaf(rng.uniform(0.5, 1.5, size=(3, 4)))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: BadCube.apply(t).sum(axis=1), x)
    err = info.value
    assert err.suspect_op == "BadCube" and "BadCube" in str(err)
    assert err.input_index == 0 and err.output_index == 0
    (out_el, in_el) = err.element
    assert out_el == (in_el[0],)  # row sums: output i depends only on row i
    value = x.data[in_el]
    assert err.analytical == pytest.approx(2 * value ** 2, rel=1e-12)
    assert err.numerical == pytest.approx(3 * value ** 2, rel=1e-6)
    assert err.relative_error == pytest.approx(relative_error(2 * value ** 2, 3 * value ** 2),
                                               rel=1e-5)
    # the worst element is where |2x^2 - 3x^2| - rtol * 3x^2 is largest: the largest |x|
    assert in_el == np.unravel_index(np.argmax(np.abs(x.data)), x.shape)
    for text in ("input 0", "analytical", "numerical", "relative error", str(list(in_el))[1:-1]):
        assert text in str(err)


def test_correct_custom_function_passes(rng):
    assert gradcheck(lambda t: Cube.apply(t).sum(axis=0), leaf(rng.standard_normal((3, 2))))


def test_raise_exception_false_returns_false(rng):
    x = leaf(rng.uniform(0.5, 1.5, size=4))
    assert gradcheck(lambda t: BadCube.apply(t), x, raise_exception=False) is False


def test_several_inputs_outputs_and_constants(rng):
    a, b = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal(3))
    fixed = leaf(rng.standard_normal(3), requires_grad=False)

    def func(a, scale, b, c):
        return a * b * scale, (a + c).exp().sum(axis=0), (b > 0)  # the bool output is skipped

    assert gradcheck(func, (a, 2.0, b, fixed))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: (a * b, BadCube.apply(b)), (a, b))
    assert (info.value.output_index, info.value.input_index) == (1, 1)


def test_gradient_lost_through_data_is_caught(rng):
    x = leaf(rng.standard_normal(3))
    with pytest.raises(GradcheckError, match="no recorded graph"):
        gradcheck(lambda t: mg.Tensor(t.data * 2.0), x)
    y = leaf(rng.standard_normal(3))
    with pytest.raises(GradcheckError, match="outside the recorded graph") as info:
        gradcheck(lambda t: t * mg.Tensor(t.data), y)  # d(x^2) is 2x; backward sees only x
    assert info.value.suspect_op is None


class Double(mg.Function):
    """f(x) = 2x, f'(x) = 2; the subclasses below break its backward in other ways."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class Noisy(Double):
    @staticmethod
    def backward(ctx, g):
        return g * 2 + np.random.default_rng().uniform(-1e-7, 1e-7, size=np.shape(g))


class Raises(Double):
    @staticmethod
    def backward(ctx, g):
        raise ZeroDivisionError("oops")


class TooMany(Double):
    @staticmethod
    def backward(ctx, g):
        return g * 2, g


def test_nondeterministic_backward_is_caught(rng):
    with pytest.raises(GradcheckError, match="not reentrant"):
        gradcheck(Noisy.apply, leaf(rng.standard_normal(3)))
    assert gradcheck(Noisy.apply, leaf(rng.standard_normal(3)), nondet_tol=1e-6)


def test_second_derivatives_through_create_graph(rng):
    """gradcheck of a gradient function checks the double-backward rules of the ops."""
    x = leaf(rng.uniform(0.2, 1.0, size=4))
    w = leaf(rng.standard_normal((4, 3)))

    def gradient(x, w):
        y = ((x @ w).tanh() * (x.exp() @ w)).sum() + (x * x).log().sum()
        return mg.grad(y, (x, w), create_graph=True)

    assert gradcheck(gradient, (x, w))


def test_float32_input_warns_and_float64_does_not(rng):
    x32 = leaf(rng.standard_normal(3), dtype=np.float32)
    with pytest.warns(GradcheckWarning, match="input 0 is float32"):
        gradcheck(lambda t: (t * t).sum(), x32, raise_exception=False)
    assert issubclass(GradcheckWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda t: (t * t).sum(), leaf(rng.standard_normal(3)))


def test_bad_arguments_are_refused(rng):
    x = leaf(rng.standard_normal(3), requires_grad=False)
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda t: t * 2, x)
    y = leaf(rng.standard_normal(3))
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda t: t.data, y)
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda t: t * 2, y, eps=0)
    assert y.grad is None  # a check never leaves gradients behind


def _classifier(n=8, d=3073, c=10, seed=0):
    """A CIFAR-sized linear classifier: X (n, 3073) float64, W (3073, 10), labels y."""
    rng = np.random.default_rng(seed)
    X = mg.Tensor(rng.standard_normal((n, d)))
    y = rng.integers(0, c, n)
    W = leaf(rng.standard_normal((d, c)) * 1e-3)
    return X, y, W


class CrossEntropyForgetsMean(mg.Function):
    """Mean softmax cross-entropy whose backward forgets the 1/N of the mean: a classic bug."""

    @staticmethod
    def forward(ctx, scores, y):
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        ctx.save_for_backward(log_p)
        ctx.y = y
        return np.asarray(-log_p[np.arange(len(y)), y].mean())

    @staticmethod
    def backward(ctx, g):
        (log_p,) = ctx.saved_tensors
        d = np.exp(log_p)
        d[np.arange(len(ctx.y)), ctx.y] -= 1
        return d * g, None  # should be d / N * g


def _cross_entropy(scores, y):
    return -scores.log_softmax(axis=1)[np.arange(len(y)), y].mean()


def test_fast_mode_catches_wrong_gradient_on_3073x10_classifier():
    X, y, W = _classifier()
    calls = []

    def loss(buggy):
        def func(W):
            calls.append(1)
            scores = X @ W
            return CrossEntropyForgetsMean.apply(scores, y) if buggy else _cross_entropy(scores, y)
        return func

    assert gradcheck(loss(buggy=False), W, fast_mode=True, seed=0)
    assert len(calls) == 3  # outputs once, then one directional difference: 2 evaluations
    calls.clear()
    with pytest.raises(GradcheckError, match="fast_mode") as info:
        gradcheck(loss(buggy=True), W, fast_mode=True, seed=0)
    assert len(calls) == 3, "fast mode must not fall back to 61,460 evaluations"
    err = info.value
    assert err.suspect_op == "CrossEntropyForgetsMean" and err.element is None
    # the bug scales the gradient by N = 8: so does the projection
    assert err.analytical == pytest.approx(8 * err.numerical, rel=1e-4)


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("func,shape", [
    (lambda t: t, (3,)),                      # the output is the input itself
    (lambda t: t * t, ()),                    # 0-d in, 0-d out
    (lambda t: t.sum(axis=0), (0, 3)),        # no elements to perturb
    (lambda t: t[t.data > 10], (4,)),         # an empty output
], ids=["identity", "scalar", "empty-input", "empty-output"])
def test_edge_shapes(func, shape, fast_mode, rng):
    x = leaf(rng.standard_normal(shape))
    before = x.data.tobytes()
    assert gradcheck(func, x, fast_mode=fast_mode)
    assert x.data.tobytes() == before


@pytest.mark.parametrize("fast_mode", [False, True])
def test_a_bug_in_a_0d_op_is_caught(fast_mode):
    with pytest.raises(GradcheckError, match="BadCube"):
        gradcheck(BadCube.apply, leaf(1.5), fast_mode=fast_mode)


def test_fast_mode_is_reproducible_with_seed_and_package_generator(rng):
    x = leaf(rng.uniform(0.5, 1.5, size=(4, 3)))
    messages = []
    for _ in range(2):
        mg.manual_seed(5)
        with pytest.raises(GradcheckError) as info:
            gradcheck(lambda t: BadCube.apply(t).sum(), x, fast_mode=True)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# --------------------------------------------------------------------------- gradcheck_graph


def _twenty_op_graph(rng, bad):
    """A small network of ~20 ops with one custom op (Cube or BadCube) in the middle."""
    x = leaf(rng.standard_normal((5, 4)), requires_grad=False)
    w1, b1 = leaf(rng.standard_normal((4, 6)) * 0.5), leaf(rng.standard_normal(6) * 0.1)
    w2 = leaf(rng.standard_normal((6, 3)) * 0.5)
    y = np.array([0, 2, 1, 1, 0])
    h = (x @ w1 + b1).tanh()                                 # MatMul, Add, Tanh
    h = (BadCube if bad else Cube).apply(h * 0.9 + 0.1)      # Mul, Add, the custom op
    h = mg.concatenate([h, h.sigmoid()], axis=1)[:, ::2]     # Sigmoid, Concatenate, GetItem
    scores = h @ w2 + (h.exp() / (1.0 + h * h)).sum(axis=1, keepdims=True)  # 8 more
    loss = -scores.log_softmax(axis=1)[np.arange(5), y].mean() + (w1 * w1).sum() * 1e-3
    return loss


def test_gradcheck_graph_names_exactly_the_wrong_node(rng):
    loss = _twenty_op_graph(rng, bad=True)
    report = gradcheck_graph(loss)
    assert len(report.rows) >= 20
    assert not report.passed
    bad_rows = [row for row in report.rows if not row.passed]
    assert [row.op for row in bad_rows] == ["BadCube"]
    assert report.first_failure is bad_rows[0]
    assert report.failing_nodes == [bad_rows[0].node]
    assert isinstance(report.failing_nodes[0], BadCube)
    assert bad_rows[0].max_rel_error == pytest.approx(0.2, rel=1e-4)  # |2 - 3| / (2 + 3)
    text = str(report)
    assert "first failure" in text and "BadCube" in text and text.count("FAILED") == 1
    # the same graph with the correct op passes everywhere, and backward still works after
    good = _twenty_op_graph(np.random.default_rng(0), bad=False)
    good_report = gradcheck_graph(good)
    assert good_report.passed and good_report.first_failure is None, str(good_report)
    assert good_report.failing_nodes == []
    good.backward()


def test_report_is_plain_data_in_forward_order(rng):
    a, b = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal((3, 4)))
    out = (a @ b).sum()
    rows = gradcheck_graph(out).as_dicts()
    assert [r["op"] for r in rows] == ["MatMul", "Sum"]
    assert rows[0]["input_shapes"] == ((2, 3), (3, 4)) and rows[1]["input_shapes"] == ((2, 4),)
    assert [r["position"] for r in rows] == [0, 1]
    assert all(r["passed"] is True and r["mode"] == "full" for r in rows)
    assert set(rows[0]) == {"position", "op", "input_shapes", "mode", "max_rel_error",
                            "passed", "note"}


def test_large_node_uses_fast_projection_and_still_catches(rng):
    x = leaf(rng.uniform(0.5, 1.5, size=(40, 30)))
    report = gradcheck_graph(BadCube.apply(x).sum(), max_full=100)
    modes = {row.op: row.mode for row in report.rows}
    assert modes == {"BadCube": "fast", "Sum": "fast"}
    assert [row.op for row in report.rows if not row.passed] == ["BadCube"]


def test_backward_that_raises_or_miscounts_is_a_failing_node(rng):
    x = leaf(rng.standard_normal(3))
    report = gradcheck_graph(TooMany.apply(Raises.apply(x).exp()).sum())
    rows = {row.op: row for row in report.rows}
    assert not rows["Raises"].passed and "ZeroDivisionError: oops" in rows["Raises"].note
    assert not rows["TooMany"].passed and "2 gradients" in rows["TooMany"].note
    assert rows["Exp"].passed and rows["Sum"].passed
    assert "#0 Raises: ZeroDivisionError: oops" in str(report)


def test_cast_node_is_checked_in_float64(rng):
    x = leaf(rng.standard_normal(4))
    out = (x.astype(np.float32) * 2.0).sum()
    report = gradcheck_graph(out)
    assert [row.op for row in report.rows] == ["Cast", "Mul", "Sum"]
    assert report.passed and max(row.max_rel_error for row in report.rows) < 1e-8


def test_relu_at_its_kink_is_a_documented_false_alarm():
    import minigrad.gradcheck.check as check_module
    x = leaf([-1.0, 0.0, 2.0])
    report = gradcheck_graph(x.relu().sum())
    assert [row.op for row in report.rows if not row.passed] == ["Relu"]
    assert not gradcheck(lambda t: t.relu(), x, raise_exception=False)
    away = leaf([-1.0, 0.1, 2.0])  # the same op away from its kink passes
    assert gradcheck(lambda t: t.relu(), away)
    for doc in (check_module.__doc__, gradcheck_graph.__module__ and
                __import__("minigrad.gradcheck.graph", fromlist=["_"]).__doc__):
        assert "relu" in doc and "max" in doc and "1e-7" in doc and "1e-2" in doc


def test_graph_walk_needs_an_unfreed_graph(rng):
    x = leaf(rng.standard_normal(3))
    with pytest.raises(ValueError, match="no recorded graph"):
        gradcheck_graph(x)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="before backward"):
        gradcheck_graph(loss)
    kept = (x * x).sum()
    kept.backward(retain_graph=True)
    assert gradcheck_graph(kept).passed
    with pytest.raises(TypeError, match="must be a Tensor"):
        gradcheck_graph(x.data)


def test_deep_graph_walk_needs_no_recursion():
    x = leaf([0.5])
    y = x
    for _ in range(3000):
        y = y * 1.0001
    report = gradcheck_graph(y.sum())
    assert len(report.rows) == 3001 and report.passed


# --------------------------------------------------------------------------- numerical_grad


def test_numerical_grad_matches_closed_forms(rng):
    x = rng.uniform(0.5, 2.0, size=(3, 4))
    np.testing.assert_allclose(numerical_grad(lambda t: (t ** 3).sum(), leaf(x)), 3 * x ** 2,
                               rtol=1e-8)
    np.testing.assert_allclose(numerical_grad(lambda t: np.sum(np.sin(t)), x.copy()), np.cos(x),
                               rtol=1e-8, atol=1e-10)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    ga, gb = numerical_grad(lambda u, v: float(np.dot(u, v)), a, b)
    np.testing.assert_allclose(ga, b, rtol=1e-9)
    np.testing.assert_allclose(gb, a, rtol=1e-9)
    assert numerical_grad(lambda s: s ** 2, 3.0) == pytest.approx(6.0, rel=1e-9)


def test_numerical_grad_computes_in_float64_for_float32_tensors(rng):
    x = mg.tensor(rng.uniform(0.5, 2.0, size=5).astype(np.float32))
    g = numerical_grad(lambda t: (t * t).sum(), x)
    assert g.dtype == np.float64
    # in float32 a step of 1e-6 would leave an error around 1e-1; in float64 it is ~1e-9
    np.testing.assert_allclose(g, 2 * x.data.astype(np.float64), rtol=1e-7)


def test_numerical_grad_restores_inputs_bit_for_bit(rng):
    t = mg.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    t_array = t.data
    t_bytes = t.data.tobytes()
    arr = rng.standard_normal(4)
    arr_view = arr  # the same object, perturbed in place and put back
    arr_bytes = arr.tobytes()
    numerical_grad(lambda u, v: (u * u).sum() + float(np.sum(v ** 3)), t, arr)
    assert t.data is t_array and t.data.tobytes() == t_bytes and t.dtype == np.float32
    assert arr is arr_view and arr.tobytes() == arr_bytes
    assert t.grad is None


def test_numerical_grad_restores_inputs_when_f_raises(rng):
    t = leaf(rng.standard_normal(6))
    arr = rng.standard_normal(6)
    before = (t.data, t.data.tobytes(), arr.tobytes())
    calls = []

    def f(u, v):
        calls.append(1)
        if len(calls) == 5:
            raise FloatingPointError("boom")
        return (u * u).sum() + float(v.sum())

    with pytest.raises(FloatingPointError, match="boom"):
        numerical_grad(f, t, arr)
    assert (t.data, t.data.tobytes(), arr.tobytes()) == before
    calls.clear()  # now the array is perturbed (in place) when f raises
    with pytest.raises(FloatingPointError):
        numerical_grad(lambda v, u: f(u, v), arr, t)
    assert (t.data, t.data.tobytes(), arr.tobytes()) == before


def test_numerical_grad_sees_perturbations_through_a_closure(rng):
    """A Tensor keeps its identity while perturbed: a model holding it sees each change."""
    w = leaf(rng.standard_normal(3))
    model = {"w": w}
    g = numerical_grad(lambda _: (model["w"] * model["w"]).sum(), w)
    np.testing.assert_allclose(g, 2 * w.data, rtol=1e-8)


def test_numerical_grad_refuses_bad_inputs(rng):
    with pytest.raises(ValueError, match="scalar"):
        numerical_grad(lambda t: t * 2, leaf(rng.standard_normal(3)))
    with pytest.raises(TypeError, match="input 0"):
        numerical_grad(lambda t: t.sum(), mg.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="at least one input"):
        numerical_grad(lambda: 1.0)
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda t: t.sum(), leaf([1.0]), eps=-1e-6)


def test_verbose_prints_the_articles_table(capsys):
    W = np.array([0.34, -1.11, 0.78, 0.12, 0.55])
    weights = np.array([1.0, 2.0, -3.0, 0.5, 0.0])

    def loss(w):
        return float(np.dot(weights, w) + 1.25)

    g = numerical_grad(loss, W, eps=1e-4, verbose=3)
    np.testing.assert_allclose(g, weights, atol=1e-9)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "h = 0.0001" in lines[0] and "loss(W) =" in lines[1]
    header = lines[2].split()
    assert header[:5] == ["index", "W", "W+h", "loss(W+h)", "loss(W-h)"]
    first = lines[3].split()
    assert first[0] == "(0,)" and float(first[1]) == 0.34 and float(first[2]) == 0.3401
    assert float(first[3]) == pytest.approx(loss(W) + 1e-4, abs=1e-10)
    assert float(first[5]) == pytest.approx(1.0, abs=1e-6)
    assert len([ln for ln in lines if ln.strip().startswith("(")]) == 3
    assert "2 more coordinates" in out and "11 loss evaluations" in out


# --------------------------------------------------------------------------- numerical_backward


def _softmax_classifier(seed):
    rng = np.random.default_rng(seed)
    X = mg.Tensor(rng.standard_normal((6, 4)))
    y = np.array([0, 1, 2, 1, 0, 2])
    W, b = leaf(rng.standard_normal((4, 3)) * 0.5), leaf(rng.standard_normal(3) * 0.1)
    return X, y, W, b


def test_numerical_backward_gives_the_same_sgd_step_as_backward():
    lr = 0.5
    X, y, W1, b1 = _softmax_classifier(0)
    _, _, W2, b2 = _softmax_classifier(0)
    _cross_entropy(X @ W1 + b1, y).backward()
    result = numerical_backward(lambda: _cross_entropy(X @ W2 + b2, y), [W2, b2])
    for p1, p2 in ((W1, W2), (b1, b2)):
        assert p2.grad.dtype == p1.grad.dtype == np.float64 and p2.grad.shape == p1.shape
        np.testing.assert_allclose(p2.grad.data, p1.grad.data, rtol=1e-6, atol=1e-10)
    with mg.no_grad():
        for p in (W1, b1, W2, b2):
            p.data -= lr * p.grad.data
    np.testing.assert_allclose(W2.data, W1.data, rtol=0, atol=1e-8)
    np.testing.assert_allclose(b2.data, b1.data, rtol=0, atol=1e-8)
    assert result.loss_evaluations == 1 + 2 * (12 + 3)
    assert (result.elements, result.parameters) == (15, 2)
    assert "31 loss evaluations" in str(result)


def test_numerical_backward_drives_any_optimizer_like_backward():
    """Adam with momentum state on a two-layer model: numeric and analytic runs stay together."""
    from minigrad import nn, optim
    rng = np.random.default_rng(4)
    X, y = mg.Tensor(rng.standard_normal((10, 3))), rng.integers(0, 2, 10)
    runs = []
    for numeric in (False, True):
        model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64, generator=np.random.default_rng(1)),
                              nn.Tanh(),
                              nn.Linear(4, 2, dtype=np.float64, generator=np.random.default_rng(2)))
        opt = optim.Adam(model.parameters(), lr=0.05)
        closure = lambda: _cross_entropy(model(X), y)  # noqa: E731
        for _ in range(3):
            opt.zero_grad()
            if numeric:
                numerical_backward(closure, list(model.parameters()))
            else:
                closure().backward()
            opt.step()
        runs.append([p.data.copy() for p in model.parameters()])
    for analytic, numeric in zip(*runs):
        np.testing.assert_allclose(numeric, analytic, rtol=0, atol=1e-7)


def test_numerical_backward_fills_grad_where_backward_would():
    X, y, W, b = _softmax_classifier(1)
    unused = leaf([1.0, 2.0])
    frozen = leaf([3.0], requires_grad=False)
    W.grad = mg.Tensor(np.ones(W.shape))  # backward adds to an existing gradient
    analytic_W = mg.tensor(W.data.copy(), requires_grad=True)
    _cross_entropy(X @ analytic_W + b.detach(), y).backward()
    W_before, b_data = W.data, b.data.tobytes()
    result = numerical_backward(lambda: _cross_entropy(X @ W + b, y) + frozen.sum(),
                                [W, b, unused, frozen, W])
    np.testing.assert_allclose(W.grad.data, 1.0 + analytic_W.grad.data, rtol=1e-6)
    assert b.grad is not None
    assert unused.grad is None and frozen.grad is None  # as backward leaves them
    assert result.parameters == 2 and result.loss_evaluations == 1 + 2 * 15
    assert W.data is W_before and b.data.tobytes() == b_data


def test_numerical_backward_float32_params_get_float32_grads(rng):
    w = mg.tensor(rng.uniform(0.5, 1.5, size=4).astype(np.float32), requires_grad=True)
    data = w.data.tobytes()
    numerical_backward(lambda: (w * w * w).sum(), [w])
    assert w.grad.dtype == np.float32 and w.data.tobytes() == data
    # differences taken in float64: the float32 gradient is right to float32 precision
    np.testing.assert_allclose(w.grad.data, 3 * w.data.astype(np.float64) ** 2, rtol=1e-6)


def test_numerical_backward_with_a_numpy_loss_fills_every_param():
    """The article's approach 2 on a loss computed with numpy (no graph to consult)."""
    w = leaf([0.3, -0.2])
    result = numerical_backward(lambda: float(np.sum(w.data ** 2)), [w])
    np.testing.assert_allclose(w.grad.data, [0.6, -0.4], rtol=1e-8)
    assert result.loss == pytest.approx(0.13)


def test_numerical_backward_changes_nothing_when_closure_raises(rng):
    w = leaf(rng.standard_normal(3))
    calls = []

    def closure():
        calls.append(1)
        if len(calls) > 3:
            raise ValueError("bad batch")
        return (w * w).sum()

    data = w.data
    with pytest.raises(ValueError, match="bad batch"):
        numerical_backward(closure, [w])
    assert w.grad is None and w.data is data


def test_numerical_backward_refuses_bad_params():
    with pytest.raises(ValueError, match="requires grad"):
        numerical_backward(lambda: 1.0, [leaf([1.0], requires_grad=False)])
    with pytest.raises(TypeError, match=r"params\[1\]"):
        numerical_backward(lambda: 1.0, [leaf([1.0]), np.ones(2)])
    with pytest.raises(ValueError, match="empty"):
        numerical_backward(lambda: 1.0, [])
    w = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match="scalar"):
        numerical_backward(lambda: w * 2, [w])
    assert w.grad is None


# --------------------------------------------------------------------------- relative_error


def test_relative_error_formula():
    assert relative_error(1.0, 1.1) == pytest.approx(0.1 / 2.1)
    assert relative_error([0.0, 2.0], [0.0, 2.0]) == 0.0
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error([1.0, -1.0], [1.0, 1.0]) == 1.0  # opposite signs: the maximum
    assert relative_error(leaf([3.0, 4.0]), np.array([3.0, 5.0])) == pytest.approx(1 / 9)
    assert np.isnan(relative_error([np.nan], [1.0]))
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        relative_error(np.ones(2), np.ones(3))


# --------------------------------------------------------------------------- gradcheck_sparse


def test_gradcheck_sparse_passes_right_and_flags_wrong(rng, capsys):
    x = rng.uniform(0.5, 1.5, size=(20, 5))
    x_bytes = x.tobytes()
    right = gradcheck_sparse(lambda w: float(np.sum(w ** 3)), x, 3 * x ** 2, num_checks=7,
                             seed=0, verbose=True)
    assert right.passed and len(right.rows) == 7 and right.loss_evaluations == 14
    assert len({row.index for row in right.rows}) == 7  # distinct coordinates
    assert right.max_relative_error < 1e-8 and {r.verdict for r in right.rows} == {"good"}
    for row in right.rows:
        assert row.analytic == 3 * x[row.index] ** 2
        assert row.numerical == pytest.approx(3 * x[row.index] ** 2, rel=1e-8)
    assert x.tobytes() == x_bytes
    printed = capsys.readouterr().out
    assert "7 random coordinates of 100" in printed and printed.count("good") == 7
    wrong = gradcheck_sparse(lambda w: float(np.sum(w ** 3)), x, 2 * x ** 2, seed=0)
    assert not wrong.passed and {r.verdict for r in wrong.rows} == {"wrong"}
    assert wrong.max_relative_error == pytest.approx(0.2, rel=1e-5)
    assert "FAILED" in str(wrong)
    same = gradcheck_sparse(lambda w: float(np.sum(w ** 3)), x, 2 * x ** 2, seed=0)
    assert [r.index for r in same.rows] == [r.index for r in wrong.rows]


def test_gradcheck_sparse_on_a_tensor_with_an_analytic_grad():
    X, y, W = _classifier(n=4)
    loss = _cross_entropy(X @ W, y)
    loss.backward()
    report = gradcheck_sparse(lambda w: _cross_entropy(X @ w, y), W, W.grad, num_checks=10,
                              seed=3)
    assert report.passed, str(report)
    assert report.as_dicts()[0].keys() == {"index", "numerical", "analytic", "relative_error",
                                           "verdict"}


def test_gradcheck_sparse_counts_rounding_residues_of_a_zero_gradient_as_agreement():
    x = np.linspace(-1, 1, 6)
    flat = lambda w: float(np.sum(w * 0.0) + 2.0)  # noqa: E731 - d/dw = 0 everywhere
    residue = np.full(6, 1e-17)  # what an analytic 0 can come out as after cancellation
    report = gradcheck_sparse(flat, x, residue, num_checks=6, seed=0)
    assert all(r.numerical == 0.0 and r.relative_error == 1.0 for r in report.rows)
    assert report.passed and {r.verdict for r in report.rows} == {"ok (|difference| <= atol)"}
    assert not gradcheck_sparse(flat, x, residue, num_checks=6, seed=0, atol=0.0).passed
    wrong = gradcheck_sparse(flat, x, np.full(6, 1e-3), num_checks=6, seed=0)
    assert not wrong.passed and {r.verdict for r in wrong.rows} == {"wrong"}
    with pytest.raises(ValueError, match="atol must be a number >= 0"):
        gradcheck_sparse(flat, x, residue, atol=-1.0)


def test_gradcheck_sparse_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"analytic_grad has shape \(3,\) but x has shape"):
        gradcheck_sparse(lambda w: float(w.sum()), np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match="num_checks"):
        gradcheck_sparse(lambda w: float(w.sum()), np.ones(3), np.ones(3), num_checks=0)
    small = gradcheck_sparse(lambda w: float(w.sum()), np.ones(3), np.ones(3), num_checks=50)
    assert len(small.rows) == 3


# --------------------------------------------------------------------------- review fixes


def test_numerical_grad_of_an_input_passed_twice_is_the_total_derivative(rng):
    """The same object twice is one variable used twice: perturbing it is seen in both places,
    as when the float64 array is perturbed in place, and as backward gives it for (w, w)."""
    f = lambda u, v: (u * v * v).sum()  # noqa: E731 - d/dw of w^3 is 3 w^2
    w = leaf(rng.uniform(0.5, 1.5, size=4))
    f(w, w).backward()
    for args in [(w, w), (w.data.astype(np.float32),) * 2, (w.data.copy(),) * 2]:
        g1, g2 = numerical_grad(f, *args)
        np.testing.assert_allclose(g1, w.grad.data, rtol=1e-6)
        np.testing.assert_allclose(g2, w.grad.data, rtol=1e-6)
    assert w.data.dtype == np.float64


@pytest.mark.parametrize("option", [dict(atol=-1e-5), dict(rtol=-1e-3), dict(atol=None),
                                    dict(nondet_tol=-1.0), dict(nondet_tol=None),
                                    dict(rtol=float("nan"))])
def test_gradcheck_refuses_bad_tolerances_instead_of_blaming_a_correct_op(option, rng):
    x = leaf(rng.standard_normal(3))
    with pytest.raises((ValueError, TypeError), match=next(iter(option))):
        gradcheck(lambda t: t * 2, x, **option)


@pytest.mark.parametrize("option", [dict(eps=0), dict(eps="small"), dict(atol=-1.0),
                                    dict(rtol=None), dict(max_full=None),
                                    dict(max_full=-1.5)])
def test_gradcheck_graph_refuses_bad_arguments_instead_of_failing_every_node(option, rng):
    w = leaf(rng.standard_normal(3))
    loss = (w * w).sum()
    with pytest.raises((ValueError, TypeError), match=next(iter(option))):
        gradcheck_graph(loss, **option)
    assert gradcheck_graph(loss).passed


def test_gradcheck_sparse_refuses_a_missing_gradient_and_a_bad_threshold():
    f = lambda w: float(np.sum(w ** 3))  # noqa: E731
    with pytest.raises(TypeError, match="analytic_grad is None"):
        gradcheck_sparse(f, np.float64(1.5), None)  # 0-d: None would read as NaN, "wrong"
    with pytest.raises(TypeError, match="analytic_grad is None"):
        gradcheck_sparse(f, np.ones(3), None)
    with pytest.raises((ValueError, TypeError), match="threshold"):
        gradcheck_sparse(f, np.ones(3), 3 * np.ones(3), threshold=None)
