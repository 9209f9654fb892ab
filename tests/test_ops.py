"""Every op in the spec table: forward against numpy, gradient against finite differences."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import numerical_grad
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
