"""Learning-rate schedulers against their closed forms, PyTorch's stepping semantics,
checkpoints and input errors."""
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler as sched

EPOCHS = 50
BASE = (0.1, 0.4)          # two parameter groups with different learning rates


def make_optimizer(make=optim.SGD):
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([1.0], requires_grad=True)
    return make([{"params": [a]}, {"params": [b], "lr": BASE[1]}], lr=BASE[0])


def run(schedule, epochs=EPOCHS):
    """The learning rates of every epoch 0..epochs (the optimizer stepping first each time)."""
    opt = schedule.optimizer
    lrs = [schedule.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        schedule.step()
        lrs.append(schedule.get_last_lr())
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(lrs)


def closed_form(f, epochs=EPOCHS):
    return np.array([[f(base, e) for base in BASE] for e in range(epochs + 1)])


def test_step_lr():
    schedule = sched.StepLR(make_optimizer(), step_size=7, gamma=0.5)
    np.testing.assert_allclose(run(schedule), closed_form(lambda b, e: b * 0.5 ** (e // 7)),
                               rtol=1e-12)
    assert schedule.last_epoch == EPOCHS


def test_exponential_lr():
    schedule = sched.ExponentialLR(make_optimizer(), gamma=0.9)
    np.testing.assert_allclose(run(schedule), closed_form(lambda b, e: b * 0.9 ** e), rtol=1e-12)


@pytest.mark.parametrize("T_max,eta_min", [(10, 0.001), (20, 0.0), (7, 0.05)])
def test_cosine_annealing_follows_the_cosine_through_and_past_T_max(T_max, eta_min):
    schedule = sched.CosineAnnealingLR(make_optimizer(), T_max=T_max, eta_min=eta_min)
    expected = closed_form(
        lambda b, e: eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2)
    np.testing.assert_allclose(run(schedule), expected, rtol=1e-10, atol=1e-12)
    lrs = run(sched.CosineAnnealingLR(make_optimizer(), T_max=T_max, eta_min=eta_min))
    assert lrs[T_max] == pytest.approx([eta_min, eta_min], abs=1e-15)


def test_linear_lr_warm_up_and_decay():
    up = sched.LinearLR(make_optimizer(), start_factor=0.1, total_iters=10)
    np.testing.assert_allclose(
        run(up), closed_form(lambda b, e: b * (0.1 + 0.9 * min(e, 10) / 10)), rtol=1e-12)
    down = sched.LinearLR(make_optimizer(), start_factor=1.0, end_factor=0.2, total_iters=8)
    np.testing.assert_allclose(
        run(down), closed_form(lambda b, e: b * (1.0 - 0.8 * min(e, 8) / 8)), rtol=1e-12)
    default = sched.LinearLR(make_optimizer())
    assert default.get_last_lr() == pytest.approx([BASE[0] / 3, BASE[1] / 3])


def test_sequential_warm_up_then_cosine():
    opt = make_optimizer()
    schedule = sched.SequentialLR(
        opt, [sched.LinearLR(opt, start_factor=0.1, total_iters=5),
              sched.CosineAnnealingLR(opt, T_max=45)], milestones=[5])

    def expected(b, e):
        if e < 5:
            return b * (0.1 + 0.9 * e / 5)
        return b * (1 + math.cos(math.pi * (e - 5) / 45)) / 2

    np.testing.assert_allclose(run(schedule), closed_form(expected), rtol=1e-10, atol=1e-14)
    assert schedule.last_epoch == EPOCHS


def test_sequential_three_phases():
    opt = make_optimizer()
    schedule = sched.SequentialLR(
        opt, [sched.LinearLR(opt, start_factor=0.25, total_iters=4),
              sched.StepLR(opt, step_size=6, gamma=0.5),
              sched.ExponentialLR(opt, gamma=0.95)], milestones=[5, 20])

    def expected(b, e):
        if e < 5:
            return b * (0.25 + 0.75 * min(e, 4) / 4)
        if e < 20:
            return b * 0.5 ** ((e - 5) // 6)
        return b * 0.95 ** (e - 20)

    np.testing.assert_allclose(run(schedule), closed_form(expected), rtol=1e-12)


def test_schedules_are_recursive_like_pytorch():
    # a change made to the lr from outside carries on (PyTorch multiplies the current lr)
    opt = make_optimizer()
    schedule = sched.ExponentialLR(opt, gamma=0.5)
    opt.step()
    schedule.step()
    for group in opt.param_groups:
        group["lr"] *= 10
    opt.step()
    schedule.step()
    assert schedule.get_last_lr() == pytest.approx([b * 0.5 * 10 * 0.5 for b in BASE])
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE)


def test_scheduler_drives_the_optimizer_updates():
    w = mg.tensor([0.0], dtype=np.float64, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    schedule = sched.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(4):
        w.grad = mg.tensor([-1.0], dtype=np.float64)
        opt.step()
        schedule.step()
    assert w.data[0] == 1.0 + 1.0 + 0.5 + 0.5


def test_stepping_the_scheduler_first_warns():
    schedule = sched.StepLR(make_optimizer(), step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        schedule.step()
    ok = sched.StepLR(make_optimizer(), step_size=2)
    ok.optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok.step()


@pytest.mark.parametrize("build", [
    lambda opt: sched.StepLR(opt, step_size=3, gamma=0.5),
    lambda opt: sched.CosineAnnealingLR(opt, T_max=10, eta_min=0.01),
    lambda opt: sched.SequentialLR(opt, [sched.LinearLR(opt, 0.2, total_iters=4),
                                         sched.CosineAnnealingLR(opt, T_max=20)], [4]),
], ids=["StepLR", "CosineAnnealingLR", "SequentialLR"])
def test_state_dict_round_trip_continues_identically(build, tmp_path):
    opt = make_optimizer()
    schedule = build(opt)
    run(schedule, 7)
    mg.save({"optimizer": opt.state_dict(), "scheduler": schedule.state_dict()},
            tmp_path / "ckpt.npz")
    expected = run(schedule, 20)

    fresh_opt = make_optimizer()
    fresh = build(fresh_opt)
    checkpoint = mg.load(tmp_path / "ckpt.npz")
    fresh_opt.load_state_dict(checkpoint["optimizer"])
    fresh.load_state_dict(checkpoint["scheduler"])
    assert fresh.last_epoch == 7
    np.testing.assert_array_equal(run(fresh, 20), expected)


def test_resuming_with_last_epoch():
    opt = make_optimizer()
    run(sched.ExponentialLR(opt, gamma=0.5), 3)
    resumed = sched.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert resumed.get_last_lr() == pytest.approx([b * 0.125 for b in BASE])   # unchanged
    with pytest.raises(KeyError, match="initial_lr.*param_groups\\[0\\]"):
        sched.StepLR(make_optimizer(), step_size=2, last_epoch=4)


def test_scheduler_errors():
    opt = make_optimizer()
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=2)
    search = optim.RandomSearch([mg.tensor([1.0], requires_grad=True)])
    with pytest.raises(TypeError, match="RandomSearch has no learning rate"):
        sched.ExponentialLR(search, gamma=0.5)
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        sched.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive integer, got 2.5"):
        sched.CosineAnnealingLR(opt, T_max=2.5)
    with pytest.raises(ValueError, match="start_factor=0"):
        sched.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="start_factor=1.5"):
        sched.LinearLR(opt, start_factor=1.5)
    with pytest.raises(ValueError, match="end_factor=-0.1"):
        sched.LinearLR(opt, end_factor=-0.1)
    first = sched.LinearLR(opt, total_iters=3)
    other = sched.StepLR(make_optimizer(), step_size=2)
    with pytest.raises(ValueError, match="at least one scheduler"):
        sched.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="one more scheduler than milestones.*2 schedulers"):
        sched.SequentialLR(opt, [first, sched.StepLR(opt, step_size=2)], [])
    with pytest.raises(ValueError, match="same optimizer.*schedulers\\[1\\]"):
        sched.SequentialLR(opt, [first, other], [3])
    with pytest.raises(TypeError, match="schedulers\\[0\\] is a str"):
        sched.SequentialLR(opt, ["cosine"], [])
    with pytest.raises(ValueError, match="milestones must increase"):
        sched.SequentialLR(opt, [first, sched.StepLR(opt, step_size=2),
                                 sched.StepLR(opt, step_size=2)], [5, 5])


def test_load_state_dict_rejects_a_foreign_dict_and_changes_nothing():
    schedule = sched.StepLR(make_optimizer(), step_size=3)
    before = schedule.state_dict()
    with pytest.raises(ValueError, match="expected the keys"):
        schedule.load_state_dict({"last_epoch": 5})
    with pytest.raises(ValueError, match="base_lrs has 1 entries for 2 parameter groups"):
        schedule.load_state_dict({**before, "base_lrs": [0.1], "last_epoch": 9})
    assert schedule.state_dict() == before
    opt = make_optimizer()
    seq = sched.SequentialLR(opt, [sched.LinearLR(opt), sched.StepLR(opt, step_size=2)], [5])
    seq_before = seq.state_dict()
    broken = {**seq_before, "_schedulers": [seq_before["_schedulers"][0], {"last_epoch": 1}]}
    with pytest.raises(ValueError, match="expected the keys"):
        seq.load_state_dict(broken)
    assert seq.state_dict() == seq_before
