"""Optimizers: hand-computed steps for every option, the base-class contract, checkpoints,
evaluation counting, random search, and training a tiny model with each optimizer."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

F64 = np.float64


def trajectory(make, grads, theta0=1.0, **kwargs):
    """θ after each step of ``make([θ], **kwargs)`` on a one-element float64 parameter.

    ``grads`` lists the gradient handed to each step: a number, or a function of the current θ.
    """
    p = mg.tensor([theta0], dtype=F64, requires_grad=True)
    opt = make([p], **kwargs)
    thetas = []
    for g in grads:
        value = g(p.data[0]) if callable(g) else g
        p.grad = mg.tensor([value], dtype=F64)
        opt.step()
        thetas.append(p.data[0])
    return thetas


def close(expected):
    return pytest.approx(expected, rel=1e-12, abs=1e-12)


def square(theta):     # f(θ) = θ², f'(θ) = 2θ
    return 2 * theta


def zero(theta):       # f = 0: only the weight decay moves θ
    return 0.0


# ---------------------------------------------------------------------------- SGD, by hand
def test_sgd_plain():
    # θ ← θ - 0.1·2θ = 0.8 θ
    assert trajectory(optim.SGD, [square] * 3, lr=0.1) == close([0.8, 0.64, 0.512])


def test_sgd_momentum():
    # b1 = g1 = 2 → θ1 = 0.8; g2 = 1.6, b2 = 0.9·2 + 1.6 = 3.4 → θ2 = 0.8 - 0.34 = 0.46;
    # g3 = 0.92, b3 = 0.9·3.4 + 0.92 = 3.98 → θ3 = 0.46 - 0.398 = 0.062
    assert trajectory(optim.SGD, [square] * 3, lr=0.1, momentum=0.9) == close([0.8, 0.46, 0.062])


def test_sgd_dampening_skips_the_first_step():
    # b1 = g1 = 2 (no dampening) → 0.8; b2 = 0.9·2 + 0.5·1.6 = 2.6 → 0.54;
    # b3 = 0.9·2.6 + 0.5·1.08 = 2.88 → 0.54 - 0.288 = 0.252
    assert trajectory(optim.SGD, [square] * 3, lr=0.1, momentum=0.9, dampening=0.5) == \
        close([0.8, 0.54, 0.252])


def test_sgd_nesterov():
    # b1 = 2, step 2 + 0.9·2 = 3.8 → 0.62; g2 = 1.24, b2 = 1.8 + 1.24 = 3.04,
    # step 1.24 + 0.9·3.04 = 3.976 → 0.2224; g3 = 0.4448, b3 = 0.9·3.04 + 0.4448 = 3.1808,
    # step 0.4448 + 0.9·3.1808 = 3.30752 → -0.108352
    assert trajectory(optim.SGD, [square] * 3, lr=0.1, momentum=0.9, nesterov=True) == \
        close([0.62, 0.2224, -0.108352])


def test_sgd_weight_decay():
    # g = 2θ + 0.5θ → θ ← 0.75 θ
    assert trajectory(optim.SGD, [square] * 3, lr=0.1, weight_decay=0.5) == \
        close([0.75, 0.5625, 0.421875])


def test_sgd_maximize_climbs_and_negates_before_the_decay():
    assert trajectory(optim.SGD, [square] * 3, lr=0.1, maximize=True) == \
        close([1.2, 1.44, 1.728])
    # g = -2θ + 0.5θ = -1.5θ → θ ← 1.15 θ (PyTorch's order: negate, then add λθ)
    assert trajectory(optim.SGD, [square] * 3, lr=0.1, maximize=True, weight_decay=0.5) == \
        close([1.15, 1.3225, 1.520875])


# ---------------------------------------------------------------------------- Adagrad, by hand
def test_adagrad_constant_gradient():
    # sum_t = 4t → step_t = 0.1·2 / (2√t) = 0.1/√t
    expected = [1 - 0.1, 1 - 0.1 * (1 + 1 / math.sqrt(2)),
                1 - 0.1 * (1 + 1 / math.sqrt(2) + 1 / math.sqrt(3))]
    assert trajectory(optim.Adagrad, [2.0] * 3, lr=0.1, eps=0) == close(expected)


def test_adagrad_lr_decay():
    # lr_t = 0.1 / (1 + (t-1)·0.5) = 0.1, 0.1/1.5, 0.1/2
    theta2 = 0.9 - 0.1 / 1.5 / math.sqrt(2)
    expected = [0.9, theta2, theta2 - 0.05 / math.sqrt(3)]
    assert trajectory(optim.Adagrad, [2.0] * 3, lr=0.1, lr_decay=0.5, eps=0) == close(expected)


def test_adagrad_initial_accumulator_value():
    # sum_t = 5 + 4t → step_t = 0.2 / √(5 + 4t)
    expected = np.cumsum([-0.2 / 3, -0.2 / math.sqrt(13), -0.2 / math.sqrt(17)]) + 1
    assert trajectory(optim.Adagrad, [2.0] * 3, lr=0.1, initial_accumulator_value=5,
                      eps=0) == close(list(expected))


def test_adagrad_eps_is_added_to_the_root():
    expected = np.cumsum([-0.2 / (2 * math.sqrt(t) + 1) for t in (1, 2, 3)]) + 1
    assert trajectory(optim.Adagrad, [2.0] * 3, lr=0.1, eps=1.0) == close(list(expected))


def test_adagrad_weight_decay_and_maximize():
    # g = 0 + 1·θ: g1 = 1, sum 1 → θ1 = 0.9; g2 = 0.9, sum 1.81 → θ2 = 0.9 - 0.09/√1.81
    theta2 = 0.9 - 0.09 / math.sqrt(1.81)
    assert trajectory(optim.Adagrad, [zero] * 2, lr=0.1, weight_decay=1.0, eps=0) == \
        close([0.9, theta2])
    assert trajectory(optim.Adagrad, [2.0] * 2, lr=0.1, eps=0, maximize=True) == \
        close([1.1, 1.1 + 0.1 / math.sqrt(2)])


# ---------------------------------------------------------------------------- RMSprop, by hand
def test_rmsprop_constant_gradient():
    # v_t = (1 - 0.99^t)·4 → step_t = 0.01 / √(1 - 0.99^t)
    steps = [0.01 / math.sqrt(1 - 0.99 ** t) for t in (1, 2, 3)]
    assert trajectory(optim.RMSprop, [2.0] * 3, lr=0.01, eps=0) == \
        close(list(1 - np.cumsum(steps)))
    assert trajectory(optim.RMSprop, [2.0] * 3, lr=0.01, eps=0, maximize=True) == \
        close(list(1 + np.cumsum(steps)))


def test_rmsprop_alpha():
    steps = [0.01 / math.sqrt(1 - 0.5 ** t) for t in (1, 2, 3)]
    assert trajectory(optim.RMSprop, [2.0] * 3, lr=0.01, alpha=0.5, eps=0) == \
        close(list(1 - np.cumsum(steps)))


def test_rmsprop_centered():
    # ḡ_t = 2(1 - a^t), v_t = 4(1 - a^t): v - ḡ² = 4 a^t (1 - a^t) → step 0.01/√(a^t (1-a^t))
    steps = [0.01 / math.sqrt(0.99 ** t * (1 - 0.99 ** t)) for t in (1, 2, 3)]
    assert trajectory(optim.RMSprop, [2.0] * 3, lr=0.01, eps=0, centered=True) == \
        close(list(1 - np.cumsum(steps)))


def test_rmsprop_momentum():
    # b_t = 0.9 b_{t-1} + 1/√(1 - 0.99^t);  θ ← θ - 0.01 b
    b1 = 1 / math.sqrt(0.01)
    b2 = 0.9 * b1 + 1 / math.sqrt(1 - 0.99 ** 2)
    b3 = 0.9 * b2 + 1 / math.sqrt(1 - 0.99 ** 3)
    expected = [1 - 0.01 * b1, 1 - 0.01 * (b1 + b2), 1 - 0.01 * (b1 + b2 + b3)]
    assert trajectory(optim.RMSprop, [2.0] * 3, lr=0.01, eps=0, momentum=0.9) == close(expected)


def test_rmsprop_weight_decay_and_eps():
    # g = θ: v1 = 0.01 → θ1 = 1 - 0.01·1/0.1 = 0.9; v2 = 0.0099 + 0.0081 = 0.018
    assert trajectory(optim.RMSprop, [zero] * 2, lr=0.01, weight_decay=1.0, eps=0) == \
        close([0.9, 0.9 - 0.009 / math.sqrt(0.018)])
    # d = √(0.04) + 0.1 = 0.3 → θ1 = 1 - 0.01·2/0.3
    assert trajectory(optim.RMSprop, [2.0], lr=0.01, eps=0.1) == close([1 - 0.02 / 0.3])


# ---------------------------------------------------------------------------- Adam, by hand
def test_adam_constant_gradient_moves_exactly_lr_per_step():
    # bias correction makes m̂ = g and v̂ = g² for a constant g: each step is lr·g/|g|
    assert trajectory(optim.Adam, [2.0] * 3, lr=0.1, eps=0) == close([0.9, 0.8, 0.7])
    assert trajectory(optim.Adam, [2.0] * 3, lr=0.1, eps=0, maximize=True) == \
        close([1.1, 1.2, 1.3])


def test_adam_eps_is_added_after_the_bias_correction():
    # denominator √v̂ + ε = 2 + 1
    assert trajectory(optim.Adam, [2.0] * 3, lr=0.1, eps=1.0) == \
        close([1 - 0.2 / 3, 1 - 0.4 / 3, 1 - 0.6 / 3])


def test_adam_varying_gradient():
    # g = 2, -1, 0.5: m2 = 0.9·0.2 - 0.1 = 0.08, v2 = 0.999·0.004 + 0.001 = 0.004996;
    # m3 = 0.9·0.08 + 0.05 = 0.122, v3 = 0.999·0.004996 + 0.00025 = 0.005241004
    theta2 = 0.9 - 0.1 * (0.08 / 0.19) / math.sqrt(0.004996 / (1 - 0.999 ** 2))
    theta3 = theta2 - 0.1 * (0.122 / (1 - 0.9 ** 3)) / math.sqrt(0.005241004 / (1 - 0.999 ** 3))
    assert trajectory(optim.Adam, [2.0, -1.0, 0.5], lr=0.1, eps=0) == close([0.9, theta2, theta3])


def test_adam_amsgrad_keeps_the_largest_second_moment():
    # betas (0.5, 0.5), g = 3, 0.1: v1 = 4.5, v2 = 2.25 + 0.005 = 2.255 < max = 4.5;
    # m2 = 0.75 + 0.05 = 0.8; both bias corrections are 1 - 0.25 = 0.75
    kwargs = dict(lr=0.1, betas=(0.5, 0.5), eps=0)
    with_max = 0.9 - 0.1 * (0.8 / 0.75) / math.sqrt(4.5 / 0.75)
    without = 0.9 - 0.1 * (0.8 / 0.75) / math.sqrt(2.255 / 0.75)
    assert trajectory(optim.Adam, [3.0, 0.1], amsgrad=True, **kwargs) == close([0.9, with_max])
    assert trajectory(optim.Adam, [3.0, 0.1], **kwargs) == close([0.9, without])


def test_adam_weight_decay_is_an_l2_term_in_the_gradient():
    # g1 = 2 + 0.5 = 2.5 → θ1 = 0.9; g2 = 2 + 0.45 = 2.45:
    # m2 = 0.9·0.25 + 0.245 = 0.47, v2 = 0.999·0.00625 + 0.001·6.0025 = 0.01224625
    theta2 = 0.9 - 0.1 * (0.47 / 0.19) / math.sqrt(0.01224625 / (1 - 0.999 ** 2))
    assert trajectory(optim.Adam, [2.0] * 2, lr=0.1, eps=0, weight_decay=0.5) == \
        close([0.9, theta2])


def test_adamw_decouples_the_weight_decay():
    # θ ← 0.95 θ - 0.1 (shrink by lr·λ = 0.05, then Adam's constant-gradient step of lr)
    expected = [0.85, 0.85 * 0.95 - 0.1, (0.85 * 0.95 - 0.1) * 0.95 - 0.1]
    assert trajectory(optim.AdamW, [2.0] * 3, lr=0.1, eps=0, weight_decay=0.5) == close(expected)
    assert trajectory(optim.Adam, [2.0] * 3, lr=0.1, eps=0, weight_decay=0.5,
                      decoupled_weight_decay=True) == close(expected)


def test_adam_step_counter_advances_once_per_step_call():
    a = mg.tensor(np.ones(3), requires_grad=True)
    b = mg.tensor(np.ones((2, 2)), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    for i in range(5):
        a.grad = mg.tensor(np.ones(3))
        b.grad = None if i == 2 else mg.tensor(np.ones((2, 2)))
        opt.step()
    assert opt.state[a]["step"] == 5
    assert opt.state[b]["step"] == 4     # its gradient was missing once: that step skipped it


def test_defaults_match_pytorch():
    p = mg.tensor([1.0], requires_grad=True)
    expected = {
        optim.SGD: dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                        maximize=False),
        optim.Adagrad: dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                            eps=1e-10, maximize=False),
        optim.RMSprop: dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                            centered=False, maximize=False),
        optim.Adam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                         maximize=False, decoupled_weight_decay=False),
        optim.AdamW: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                          amsgrad=False, maximize=False, decoupled_weight_decay=True),
        optim.RandomSearch: dict(std=1e-3, mode="global"),
    }
    for cls, defaults in expected.items():
        assert cls([p]).defaults == defaults, cls.__name__


# ---------------------------------------------------------------------------- the base contract
ALL_CONFIGS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.2)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, maximize=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True)),
    (optim.AdamW, dict(lr=0.1, amsgrad=True)),
]
CONFIG_IDS = [f"{c.__name__}-{k}" for c, k in ALL_CONFIGS]


@pytest.mark.parametrize("make,kwargs", ALL_CONFIGS, ids=CONFIG_IDS)
def test_updates_keep_float32_and_never_write_the_gradient(make, kwargs):
    rng = np.random.default_rng(1)
    p = mg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    data = p.data
    opt = make([p], **kwargs)
    for _ in range(3):
        grad = rng.standard_normal((3, 4)).astype(np.float32)
        p.grad = mg.Tensor(grad.copy())
        grad_array = p.grad.data
        before = p.data.copy()
        opt.step()
        assert p.grad.data is grad_array
        np.testing.assert_array_equal(grad_array, grad)        # gradient untouched
        assert not np.array_equal(p.data, before)
    assert p.data is data and p.dtype == np.float32            # updated in place, same dtype
    for value in opt.state[p].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


@pytest.mark.parametrize("make,kwargs", ALL_CONFIGS, ids=CONFIG_IDS)
def test_parameters_without_gradient_are_skipped(make, kwargs):
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    opt = make([a, b], **kwargs)
    a.grad = mg.tensor([0.5, -0.5])
    opt.step()
    assert b.data.tolist() == [3.0, 4.0]
    assert a.data.tolist() != [1.0, 2.0]
    assert 1 not in opt.state_dict()["state"] or make is optim.Adagrad  # Adagrad: from start


def test_updates_are_not_recorded_in_the_graph():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    assert w.is_leaf and w.grad_fn is None and w.requires_grad


def test_zero_grad():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)
    (a * a).sum().backward()
    old = a.grad.data
    opt.zero_grad(set_to_none=False)
    assert a.grad.data.tolist() == [0.0, 0.0] and a.grad.data is not old
    assert old.tolist() == [2.0, 4.0]                 # the old array is not zeroed in place
    assert b.grad is None                             # no gradient stays no gradient
    opt.zero_grad()
    assert a.grad is None


def test_step_with_closure_returns_its_loss_and_records_under_no_grad():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        calls.append(mg.is_grad_enabled())
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == 5.0
    assert w.data.tolist() == pytest.approx([0.8, -1.6])
    assert opt.step() is None


def test_parameter_groups_use_their_own_hyperparameters():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1)
    assert opt.param_groups[1]["momentum"] == 0          # filled from the defaults
    a.grad, b.grad = mg.tensor([1.0]), mg.tensor([1.0])
    opt.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.5)
    c = mg.tensor([1.0], requires_grad=True)
    opt.add_param_group({"params": [c], "lr": 0.25})
    c.grad = mg.tensor([1.0])
    opt.step()
    assert c.data[0] == pytest.approx(0.75)
    assert "Parameter Group 2" in repr(opt) and "lr: 0.25" in repr(opt)


def test_named_parameters_are_accepted():
    w = mg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([("w", w)], lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 1 and opt.param_groups[0]["params"][0] is w
    assert opt.param_groups[0]["param_names"] == ["w"]
    with pytest.raises(ValueError, match="names"):
        optim.SGD([("w", w), mg.tensor([1.0], requires_grad=True)])


def test_param_groups_are_all_named_or_all_unnamed():
    a, b = (mg.tensor([1.0], requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="with/without names"):
        optim.SGD([{"params": [("a", a)]}, {"params": [b]}])
    for first, added, message in (([("a", a)], [b], "without names"),
                                  ([a], [("b", b)], "with names")):
        opt = optim.SGD(first, lr=0.1)
        with pytest.raises(ValueError, match=message):
            opt.add_param_group({"params": added})
        assert len(opt.param_groups) == 1                # nothing changed


def test_load_state_dict_takes_the_saved_param_names(tmp_path):
    def fresh(named, name="v"):
        w = mg.tensor([1.0], requires_grad=True)
        return optim.SGD([(name, w)] if named else [w], lr=0.1)

    saved_named = fresh(True, "w").state_dict()
    mg.save(saved_named, tmp_path / "named.npz")
    for saved in (saved_named, mg.load(tmp_path / "named.npz")):
        for target in (fresh(False), fresh(True)):   # the saved names win
            target.load_state_dict(saved)
            assert target.param_groups[0]["param_names"] == ["w"]
            assert target.state_dict()["param_groups"][0]["param_names"] == ["w"]
    target = fresh(True)
    target.load_state_dict(fresh(False).state_dict())  # none saved: the optimizer's stay
    assert target.param_groups[0]["param_names"] == ["v"]
    bad = {**saved_named, "param_groups": [{**saved_named["param_groups"][0],
                                            "param_names": ["w", "x"]}]}
    with pytest.raises(ValueError, match="param_names"):
        fresh(False).load_state_dict(bad)


# ---------------------------------------------------------------------------- input errors
def test_params_errors():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got a Tensor"):
        optim.SGD(w)
    with pytest.raises(TypeError, match="sets"):
        optim.SGD({w})
    with pytest.raises(TypeError, match="sets"):
        optim.SGD([{"params": {w}}])
    with pytest.raises(TypeError, match="but got int"):
        optim.SGD(3)
    with pytest.raises(TypeError, match="one of the params is float"):
        optim.SGD([w, 1.0])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}])
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([w, w])
    with pytest.raises(TypeError, match="floating-point.*int64"):
        optim.SGD([mg.tensor([1, 2])])
    with pytest.raises(TypeError, match="one dict"):
        optim.SGD({"params": [w]})


BAD_HYPERPARAMETERS = [
    (optim.SGD, dict(lr=-0.1), ValueError, r"learning rate: lr=-0\.1"),
    (optim.SGD, dict(lr=float("nan")), ValueError, "lr=nan"),
    (optim.SGD, dict(lr="0.1"), TypeError, "lr must be a real number"),
    (optim.SGD, dict(momentum=-0.5), ValueError, r"momentum=-0\.5"),
    (optim.SGD, dict(weight_decay=-1), ValueError, "weight_decay=-1"),
    (optim.SGD, dict(nesterov=True), ValueError, "Nesterov momentum requires a momentum"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError,
     r"zero dampening.*dampening=0\.1"),
    (optim.SGD, dict(nesterov="yes"), TypeError, "nesterov must be True or False"),
    (optim.Adagrad, dict(lr_decay=-1), ValueError, "lr_decay=-1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), ValueError,
     "initial_accumulator_value=-1"),
    (optim.Adagrad, dict(eps=-1e-10), ValueError, "eps=-1e-10"),
    (optim.RMSprop, dict(alpha=-0.1), ValueError, r"alpha=-0\.1"),
    (optim.RMSprop, dict(eps=-1.0), ValueError, "eps=-1.0"),
    (optim.RMSprop, dict(momentum=-1.0), ValueError, "momentum=-1.0"),
    (optim.Adam, dict(betas=(1.0, 0.999)), ValueError, r"index 0: betas\[0\]=1\.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), ValueError, r"index 1: betas\[1\]=-0\.1"),
    (optim.Adam, dict(betas=(0.9,)), ValueError, "pair"),
    (optim.Adam, dict(eps=-1e-8), ValueError, "eps=-1e-08"),
    (optim.Adam, dict(weight_decay=-0.1), ValueError, "weight_decay=-0.1"),
    (optim.AdamW, dict(lr=-1e-3), ValueError, "lr=-0.001"),
    (optim.RandomSearch, dict(std=-1.0), ValueError, "std=-1.0"),
    (optim.RandomSearch, dict(mode="sideways"), ValueError, "'global' or 'local'.*sideways"),
    (optim.RandomSearch, dict(seed=1.5), TypeError, "seed"),
]


@pytest.mark.parametrize("make,kwargs,error,message", BAD_HYPERPARAMETERS,
                         ids=[f"{m.__name__}-{k}" for m, k, _, _ in BAD_HYPERPARAMETERS])
def test_bad_hyperparameters(make, kwargs, error, message):
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(error, match=message):
        make([w], **kwargs)
    # the same value in a parameter group is rejected too, and leaves the optimizer unchanged
    if make is not optim.RandomSearch or "seed" not in kwargs:
        opt = make([w])
        before = opt.state_dict()
        group = {"params": [mg.tensor([1.0], requires_grad=True)], **kwargs}
        with pytest.raises(error, match=message):
            opt.add_param_group(group)
        assert _arrays_equal(opt.state_dict(), before)


def test_add_param_group_rejects_overlap_and_changes_nothing():
    a = mg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [mg.tensor([2.0], requires_grad=True), a]})
    assert len(opt.param_groups) == 1
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([a])
    with pytest.raises(ValueError, match="'params' entry"):
        opt.add_param_group({"lr": 0.1})


def test_gradient_of_the_wrong_shape_is_a_clear_error():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w])
    w.grad = mg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"shape \(2,\) has a gradient of shape \(3,\)"):
        opt.step()
    assert w.data.tolist() == [1.0, 2.0]


# ---------------------------------------------------------------------------- evaluations
def test_evaluation_counting():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    opt.step(closure)
    assert (opt.evaluations.loss, opt.evaluations.grad) == (2, 2)
    closure()
    opt.step()                     # the caller computed the gradient: one more
    assert (opt.evaluations.loss, opt.evaluations.grad) == (2, 3)
    opt.evaluations.add(loss=4)    # e.g. the loss evaluations of a numerical gradient
    assert (opt.evaluations.loss, opt.evaluations.grad) == (6, 3)
    opt.evaluations.add(grad=1).add(loss=1)
    assert opt.evaluations == optim.Evaluations(loss=7, grad=4)
    with pytest.raises(ValueError, match="loss must be >= 0, got -1"):
        opt.evaluations.add(loss=-1)
    with pytest.raises(TypeError, match="grad must be a whole number.*1.5"):
        opt.evaluations.add(grad=1.5)
    assert opt.evaluations == optim.Evaluations(loss=7, grad=4)
    opt.evaluations.reset()
    assert opt.evaluations == optim.Evaluations(0, 0)


def test_random_search_counts_only_loss_evaluations():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.RandomSearch([w], std=0.1, mode="local", seed=0)
    for _ in range(7):
        opt.step(lambda: (w * w).sum())
    assert opt.evaluations == optim.Evaluations(loss=7, grad=0)


# ---------------------------------------------------------------------------- checkpoints
def _fake_grads(shape_a, shape_b, steps, seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape_a), rng.standard_normal(shape_b)) for _ in range(steps)]


def _run_steps(opt, params, grads):
    out = []
    for ga, gb in grads:
        params[0].grad, params[1].grad = mg.tensor(ga), mg.tensor(gb)
        opt.step()
        out.append([p.data.copy() for p in params])
    return out


@pytest.mark.parametrize("make,kwargs", ALL_CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_continues_identically(make, kwargs, tmp_path):
    start = [np.arange(6.0).reshape(2, 3), np.array([0.5, -0.5])]
    first, later = _fake_grads((2, 3), (2,), 4, 1), _fake_grads((2, 3), (2,), 5, 2)
    params = [mg.tensor(a, requires_grad=True) for a in start]
    opt = make([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}], **kwargs)
    _run_steps(opt, params, first)
    saved = opt.state_dict()
    path = tmp_path / "opt.npz"
    mg.save(saved, path)

    fresh = [mg.tensor(p.data, requires_grad=True) for p in params]   # copies
    fresh_opt = make([{"params": [fresh[0]]}, {"params": [fresh[1]]}], **kwargs)
    fresh_opt.load_state_dict(mg.load(path))
    assert fresh_opt.param_groups[1]["lr"] == 0.05
    expected = _run_steps(opt, params, later)
    assert _arrays_equal(saved, mg.load(path))     # the saved dict is a copy: unchanged
    got = _run_steps(fresh_opt, fresh, later)
    for e, g in zip(expected, got):
        for a, b in zip(e, g):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("via_file", [False, True], ids=["in-memory", "file"])
@pytest.mark.parametrize("make,kwargs", ALL_CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_keeps_the_buffers_of_a_0d_parameter(make, kwargs, via_file,
                                                                    tmp_path):
    # a scalar parameter's buffers are 0-d arrays: loading must keep them arrays, not floats
    start = [np.array(0.75), np.array([0.5, -0.5])]
    first, later = _fake_grads((), (2,), 3, 3), _fake_grads((), (2,), 4, 4)
    params = [mg.tensor(a, requires_grad=True) for a in start]
    opt = make(params, **kwargs)
    _run_steps(opt, params, first)
    saved = opt.state_dict()
    if via_file:
        mg.save(saved, tmp_path / "opt.npz")
        saved = mg.load(tmp_path / "opt.npz")
    fresh = [mg.tensor(p.data, requires_grad=True) for p in params]   # copies
    fresh_opt = make(fresh, **kwargs)
    fresh_opt.load_state_dict(saved)
    for name, value in opt.state[params[0]].items():
        assert type(fresh_opt.state[fresh[0]][name]) is type(value), name
    expected = _run_steps(opt, params, later)
    got = _run_steps(fresh_opt, fresh, later)
    for e, g in zip(expected, got):
        for a, b in zip(e, g):
            np.testing.assert_array_equal(a, b)


def _arrays_equal(x, y):
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_arrays_equal(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(_arrays_equal(a, b) for a, b in zip(x, y))
    if isinstance(x, np.ndarray):
        return np.array_equal(x, y)
    return x == y


def test_state_dict_format():
    a = mg.tensor(np.ones(2), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    c = mg.tensor(np.ones(1), requires_grad=True)
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    a.grad, c.grad = mg.tensor(np.ones(2)), mg.tensor(np.ones(1))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2]             # b had no gradient, so no state
    assert set(sd["state"][0]) == {"momentum_buffer"}
    sd["state"][0]["momentum_buffer"][0] = 99.0       # a copy: the optimizer is unaffected
    assert opt.state[a]["momentum_buffer"][0] == 1.0


def test_load_state_dict_accepts_values_read_back_from_a_file():
    w = mg.tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = mg.tensor(np.ones(2))
    opt.step()
    sd = opt.state_dict()
    file_like = {"state": {"0": {"step": np.array(1), **{k: v for k, v in sd["state"][0].items()
                                                        if k != "step"}}},
                 "param_groups": [{**{k: np.array(v) for k, v in sd["param_groups"][0].items()},
                                   "params": np.array([0])}]}
    fresh = optim.Adam([w])
    fresh.load_state_dict(file_like)
    assert fresh.param_groups[0]["betas"] == (0.9, 0.999)
    assert fresh.param_groups[0]["lr"] == 0.1 and fresh.state[w]["step"] == 1
    assert isinstance(fresh.param_groups[0]["amsgrad"], bool)


def test_load_state_dict_mismatches_are_errors_that_change_nothing():
    a = mg.tensor(np.ones(2), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    source = optim.Adam([a, b], lr=0.1)
    a.grad, b.grad = mg.tensor(np.ones(2)), mg.tensor(np.ones(3))
    source.step()
    good = source.state_dict()

    target = optim.Adam([mg.tensor(np.zeros(2), requires_grad=True),
                         mg.tensor(np.zeros(3), requires_grad=True)], lr=0.5)
    before = target.state_dict()
    bad_dicts = {
        "different number of parameter groups": {
            "state": {}, "param_groups": good["param_groups"] * 2},
        "doesn't match the size": {
            "state": {}, "param_groups": [{**good["param_groups"][0], "params": [0]}]},
        r"state 'exp_avg' of parameter 1 has shape \(2,\), but the parameter has shape \(3,\)": {
            "state": {0: good["state"][0], 1: good["state"][0]},
            "param_groups": good["param_groups"]},
        "parameter id 7": {"state": {7: good["state"][0]}, "param_groups": good["param_groups"]},
        r"invalid learning rate: lr=-1": {
            "state": good["state"], "param_groups": [{**good["param_groups"][0], "lr": -1}]},
        "'state' and 'param_groups'": {"param_groups": good["param_groups"]},
    }
    for message, bad in bad_dicts.items():
        with pytest.raises(ValueError, match=message):
            target.load_state_dict(bad)
        assert _arrays_equal(target.state_dict(), before), message
    target.load_state_dict(good)
    assert target.param_groups[0]["lr"] == 0.1


# ---------------------------------------------------------------------------- random search
def _quadratic_problem():
    target = np.array([[0.3, -0.2], [0.1, 0.4]])
    W = mg.tensor(np.zeros((2, 2)), requires_grad=True)

    def loss():
        diff = W - mg.tensor(target)
        return (diff * diff).sum()
    return W, loss


@pytest.mark.parametrize("mode", ["global", "local"])
def test_random_search_never_increases_the_best_loss_and_keeps_the_best_params(mode):
    W, loss = _quadratic_problem()
    opt = optim.RandomSearch([W], std=0.3, mode=mode, seed=3)
    assert opt.best_loss == math.inf
    best = []
    for _ in range(200):
        best.append(opt.step(loss))
        assert loss().item() == best[-1]       # the parameters hold the best point
    assert all(b2 <= b1 for b1, b2 in zip(best, best[1:]))
    assert best[-1] < best[0] and best[-1] < 0.1


def test_random_search_is_reproducible_with_a_seed():
    def run(seed, mode):
        W, loss = _quadratic_problem()
        opt = optim.RandomSearch([W], std=0.3, mode=mode, seed=seed)
        return [opt.step(loss) for _ in range(30)], W.data.copy()

    for mode in ("global", "local"):
        losses, W = run(7, mode)
        again, W_again = run(7, mode)
        assert losses == again and np.array_equal(W, W_again)
        other, _ = run(8, mode)
        assert other != losses
    mg.manual_seed(5)
    unseeded = run(None, "local")[0]
    mg.manual_seed(5)
    assert run(None, "local")[0] == unseeded          # mg.manual_seed governs seed=None


def test_random_search_draws():
    W = mg.tensor(np.full(20000, 3.0), requires_grad=True)
    seen = []

    def record():
        seen.append(W.data.copy())
        return 1.0                         # constant loss: only the first draw is accepted

    opt = optim.RandomSearch([W], std=0.5, mode="global", seed=0)
    opt.step(record)
    opt.step(record)
    for draw in seen:                      # fresh N(0, 0.5²), not centred on the start (3.0)
        assert abs(draw.mean()) < 5 * 0.5 / math.sqrt(W.numel())
        assert draw.std() == pytest.approx(0.5, rel=0.03)
    assert np.array_equal(W.data, seen[0])  # the second (not better) draw was undone
    local = optim.RandomSearch([W], std=0.5, mode="local", seed=0)
    best = W.data.copy()
    seen.clear()
    local.step(record)
    assert (seen[0] - best).std() == pytest.approx(0.5, rel=0.03)
    assert abs((seen[0] - best).mean()) < 5 * 0.5 / math.sqrt(W.numel())


def test_random_search_rejects_nan_and_requires_a_closure():
    W = mg.tensor(np.ones(3), requires_grad=True)
    opt = optim.RandomSearch([W], std=1.0, seed=0)
    assert opt.step(lambda: float("nan")) == math.inf
    assert W.data.tolist() == [1.0, 1.0, 1.0]          # the start is kept
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()
    with pytest.raises(ValueError, match="scalar loss"):
        opt.step(lambda: W * 1.0)


def test_random_search_evaluates_the_closure_without_a_graph():
    W, loss = _quadratic_problem()
    opt = optim.RandomSearch([W], std=0.1, seed=0)
    flags = []
    opt.step(lambda: flags.append(loss().requires_grad) or loss())
    assert flags == [False]


def _random_search_resumes_exactly(problem, tmp_path, warmup, steps):
    """Run, save, run on; a fresh optimizer loaded from the file must repeat the second run."""
    W, loss = problem()
    opt = optim.RandomSearch([W], std=0.2, mode="local", seed=11)
    for _ in range(warmup):
        opt.step(loss)
    mg.save(opt.state_dict(), tmp_path / "rs.npz")
    expected = [opt.step(loss) for _ in range(steps)]

    W2, loss2 = problem()
    fresh = optim.RandomSearch([W2], std=0.2, mode="local", seed=999)
    fresh.load_state_dict(mg.load(tmp_path / "rs.npz"))
    np.copyto(W2.data, fresh.state[W2]["best"])
    assert [fresh.step(loss2) for _ in range(steps)] == expected
    assert np.array_equal(W.data, W2.data)
    return opt, fresh, W2


def test_random_search_state_dict_round_trip(tmp_path):
    _random_search_resumes_exactly(_quadratic_problem, tmp_path, warmup=10, steps=10)


def test_random_search_state_dict_round_trip_with_a_0d_parameter(tmp_path):
    def problem():
        w = mg.tensor(np.array(0.0), requires_grad=True)
        return w, lambda: (w - 0.3) * (w - 0.3)

    opt, fresh, w2 = _random_search_resumes_exactly(problem, tmp_path, warmup=5, steps=20)
    # as np.load gives it: the best loss a 0-d array like the parameter's 'best'
    sd = opt.state_dict()
    sd["state"][0]["best_loss"] = np.array(sd["state"][0]["best_loss"])
    fresh.load_state_dict(sd)
    assert type(fresh.best_loss) is float and fresh.best_loss == opt.best_loss
    assert type(fresh.state[w2]["best"]) is np.ndarray


# ---------------------------------------------------------------------------- tiny models
def _least_squares(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, 3))
    noise = 0.01 * rng.standard_normal((64, 2))
    Y = X @ rng.standard_normal((3, 2)) + rng.standard_normal(2) + noise
    W = mg.tensor(np.zeros((3, 2)), requires_grad=True)
    b = mg.tensor(np.zeros(2), requires_grad=True)
    x, y = mg.tensor(X), mg.tensor(Y)

    def loss():
        r = x @ W + b - y
        return (r * r).mean()
    return [W, b], loss


TRAINING = [
    (optim.SGD, dict(lr=0.1), 200),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), 150),
    (optim.Adagrad, dict(lr=0.5), 200),
    (optim.RMSprop, dict(lr=0.01), 300),
    (optim.Adam, dict(lr=0.05), 300),
    (optim.AdamW, dict(lr=0.05, weight_decay=1e-4), 300),
]


@pytest.mark.parametrize("make,kwargs,steps", TRAINING,
                         ids=[f"{m.__name__}-{k}" for m, k, _ in TRAINING])
def test_tiny_least_squares_model_trains(make, kwargs, steps):
    params, loss = _least_squares()
    opt = make(params, **kwargs)
    initial = loss().item()

    def closure():
        opt.zero_grad()
        value = loss()
        value.backward()
        return value

    for _ in range(steps):
        opt.step(closure)
    assert loss().item() < 1e-3 < initial        # noise floor is 1e-4
    assert opt.evaluations == optim.Evaluations(loss=steps, grad=steps)


def test_tiny_softmax_classifier_trains_with_adam():
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.0]])
    labels = rng.integers(0, 3, 90)
    X = centers[labels] + 0.3 * rng.standard_normal((90, 2))
    W = mg.tensor(np.zeros((2, 3)), requires_grad=True)
    b = mg.tensor(np.zeros(3), requires_grad=True)
    opt = optim.Adam([W, b], lr=0.1)
    for _ in range(100):
        opt.zero_grad()
        loss = -(mg.tensor(X) @ W + b).log_softmax(axis=1)[np.arange(90), labels].mean()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1 < math.log(3)
    predictions = (mg.tensor(X) @ W + b).argmax(axis=1).data
    assert (predictions == labels).mean() == 1.0


def test_random_search_reduces_a_tiny_model_loss():
    params, loss = _least_squares()
    initial = loss().item()
    opt = optim.RandomSearch(params, std=0.05, mode="local", seed=0)
    for _ in range(400):
        best = opt.step(loss)
    assert best < 0.05 * initial
