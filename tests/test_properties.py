"""Property-based tests (hypothesis): gradients of random graphs, optimizer invariants, batching.

Random graphs. A program is a list of steps: float64 leaves of mutually broadcastable shapes,
then a few random ops (unary, binary with broadcasting, numpy ufuncs on Tensors, reductions with
random axes and keepdims, reshape/transpose/indexing/concatenation, matmul with a new leaf).
The loss is a weighted sum of every value the ops made, L = sum_i <w_i, v_i>, so every op's
gradient counts, and dL/dx for every element of every leaf is compared with central finite
differences, (L(x + h e_k) - L(x - h e_k)) / 2h, h = 1e-6, with PyTorch gradcheck's tolerances.

Inputs are kept in safe domains by construction (log and sqrt of v*v + 0.5, division by
b*b + 0.5, real powers of v*v + 0.5) and away from kinks: an example is rejected when an input
of relu/abs/clip/maximum/minimum, or the top two entries of a max/min, are within 1e-3 of a
kink or a tie, where a step of h could cross it.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

import minigrad as mg
from minigrad import optim
from minigrad.data import DataLoader, Dataset, TensorDataset
from minigrad.ops.elementwise import Tanh

H = 1e-6                    # finite-difference step
ATOL, RTOL = 1e-5, 1e-3     # torch.autograd.gradcheck's defaults
KINK_MARGIN = 1e-3          # how far op inputs must stay from a kink
MAX_ABS = 100.0             # values larger than this make finite differences imprecise
MAX_SIZE = 54               # elements per value, to keep finite differences cheap


# --------------------------------------------------------------------------- programs


class Step(NamedTuple):
    op: str
    args: tuple = ()        # indices of earlier values
    params: tuple = ()      # op parameters (hashable, so examples print readably)


class Program(NamedTuple):
    leaves: list            # float64 arrays
    steps: list             # Step("leaf", params=(j,)) puts leaves[j] among the values
    weights: list           # one array per value made by an op (None for leaves)


def _gap_to_kink(kinks, *distances):
    if kinks is not None:
        for d in distances:
            kinks.append(float(np.min(np.abs(d))) if np.size(d) else math.inf)


def _extremum_gap(x, axis, largest: bool) -> np.ndarray:
    """For each slice a max/min reduces: the gap between its extreme and the runner-up."""
    axes = tuple(range(x.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    axes = tuple(a % x.ndim for a in axes) if x.ndim else ()
    moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0))) if axes else x
    rows = np.sort(moved.reshape(-1, max(1, int(np.prod([x.shape[a] for a in axes])))), axis=1)
    if rows.shape[1] < 2:
        return np.array([])
    return rows[:, -1] - rows[:, -2] if largest else rows[:, 1] - rows[:, 0]


def _positive(v):
    """v*v + 0.5 >= 0.5: a safe input for log, sqrt, division and real powers."""
    return v * v + 0.5


def _apply(step: Step, a: list, kinks):
    """Run one op on the Tensors ``a`` (the step's arguments), noting distances to kinks."""
    op, p = step.op, step.params
    if op in ("relu", "abs"):
        _gap_to_kink(kinks, a[0].data)
        return a[0].relu() if op == "relu" else a[0].abs()
    if op == "clip":
        _gap_to_kink(kinks, a[0].data - p[0], a[0].data - p[1])
        return a[0].clip(p[0], p[1])
    if op in ("maximum", "minimum"):
        _gap_to_kink(kinks, a[0].data - a[1].data)
        return getattr(mg, op)(a[0], a[1])
    if op in ("max", "min"):
        _gap_to_kink(kinks, _extremum_gap(a[0].data, p[0], largest=op == "max"))
        return getattr(a[0], op)(axis=p[0], keepdims=p[1])
    return SMOOTH_OPS[op](*a, *p)


SMOOTH_OPS = {
    "neg": lambda v: -v,
    "exp": lambda v: v.exp(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "log": lambda v: _positive(v).log(),
    "sqrt": lambda v: mg.sqrt(_positive(v)),
    "np.exp": lambda v: np.exp(v),                         # a numpy ufunc on a Tensor
    "np.tanh": lambda v: np.tanh(v),
    "square": lambda v: v ** 2,
    "cube": lambda v: v ** 3,
    "real power": lambda v, p: _positive(v) ** p,
    "scale": lambda v, c: v * c,
    "constant minus": lambda v, c: c - v,                  # Tensor.__rsub__
    "constant over": lambda v, c: c / _positive(v),        # Tensor.__rtruediv__
    "array times": lambda v, c: np.full(v.shape, c) * v,   # ndarray * Tensor (array ufunc)
    "softmax": lambda v, axis: v.softmax(axis=axis),
    "log_softmax": lambda v, axis: v.log_softmax(axis=axis),
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / _positive(b),
    "tensor power": lambda a, b: _positive(a) ** b,
    "np.multiply": lambda a, b: np.multiply(a, b),
    "where": lambda a, b, mask: mg.where(np.array(mask), a, b),
    "sum": lambda v, axis, keepdims: v.sum(axis=axis, keepdims=keepdims),
    "mean": lambda v, axis, keepdims: v.mean(axis=axis, keepdims=keepdims),
    "reshape": lambda v, shape: v.reshape(shape),
    "transpose": lambda v, axes: v.transpose(*axes) if axes is not None else v.T,
    "index": lambda v, index: v[_index(index)],
    "unsqueeze": lambda v, axis: v.unsqueeze(axis),
    "squeeze": lambda v: v.squeeze(),
    "broadcast_to": lambda v, shape: v.broadcast_to(shape),
    "concatenate": lambda a, b, axis: mg.concatenate([a, b], axis=axis),
    "stack": lambda a, b, axis: mg.stack([a, b], axis=axis),
    "matmul": lambda a, b: a @ b,
}


def _index(index):
    """Indices are stored hashable (tuples); integer-array and mask entries become arrays."""
    def part(item):
        if isinstance(item, tuple) and item and item[0] == "array":
            return np.array(item[1], dtype=bool if item[2] else np.int64)
        return item
    return tuple(part(item) for item in index)


def run(program: Program, leaves: list, kinks=None) -> mg.Tensor:
    """The loss L = sum_i <w_i, v_i> over the values the ops made."""
    values, loss = [], None
    for step, weight in zip(program.steps, program.weights):
        if step.op == "leaf":
            values.append(leaves[step.params[0]])
            continue
        value = _apply(step, [values[i] for i in step.args], kinks)
        values.append(value)
        term = (value * weight).sum()
        loss = term if loss is None else loss + term
    return loss


# --------------------------------------------------------------------------- drawing programs

_ELEMENTS = st.floats(0.05, 2.0) | st.floats(-2.0, -0.05)


def _axis(draw, ndim: int):
    """None, one axis (maybe negative) or a tuple of distinct axes."""
    if ndim == 0:
        return None
    return draw(st.none() | st.integers(-ndim, ndim - 1)
                | st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
                .map(tuple))


def _index_for(draw, shape):
    n = shape[0]
    kinds = [("int",), ("slice",), ("array",), ("mask",)]
    if len(shape) >= 2:
        kinds.append(("last",))
    kind = draw(st.sampled_from(kinds))[0]
    if kind == "int":
        return (draw(st.integers(-n, n - 1)),)
    if kind == "slice":
        bound = st.none() | st.integers(-n - 1, n + 1)
        index = slice(draw(bound), draw(bound), draw(st.sampled_from([1, 2, -1])))
        assume(len(range(*index.indices(n))) > 0)
        return (index, None)
    if kind == "array":  # repeats allowed: their gradients add up
        return (("array", tuple(draw(st.lists(st.integers(-n, n - 1), min_size=1,
                                              max_size=4))), False),)
    if kind == "mask":
        mask = draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
        return (("array", tuple(mask), True),)
    return (Ellipsis, draw(st.integers(-shape[-1], shape[-1] - 1)))


def _reshapes(shape):
    size = int(np.prod(shape, dtype=np.int64))
    return [(size,), (1, size), tuple(reversed(shape)), (*shape, 1), (-1,), (size, -1)]


UNARY = ["neg", "exp", "tanh", "sigmoid", "log", "sqrt", "np.exp", "np.tanh", "square", "cube",
         "relu", "abs", "clip", "real power", "scale", "constant minus", "constant over",
         "array times"]
BINARY = ["add", "sub", "mul", "div", "tensor power", "np.multiply", "maximum", "minimum",
          "where"]
NEEDS_AXIS = ["softmax", "log_softmax", "concatenate", "stack", "index", "matmul"]
OTHER = ["sum", "mean", "max", "min", "reshape", "transpose", "unsqueeze", "squeeze",
         "broadcast_to"]
ALL_OPS = UNARY + BINARY + NEEDS_AXIS + OTHER


class _Builder:
    """Draws a program step by step, evaluating it on the way so shapes are known."""

    def __init__(self, draw):
        self.draw = draw
        self.leaves, self.steps, self.values = [], [], []

    def leaf(self, shape) -> int:
        array = self.draw(hnp.arrays(np.float64, shape, elements=_ELEMENTS, unique=True))
        self.leaves.append(array)
        return self.add(Step("leaf", params=(len(self.leaves) - 1,)))

    def add(self, step: Step) -> int:
        if step.op == "leaf":
            value = mg.Tensor(self.leaves[step.params[0]])
        else:
            with mg.no_grad():
                value = _apply(step, [self.values[i] for i in step.args], None)
        self.steps.append(step)
        self.values.append(value)
        return len(self.values) - 1

    def pick(self, accept=lambda v: True):
        choices = [i for i, v in enumerate(self.values) if accept(v)]
        return self.draw(st.sampled_from(choices)) if choices else None

    def step(self, op: str) -> Step | None:
        """A random use of ``op`` on earlier values, or None where it does not apply."""
        draw = self.draw
        a = self.pick(lambda v: v.ndim >= 1 or op not in NEEDS_AXIS)
        if a is None:
            return None
        shape = self.values[a].shape
        ndim = len(shape)
        if op == "clip":
            low = draw(st.floats(-1.5, 0.5))
            return Step(op, (a,), (low, low + draw(st.floats(0.2, 1.5))))
        if op == "real power":
            return Step(op, (a,), (draw(st.sampled_from([-1.5, -1.0, 0.5, 1.5, 2.5])),))
        if op in ("scale", "constant minus", "constant over", "array times"):
            return Step(op, (a,), (draw(st.floats(-2.0, 2.0)),))
        if op in UNARY:
            return Step(op, (a,))
        if op in BINARY:
            if op in ("maximum", "minimum") or draw(st.booleans()):
                b = self.leaf(draw(st.sampled_from([shape, shape[1:], (1,) * ndim])))
            else:
                b = self.pick(lambda v: _broadcasts(v.shape, shape))
            if op != "where":
                return Step(op, (a, b))
            out = np.broadcast_shapes(shape, self.values[b].shape)
            mask = draw(hnp.arrays(np.bool_, out)).tolist()
            return Step(op, (a, b), (mask,))
        if op in ("softmax", "log_softmax"):
            return Step(op, (a,), (draw(st.integers(-ndim, ndim - 1)),))
        if op in ("sum", "mean", "max", "min"):
            return Step(op, (a,), (_axis(draw, ndim), draw(st.booleans())))
        if op == "reshape":
            return Step(op, (a,), (draw(st.sampled_from(_reshapes(shape))),))
        if op == "transpose":
            axes = draw(st.none() | st.permutations(range(ndim)).map(tuple))
            return Step(op, (a,), (axes,))
        if op == "index":
            return Step(op, (a,), (_index_for(draw, shape),))
        if op == "unsqueeze":
            return Step(op, (a,), (draw(st.integers(-ndim - 1, ndim)),))
        if op == "squeeze":
            return Step(op, (a,))
        if op == "broadcast_to":
            return Step(op, (a,), ((2, *shape),))
        if op in ("concatenate", "stack"):
            b = self.pick(lambda v: v.shape == shape)
            extra = 1 if op == "stack" else 0
            return Step(op, (a, b), (draw(st.integers(-ndim - extra, ndim - 1 + extra)),))
        if op == "matmul":
            return self._matmul(a, shape)
        raise AssertionError(op)

    def _matmul(self, a: int, shape) -> Step:
        """a @ W or W @ a with a new leaf W of a fitting shape (1-d, 2-d or batched)."""
        draw = self.draw
        k = draw(st.integers(1, 3))
        if draw(st.booleans()):  # a @ W: W's rows match a's last axis
            n = shape[-1]
            batch = draw(st.sampled_from([(), (1,), (2,)] if len(shape) <= 2 else
                                         [(), (1,), shape[:-2]]))
            w_shape = draw(st.sampled_from([(n,), (*batch, n, k)]))
            return Step("matmul", (a, self.leaf(w_shape)))
        m = shape[-2] if len(shape) >= 2 else shape[0]
        w_shape = draw(st.sampled_from([(m,), (k, m)]))
        return Step("matmul", (self.leaf(w_shape), a))


def _broadcasts(s1, s2) -> bool:
    try:
        np.broadcast_shapes(s1, s2)
        return True
    except ValueError:
        return False


@st.composite
def programs(draw, first_op: str) -> Program:
    """Leaves, then ``first_op`` on them, then up to 3 more random ops on anything made so far."""
    builder = _Builder(draw)
    n_leaves = draw(st.integers(1, 3))
    shapes = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=n_leaves, min_dims=1 if first_op in NEEDS_AXIS else 0, max_dims=3,
        max_side=3)).input_shapes
    for shape in shapes:
        builder.leaf(shape)
    ops = [first_op] + draw(st.lists(st.sampled_from(ALL_OPS), max_size=3))
    for op in ops:
        step = builder.step(op)
        if step is None:
            continue
        value = builder.values[builder.add(step)]
        if value.size > MAX_SIZE or value.size == 0:  # too big to difference cheaply, or empty
            builder.steps.pop()
            builder.values.pop()
    made = [v for s, v in zip(builder.steps, builder.values) if s.op != "leaf"]
    assume(any(s.op == first_op for s in builder.steps))
    assume(all(np.isfinite(v.data).all() and np.abs(v.data).max() <= MAX_ABS for v in made))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    weights = [None if s.op == "leaf" else rng.uniform(-1, 1, v.shape)
               for s, v in zip(builder.steps, builder.values)]
    return Program(builder.leaves, builder.steps, weights)


