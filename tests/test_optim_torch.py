"""Side by side with PyTorch: every optimizer option and every scheduler, 50 steps, float64.

Both libraries minimise the same least-squares loss from the same start, each computing its own
gradients; the parameters must agree to 1e-10 after every step, and the optimizer state (same
keys as torch's) and learning rates must agree too. Skipped when torch is not installed.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 50
TOL = 1e-10

rng = np.random.default_rng(0)
X = rng.standard_normal((8, 3))
Y = rng.standard_normal((8, 2))
W0 = rng.standard_normal((3, 2))
B0 = rng.standard_normal(2)


def _params(lib):
    if lib == "mg":
        return [mg.tensor(W0, requires_grad=True), mg.tensor(B0, requires_grad=True)]
    return [torch.tensor(W0, requires_grad=True), torch.tensor(B0, requires_grad=True)]


def _loss(lib, W, b, sign):
    x, y = (mg.tensor(X), mg.tensor(Y)) if lib == "mg" else (torch.tensor(X), torch.tensor(Y))
    residual = x @ W + b - y
    return (residual * residual).mean() * sign


def _run(lib, make, kwargs, steps=STEPS, groups=False):
    W, b = _params(lib)
    params = [{"params": [W]}, {"params": [b], "lr": 0.02}] if groups else [W, b]
    opt = make(params, **kwargs)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    history = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, W, b, sign).backward()
        opt.step()
        history.append([np.array(p.detach().numpy() if lib == "torch" else p.data, copy=True)
                        for p in (W, b)])
    return opt, (W, b), history


CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.1, eps=1e-4)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
]


def _torch_state_value(value):
    return value.item() if value.ndim == 0 else value.detach().numpy()


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
@pytest.mark.parametrize("groups", [False, True], ids=["one-group", "two-groups"])
def test_matches_torch_for_50_steps(name, kwargs, groups):
    ours, our_params, our_history = _run("mg", getattr(optim, name), kwargs, groups=groups)
    theirs, their_params, their_history = _run("torch", getattr(torch.optim, name), kwargs,
                                               groups=groups)
    for step, (mine, torchs) in enumerate(zip(our_history, their_history)):
        for a, b in zip(mine, torchs):
            np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL, err_msg=f"step {step + 1}")
    for p, q in zip(our_params, their_params):
        assert p.dtype == np.float64
        our_state, their_state = ours.state.get(p, {}), theirs.state.get(q, {})
        assert set(our_state) == set(their_state)
        for key, value in their_state.items():
            np.testing.assert_allclose(our_state[key], _torch_state_value(value),
                                       rtol=TOL, atol=TOL, err_msg=key)
    for our_group, their_group in zip(ours.param_groups, theirs.param_groups):
        shared = set(our_group) - {"params"}
        assert shared <= set(their_group)
        assert {k: our_group[k] for k in shared} == {k: their_group[k] for k in shared}


def test_state_dict_layout_matches_torch():
    ours, _, _ = _run("mg", optim.Adam, dict(lr=0.05, amsgrad=True), steps=3, groups=True)
    theirs, _, _ = _run("torch", torch.optim.Adam, dict(lr=0.05, amsgrad=True), steps=3,
                        groups=True)
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert list(mine["state"]) == list(torchs["state"]) == [0, 1]
    assert [g["params"] for g in mine["param_groups"]] == \
        [g["params"] for g in torchs["param_groups"]] == [[0], [1]]
    for i in (0, 1):
        assert set(mine["state"][i]) == set(torchs["state"][i])
        assert mine["state"][i]["step"] == torchs["state"][i]["step"].item() == 3


def test_param_names_follow_torch():
    def names(lib, own, saved):
        """The names after loading the state dict of an optimizer named ``saved``."""
        opts = []
        for given in (saved, own):
            W, _ = _params(lib)
            params = [(given, W)] if given else [W]
            opts.append((optim.SGD if lib == "mg" else torch.optim.SGD)(params, lr=0.1))
        opts[1].load_state_dict(opts[0].state_dict())
        return opts[1].param_groups[0].get("param_names")

    for own, saved in (("v", "w"), (None, "w"), ("v", None), (None, None)):
        assert names("mg", own, saved) == names("torch", own, saved)

    for lib, make in (("mg", optim.SGD), ("torch", torch.optim.SGD)):
        W, b = _params(lib)
        with pytest.raises(ValueError, match="with/without names"):
            make([{"params": [("W", W)]}, {"params": [b]}])


# ---------------------------------------------------------------------------- schedulers
SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=20)),
    ("LinearLR", dict(start_factor=0.1, total_iters=10)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=8)),
    ("warmup-cosine", None),
    ("three-phases", None),
]


def _make_schedule(mod, opt, name, kwargs):
    if name == "warmup-cosine":
        return mod.SequentialLR(opt, [mod.LinearLR(opt, start_factor=0.1, total_iters=5),
                                      mod.CosineAnnealingLR(opt, T_max=45)], milestones=[5])
    if name == "three-phases":
        return mod.SequentialLR(opt, [mod.LinearLR(opt, start_factor=0.25, total_iters=4),
                                      mod.StepLR(opt, step_size=6, gamma=0.5),
                                      mod.ExponentialLR(opt, gamma=0.95)], milestones=[5, 20])
    return getattr(mod, name)(opt, **kwargs)


def _run_schedule(lib, name, kwargs):
    W, b = _params(lib)
    params = [{"params": [W]}, {"params": [b], "lr": 0.3}]
    if lib == "mg":
        opt, mod = optim.SGD(params, lr=0.1, momentum=0.5), lr_scheduler
    else:
        opt, mod = torch.optim.SGD(params, lr=0.1, momentum=0.5), torch.optim.lr_scheduler
    schedule = _make_schedule(mod, opt, name, kwargs)
    lrs, history = [schedule.get_last_lr()], []
    for _ in range(STEPS):
        opt.zero_grad()
        _loss(lib, W, b, 1.0).backward()
        opt.step()
        schedule.step()
        lrs.append(schedule.get_last_lr())
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
        history.append(np.concatenate([np.ravel(p.detach().numpy() if lib == "torch" else p.data)
                                       for p in (W, b)]))
    return np.array(lrs, dtype=float), np.array(history)


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_scheduler_matches_torch_for_50_steps(name, kwargs):
    our_lrs, our_params = _run_schedule("mg", name, kwargs)
    their_lrs, their_params = _run_schedule("torch", name, kwargs)
    np.testing.assert_allclose(our_lrs, their_lrs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(our_params, their_params, rtol=TOL, atol=TOL)
