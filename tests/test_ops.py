"""Every op in the spec table: forward against numpy, gradient against finite differences."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import gradcheck, numerical_grad
from op_specs import OP_SPECS


def _case_list():
    for spec in OP_SPECS:
        for shapes in spec.shapes:
            yield pytest.param(spec, shapes, id=f"{spec.name}-{'-'.join(map(str, shapes))}")


CASES = list(_case_list())


def finite_difference(f, arrays, upstream, eps=1e-6):
    """Central differences of L(x) = sum(f(x) * upstream) with respect to each array (float64),
    by ``minigrad.gradcheck.numerical_grad`` (float64 arrays are perturbed in place and restored)."""
    grads = numerical_grad(lambda *xs: float(np.sum(f(*xs) * upstream)), *arrays, eps=eps)
    return list(grads) if len(arrays) > 1 else [grads]


@pytest.mark.parametrize("spec,shapes", CASES)
def test_forward_matches_numpy(spec, shapes, rng):
    arrays = spec.inputs(shapes, rng)
    out = spec.fn(*[mg.Tensor(a) for a in arrays])
    np.testing.assert_allclose(out.data, spec.ref(*arrays), rtol=1e-12, atol=1e-12)
    assert out.dtype == np.float64


@pytest.mark.parametrize("spec,shapes", CASES)
def test_gradient_matches_finite_differences(spec, shapes, rng):
    arrays = spec.inputs(shapes, rng)
    tensors = [mg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = spec.fn(*tensors)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    numeric = finite_difference(lambda *xs: spec.fn(*[mg.Tensor(x) for x in xs]).data,
                                arrays, upstream)
    for t, g in zip(tensors, numeric):
        assert t.grad is not None and t.grad.shape == t.shape
        np.testing.assert_allclose(t.grad.data, g, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("spec,shapes", CASES)
def test_float32_in_float32_out(spec, shapes, rng):
    arrays = [a.astype(np.float32) for a in spec.inputs(shapes, rng)]
    tensors = [mg.Tensor(a, requires_grad=True) for a in arrays]
    out = spec.fn(*tensors)
    assert out.dtype == np.float32, f"{spec.name} promoted float32 to {out.dtype}"
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in tensors:
        assert t.grad.dtype == np.float32


@pytest.mark.parametrize("spec,shapes", CASES)
def test_matches_torch(spec, shapes, rng):
    torch = pytest.importorskip("torch")
    arrays = spec.inputs(shapes, rng)
    tensors = [mg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    ttensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = spec.fn(*tensors), spec.torch_fn(*ttensors)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    tout.backward(torch.tensor(upstream))
    for t, tt in zip(tensors, ttensors):
        np.testing.assert_allclose(t.grad.data, tt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reductions_of_a_0d_tensor_follow_numpy(op):
    for axis in (0, -1, (), None):
        x = mg.tensor(5.0, requires_grad=True)
        try:
            expected = getattr(np, op)(np.array(5.0), axis=axis)
        except np.exceptions.AxisError:  # np.mean refuses axis 0 of a 0-d array, np.sum not
            with pytest.raises(ValueError, match=f"Mean: axis {axis} is out of bounds"):
                getattr(x, op)(axis=axis)
            continue
        y = getattr(x, op)(axis=axis)
        assert y.item() == expected == 5.0
        y.backward()
        assert x.grad.item() == 1.0


def test_mean_over_empty_axes_is_nan_like_numpy():
    a = np.ones((0, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        got = mg.tensor(a).mean(axis=0).data
    np.testing.assert_array_equal(got, np.full(3, np.nan))
    assert mg.tensor(np.ones((3, 0))).mean(axis=0).shape == (0,)


# ------------------------------------------------------------------ edge cases found in review


@pytest.mark.parametrize("shape,axes", [((2, 3), (-1, 0)), ((3, 3, 3), (-1, 0, 1)),
                                        ((2, 3, 4), (0, -1, -2))])
def test_permute_with_negative_axes_matches_torch(shape, axes, rng):
    torch = pytest.importorskip("torch")
    a = rng.standard_normal(shape)
    x, tx = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = x.permute(*axes), tx.permute(*axes)
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    z = mg.tensor(a, requires_grad=True)
    z.transpose(*axes).backward(upstream)
    np.testing.assert_array_equal(z.grad.data, tx.grad.numpy())


def test_pow_with_exponent_zero_has_gradient_zero_at_zero_like_torch():
    torch = pytest.importorskip("torch")
    a = np.array([0.0, 1.5, -2.0])
    for p in (0, 0.0, np.array([0.0, 0.0, 2.0])):
        x, tx = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        (x ** p).sum().backward()
        (tx ** (torch.tensor(p) if isinstance(p, np.ndarray) else p)).sum().backward()
        np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    x = mg.tensor(a, requires_grad=True)
    (g,) = mg.grad((x ** 0).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, np.zeros(3))
    # away from x = 0 the second derivatives (also d/dp at p = 0) are left exact
    z = mg.tensor([0.5, 1.5, 0.8], requires_grad=True, dtype=np.float64)
    p = mg.tensor([0.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    assert gradcheck(lambda z, p: mg.grad((z ** p).sum(), (z, p), create_graph=True), (z, p))


def test_arange_with_only_stop_and_step_follows_numpy():
    for kwargs in ({"step": 2}, {"step": 3}):
        np.testing.assert_array_equal(mg.arange(7, **kwargs).data, np.arange(7, **kwargs))
    np.testing.assert_array_equal(mg.arange(2.0, step=0.5).data, np.arange(2.0, step=0.5))


def test_indexing_with_an_empty_list_follows_numpy():
    a = np.arange(6.0).reshape(2, 3)
    x = mg.tensor(a, requires_grad=True)
    for index in ([], (slice(None), [])):
        y = x[index]
        assert y.shape == a[index].shape
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.data, np.zeros_like(a))


def test_clip_with_tensor_bounds_gives_the_bounds_their_gradient_like_torch(rng):
    torch = pytest.importorskip("torch")
    a = np.array([0.0, 1.0, 2.0, 3.0, -1.0])
    lo_a = np.array([0.5, 0.5, 2.5, 2.5, -3.0])
    hi_a = np.array([1.5, 0.2, 2.6, 2.0, 0.0])
    upstream = rng.standard_normal(5)
    for use_lo, use_hi in ((True, True), (True, False), (False, True)):
        x, lo, hi = (mg.tensor(v, requires_grad=True) for v in (a, lo_a, hi_a))
        tx, tlo, thi = (torch.tensor(v, requires_grad=True) for v in (a, lo_a, hi_a))
        y = x.clip(lo if use_lo else None, hi if use_hi else None)
        ty = torch.clamp(tx, tlo if use_lo else None, thi if use_hi else None)
        np.testing.assert_array_equal(y.data, ty.detach().numpy())
        y.backward(upstream)
        ty.backward(torch.tensor(upstream))
        for t, tt, used in ((x, tx, True), (lo, tlo, use_lo), (hi, thi, use_hi)):
            if used:
                np.testing.assert_array_equal(t.grad.data, tt.grad.numpy())
    # a constant x clipped by a bound that needs a gradient: checked by finite differences
    lo = mg.tensor(lo_a, requires_grad=True)
    assert gradcheck(lambda b: mg.clip(mg.tensor(a), b, 1.0), lo)


def test_squeeze_takes_a_list_of_axes_and_broadcast_to_an_int_shape():
    x = mg.tensor(np.zeros((1, 2, 1)))
    assert x.squeeze([0, 2]).shape == np.squeeze(x.data, axis=(0, 2)).shape
    assert mg.tensor([1.0]).broadcast_to(3).shape == np.broadcast_to(np.ones(1), 3).shape


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_an_empty_tensor_over_a_non_empty_axis_follow_numpy(op):
    a = np.ones((0, 3))
    x = mg.tensor(a, requires_grad=True)
    y = getattr(x, op)(axis=1)
    assert y.shape == getattr(a, op)(axis=1).shape
    y.sum().backward()
    assert x.grad.shape == a.shape
    for axis in (None, 0):  # over the empty axis there is nothing to take the max of
        with pytest.raises(ValueError, match=f"{op} of an empty tensor"):
            getattr(x, op)(axis=axis)