# --------------------------------------------------------------------------- the gradient check


def finite_difference_gradients(program: Program) -> list:
    """dL/dx for every element of every leaf: (L(x + h e_k) - L(x - h e_k)) / 2h."""
    def loss_at(arrays):
        with mg.no_grad():
            return run(program, [mg.Tensor(x) for x in arrays]).item()
    grads = []
    for j, leaf in enumerate(program.leaves):
        grad = np.zeros_like(leaf)
        for k in np.ndindex(leaf.shape):
            arrays = [x.copy() for x in program.leaves]
            arrays[j][k] = leaf[k] + H
            plus = loss_at(arrays)
            arrays[j][k] = leaf[k] - H
            grad[k] = (plus - loss_at(arrays)) / (2 * H)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("first_op", ALL_OPS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_graphs_have_gradients_matching_finite_differences(first_op, data):
    program = data.draw(programs(first_op))
    leaves = [mg.tensor(x, requires_grad=True) for x in program.leaves]
    kinks = []
    loss = run(program, leaves, kinks)
    assume(not kinks or min(kinks) > KINK_MARGIN)
    loss.backward()
    expected = finite_difference_gradients(program)
    for j, (x, numeric) in enumerate(zip(leaves, expected)):
        analytic = np.zeros_like(numeric) if x.grad is None else x.grad.data
        assert analytic.shape == x.shape and analytic.dtype == np.float64
        np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL,
                                   err_msg=f"leaf {j} of {program.steps}")


@pytest.mark.parametrize("first_op", ALL_OPS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_grad_of_leaves_and_of_intermediates_agrees_with_backward(first_op, data):
    # mg.grad walks the same engine with a capture instead of .grad: both must agree, also for
    # intermediate tensors (dL/dh there is what backward passes through h's node)
    program = data.draw(programs(first_op))
    leaves = [mg.tensor(x, requires_grad=True) for x in program.leaves]
    loss = run(program, leaves)
    loss.backward(retain_graph=True)
    grads = mg.grad(loss, leaves, retain_graph=True, allow_unused=True)
    for x, g in zip(leaves, grads):
        if x.grad is None:
            assert g is None or not np.any(g.data)
        else:
            np.testing.assert_array_equal(g.data, x.grad.data)
    node = loss.grad_fn
    inner = [a for a in node.inputs if isinstance(a, mg.Tensor) and a.grad_fn is not None]
    if inner:  # dL/dh for an input h of the last op, against a retained gradient
        def fresh():
            out = run(program, [mg.tensor(x, requires_grad=True) for x in program.leaves])
            return out, next(a for a in out.grad_fn.inputs
                             if isinstance(a, mg.Tensor) and a.grad_fn is not None)
        loss2, h2 = fresh()
        (gh,) = mg.grad(loss2, [h2])
        loss3, h3 = fresh()
        h3.retain_grad()
        loss3.backward()
        assert gh.shape == inner[0].shape
        np.testing.assert_allclose(gh.data, h3.grad.data, rtol=1e-12, atol=1e-12)


def test_the_gradient_check_catches_a_wrong_backward(monkeypatch):
    """Control: with Tanh's derivative off by 1%, the comparison above fails."""
    program = Program([np.array([0.3, -0.7])], [Step("leaf", params=(0,)), Step("tanh", (0,))],
                      [None, np.array([1.0, -0.5])])
    x = mg.tensor(program.leaves[0], requires_grad=True)
    original = Tanh.backward
    monkeypatch.setattr(Tanh, "backward", staticmethod(lambda ctx, g: original(ctx, g) * 1.01))
    run(program, [x]).backward()
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(x.grad.data, finite_difference_gradients(program)[0],
                                   rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- optimizers

_LR = st.floats(1e-4, 10.0)
_EPS = st.floats(1e-12, 1e-3)


@st.composite
def parameter_arrays(draw) -> list:
    """1-3 float32/float64 arrays of random small shapes with finite values."""
    return [draw(hnp.arrays(draw(st.sampled_from([np.float32, np.float64])),
                            hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                            elements=st.floats(-1e3, 1e3, width=32)))
            for _ in range(draw(st.integers(1, 3)))]


def _run_steps(optimizer, params, gradients_per_step) -> None:
    for gradients in gradients_per_step:
        for p, g in zip(params, gradients):
            p.grad = mg.Tensor(g)
        optimizer.step()


@settings(max_examples=60, deadline=None)
@given(arrays=parameter_arrays(), data=st.data(), momentum=st.floats(0, 0.99),
       dampening=st.floats(0, 1), weight_decay=st.floats(0, 1), maximize=st.booleans(),
       steps=st.integers(1, 4))
def test_sgd_with_zero_lr_leaves_parameters_unchanged(arrays, data, momentum, dampening,
                                                      weight_decay, maximize, steps):
    """θ ← θ - 0 · g: whatever the momentum, dampening, weight decay or direction.

    Compared by value (np.array_equal), since -0.0 - 0.0 may become +0.0.
    """
    nesterov = momentum > 0 and dampening == 0 and data.draw(st.booleans())
    params = [mg.tensor(a, requires_grad=True) for a in arrays]
    sgd = optim.SGD(params, lr=0.0, momentum=momentum, dampening=dampening,
                    weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
    gradients = [[data.draw(hnp.arrays(a.dtype, a.shape, elements=st.floats(-1e3, 1e3, width=32)))
                  for a in arrays] for _ in range(steps)]
    _run_steps(sgd, params, gradients)
    for p, a in zip(params, arrays):
        assert p.dtype == a.dtype and np.array_equal(p.data, a)


ZERO_GRADIENT_OPTIMIZERS = {
    optim.SGD: st.fixed_dictionaries({"lr": _LR, "momentum": st.floats(0, 0.99),
                                      "maximize": st.booleans()}),
    optim.Adam: st.fixed_dictionaries({
        "lr": _LR, "betas": st.tuples(st.floats(0, 0.99), st.floats(0, 0.999)), "eps": _EPS,
        "amsgrad": st.booleans(), "maximize": st.booleans()}),
    optim.AdamW: st.fixed_dictionaries({"lr": _LR, "eps": _EPS, "weight_decay": st.just(0.0),
                                        "amsgrad": st.booleans()}),
    optim.RMSprop: st.fixed_dictionaries({
        "lr": _LR, "alpha": st.floats(0, 0.999), "eps": _EPS, "momentum": st.floats(0, 0.99),
        "centered": st.booleans(), "maximize": st.booleans()}),
    optim.Adagrad: st.fixed_dictionaries({
        "lr": _LR, "lr_decay": st.floats(0, 1), "eps": _EPS,
        "initial_accumulator_value": st.floats(0, 1)}),
}


@pytest.mark.parametrize("optimizer_class", ZERO_GRADIENT_OPTIMIZERS, ids=lambda c: c.__name__)
@settings(max_examples=30, deadline=None)
@given(arrays=parameter_arrays(), data=st.data(), steps=st.integers(1, 4))
def test_zero_gradients_leave_parameters_unchanged(optimizer_class, arrays, data, steps):
    """Without weight decay, a zero gradient moves nothing: every update is lr · 0 / (...)."""
    params = [mg.tensor(a, requires_grad=True) for a in arrays]
    optimizer = optimizer_class(params, **data.draw(ZERO_GRADIENT_OPTIMIZERS[optimizer_class]))
    _run_steps(optimizer, params, [[np.zeros_like(a) for a in arrays]] * steps)
    for p, a in zip(params, arrays):
        assert np.array_equal(p.data, a)


@settings(max_examples=40, deadline=None)
@given(center=hnp.arrays(np.float64, st.integers(1, 4), elements=st.floats(-3, 3)),
       std=st.floats(0.01, 3.0), mode=st.sampled_from(["global", "local"]),
       seed=st.integers(0, 2 ** 32), nan_above=st.floats(-1.0, 5.0), steps=st.integers(1, 15))
def test_random_search_never_increases_its_best_loss(center, std, mode, seed, nan_above, steps):
    """Each step returns min(best, L(proposal)); NaN losses (here: when w[0] > nan_above) are
    never accepted; the parameters always hold the best point found."""
    w = mg.tensor(np.zeros(center.shape, np.float32), requires_grad=True)

    def loss() -> float:
        if w.data[0] > nan_above:
            return math.nan
        return float(((w.data - center) ** 2).sum())

    search = optim.RandomSearch([w], std=std, mode=mode, seed=seed)
    best = math.inf
    for _ in range(steps):
        returned = search.step(loss)
        assert not math.isnan(returned) and returned <= best
        assert returned == search.best_loss
        best = returned
        if best < math.inf:
            assert loss() == best  # the parameters are the best point
        else:
            np.testing.assert_array_equal(w.data, 0.0)  # nothing accepted: still the start
    assert search.evaluations.loss == steps and search.evaluations.grad == 0


# --------------------------------------------------------------------------- batching


class IndexDataset(Dataset):
    """Sample i is i: a data set without the TensorDataset fast path."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index):
        return index


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2 ** 32), fast=st.booleans())
def test_dataloader_partitions_the_dataset_exactly(n, batch_size, shuffle, drop_last, seed, fast):
    dataset = TensorDataset(np.arange(n)) if fast else IndexDataset(n)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                        seed=seed)
    kept = n - n % batch_size if drop_last else n
    epochs = []
    for _ in range(2):
        batches = [(b[0] if fast else b).data.tolist() for b in loader]
        assert len(batches) == len(loader) == -(-kept // batch_size)
        assert all(len(b) == batch_size for b in batches[:-1])
        assert not batches or 1 <= len(batches[-1]) <= batch_size
        if drop_last:
            assert all(len(b) == batch_size for b in batches)
        seen = [i for b in batches for i in b]
        assert len(seen) == len(set(seen)) == kept and set(seen) <= set(range(n))
        if not shuffle:
            assert seen == list(range(kept))
        epochs.append(seen)
    if not drop_last:
        assert sorted(epochs[0]) == sorted(epochs[1]) == list(range(n))
