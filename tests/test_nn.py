"""nn: Parameter, Module registration/traversal/state, Linear, Sequential, activations, loss
layers and init; gradients of every layer against central finite differences in float64."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.errors import ShapeError
from test_ops import finite_difference


class MLP(nn.Module):
    def __init__(self, sizes=(3, 5, 2), dtype=None):
        super().__init__()
        self.fc1 = nn.Linear(sizes[0], sizes[1], dtype=dtype)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(sizes[1], sizes[2], dtype=dtype)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# --------------------------------------------------------------------------- Parameter


def test_parameter_is_a_leaf_tensor_that_requires_grad_and_shares_memory():
    data = np.ones((2, 3), dtype=np.float32)
    p = nn.Parameter(data)
    assert isinstance(p, mg.Tensor) and p.is_leaf and p.requires_grad
    assert p.data is data
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert type(p * 2) is mg.Tensor and type(p.detach()) is mg.Tensor
    assert repr(p).startswith("Parameter containing:\ntensor([[1., 1., 1.],")
    assert nn.Parameter(mg.Tensor(data, name="w")).name == "w"


def test_parameter_rejects_integer_data_and_non_leaves():
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter(np.arange(3))
    x = mg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="detach"):
        nn.Parameter(x * 2)


# --------------------------------------------------------------------------- registration


def test_registration_order_and_dotted_names():
    model = MLP()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p.name for p in model.parameters()] == names
    assert [name for name, _ in model.named_children()] == ["fc1", "act", "fc2"]
    assert list(model.children()) == [model.fc1, model.act, model.fc2]
    assert list(model.modules()) == [model, model.fc1, model.act, model.fc2]
    assert [n for n, _ in model.named_parameters(recurse=False)] == []
    assert [n for n, _ in model.fc1.named_parameters(prefix="x")] == ["x.weight", "x.bias"]


def test_parameter_names_follow_nesting_but_keep_user_names():
    inner = nn.Linear(2, 2)
    inner.weight.name = "my weight"
    seq = nn.Sequential(nn.Linear(2, 2), inner)

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = seq
    Outer()
    assert [p.name for p in seq.parameters()] == ["net.0.weight", "net.0.bias", "my weight",
                                                  "net.1.bias"]


def test_shared_parameter_listed_once_but_stored_under_each_name():
    model = MLP((2, 2, 2))
    model.fc2.weight = model.fc1.weight
    params = list(model.parameters())
    assert len(params) == 3 and sum(p is model.fc1.weight for p in params) == 1
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.fc1.weight.name == "fc1.weight"


def test_assignment_rules():
    model = MLP()
    with pytest.raises(TypeError, match="cannot assign a Tensor as parameter 'weight'.*"
                                        "nn.Parameter"):
        model.fc1.weight = mg.zeros(5, 3)
    with pytest.raises(TypeError, match="cannot assign a int as child module 'act'"):
        model.act = 3
    assert model.fc1.weight.shape == (5, 3) and isinstance(model.act, nn.Tanh)
    model.fc1.bias = None  # an absent parameter, like Linear(bias=False)
    assert model.fc1.bias is None and "fc1.bias" not in model.state_dict()
    model.act = None
    assert [n for n, _ in model.named_children()] == ["fc1", "fc2"]
    model.note = "plain attribute"
    model.note = nn.ReLU()  # a plain attribute becomes a registered child
    assert "note" in dict(model.named_children()) and "note" not in vars(model)
    del model.note
    assert not hasattr(model, "note")
    with pytest.raises(AttributeError, match="'MLP' object has no attribute 'missing'"):
        model.missing  # noqa: B018


def test_assigning_before_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\).*Forgetful"):
        Forgetful()


@pytest.mark.parametrize("name,error", [("a.b", KeyError), ("", KeyError), (3, TypeError)])
def test_register_parameter_validates_names(name, error):
    with pytest.raises(error):
        nn.Module().register_parameter(name, nn.Parameter(mg.zeros(1)))
    with pytest.raises(error):
        nn.Module().add_module(name, nn.ReLU())


def test_register_rejects_wrong_types_and_name_clashes():
    m = nn.Module()
    with pytest.raises(TypeError, match="a Parameter or None expected"):
        m.register_parameter("w", mg.zeros(2))
    with pytest.raises(TypeError, match="a Module or None expected"):
        m.add_module("layer", lambda x: x)
    m.flag = True
    with pytest.raises(KeyError, match="'flag' already exists"):
        m.register_parameter("flag", nn.Parameter(mg.zeros(1)))



@pytest.mark.parametrize("name", ["train", "forward", "state_dict"])
def test_register_refuses_names_of_methods(name):
    """Like PyTorch: a parameter or child named like a method would be hidden by the method."""
    m = nn.Linear(2, 2)
    with pytest.raises(KeyError, match=f"'{name}' already exists"):
        m.register_parameter(name, nn.Parameter(mg.zeros(1)))
    with pytest.raises(KeyError, match=f"'{name}' already exists"):
        m.add_module(name, nn.ReLU())
    with pytest.raises(KeyError, match=f"'{name}' already exists"):
        setattr(m, name, nn.Parameter(mg.zeros(1)))
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert list(m.children()) == [] and callable(getattr(m, name))

def test_deepcopy_makes_an_independent_model():
    import copy
    model = MLP()
    clone = copy.deepcopy(model)
    x = mg.randn(4, 3)
    np.testing.assert_array_equal(clone(x).data, model(x).data)
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert all(type(p) is nn.Parameter for p in clone.parameters())
    clone.fc1.weight.data[...] = 0
    assert np.any(model.fc1.weight.data)


def test_module_without_forward():
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        nn.Module()(mg.zeros(1))


# --------------------------------------------------------------------------- training helpers


def test_zero_grad_to_none_or_zeros():
    model = MLP()
    F.mse_loss(model(mg.randn(4, 3)), mg.zeros(4, 2)).backward()
    assert all(p.grad is not None and np.any(p.grad.data) for p in model.parameters())
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad.shape == p.shape and p.grad.dtype == p.dtype and not np.any(p.grad.data)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_reach_every_module():
    model = nn.Sequential(MLP(), nn.ReLU())
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="mode must be a bool"):
        model.train("no")


def test_requires_grad_and_apply():
    model = MLP()
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Tanh", "Linear", "MLP"]


def test_repr_like_pytorch():
    model = nn.Sequential(MLP(), nn.Linear(2, 1, bias=False), nn.MSELoss())
    assert repr(model) == (
        "Sequential(\n"
        "  (0): MLP(\n"
        "    (fc1): Linear(in_features=3, out_features=5, bias=True)\n"
        "    (act): Tanh()\n"
        "    (fc2): Linear(in_features=5, out_features=2, bias=True)\n"
        "  )\n"
        "  (1): Linear(in_features=2, out_features=1, bias=False)\n"
        "  (2): MSELoss(reduction='mean')\n"
        ")")
    assert repr(nn.MulticlassHingeLoss(0.5, "sum")) == \
        "MulticlassHingeLoss(margin=0.5, reduction='sum')"


# --------------------------------------------------------------------------- state dict


def test_state_dict_is_an_ordered_copy():
    model = MLP()
    state = model.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(type(v) is np.ndarray for v in state.values())
    np.testing.assert_array_equal(state["fc1.weight"], model.fc1.weight.data)
    state["fc1.weight"][...] = 7
    assert not np.any(model.fc1.weight.data == 7)


def test_load_state_dict_round_trip_keeps_parameter_objects():
    mg.manual_seed(1)
    source, target = MLP(), MLP()
    x = mg.randn(4, 3)
    weight = target.fc1.weight
    assert not np.allclose(source(x).data, target(x).data)
    result = target.load_state_dict(source.state_dict())
    assert result == ([], []) and repr(result) == "<All keys matched successfully>"
    np.testing.assert_array_equal(source(x).data, target(x).data)
    assert target.fc1.weight is weight  # optimizers holding it keep working


def test_load_state_dict_casts_to_the_parameter_dtype():
    model = MLP()
    state = {k: v.astype(np.float64) + 0.5 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.fc1.weight.dtype == np.float32
    np.testing.assert_allclose(model.fc1.weight.data, state["fc1.weight"], rtol=1e-6)


@pytest.mark.parametrize("change,words", [
    (lambda s: s.pop("fc2.bias"), ["missing", "'fc2.bias'"]),
    (lambda s: s.update(extra=np.zeros(1)), ["unexpected", "'extra'"]),
    (lambda s: s.update({"fc1.weight": np.zeros((3, 5))}), ["size mismatch", "'fc1.weight'",
                                                            "(3, 5)", "(5, 3)"]),
    (lambda s: s.update({"fc1.bias": np.zeros(5, dtype=int)}), ["'fc1.bias'", "floating",
                                                                "int"]),
    (lambda s: s.update({"fc1.bias": "abc"}), ["'fc1.bias'", "floating"]),
])
def test_failed_strict_load_changes_nothing(change, words):
    model = MLP()
    before = model.state_dict()
    state = {k: v + 1 for k, v in before.items()}
    change(state)
    with pytest.raises(RuntimeError, match="nothing was changed") as info:
        model.load_state_dict(state)
    for w in words:
        assert w in str(info.value)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_state_dict_reports_every_problem_at_once():
    model = MLP()
    state = model.state_dict()
    del state["fc1.bias"]
    state["fc2.weight"] = np.zeros((1, 1))
    state["surprise"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "'fc1.bias'" in message and "'fc2.weight'" in message and "'surprise'" in message


def test_non_strict_load_returns_missing_and_unexpected():
    model = MLP()
    state = {"fc1.weight": np.full((5, 3), 0.25), "other.weight": np.zeros(2)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["fc1.bias", "fc2.weight", "fc2.bias"] and unexpected == ["other.weight"]
    np.testing.assert_array_equal(model.fc1.weight.data, 0.25)
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked regardless
        model.load_state_dict({"fc1.weight": np.zeros(3)}, strict=False)
    with pytest.raises(TypeError, match="expected a mapping"):
        model.load_state_dict([("fc1.weight", np.zeros((5, 3)))])


# --------------------------------------------------------------------------- Linear


def test_linear_shapes_and_pytorch_init_bounds():
    layer = nn.Linear(100, 400)
    bound = 1 / math.sqrt(100)
    assert layer.weight.shape == (400, 100) and layer.bias.shape == (400,)
    assert layer.weight.dtype == np.float32 == layer.bias.dtype
    for p in (layer.weight, layer.bias):
        assert np.all(np.abs(p.data) <= bound)
    w = layer.weight.data.astype(np.float64).ravel()
    # U(-b, b): mean 0, variance b^2/3; 40000 draws put both within a few standard errors
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)
    assert abs(w.var() - bound ** 2 / 3) < 5 * bound ** 2 * math.sqrt(4 / 45 / w.size)
    assert np.abs(w).max() > 0.99 * bound  # the whole range is used


def test_linear_init_is_reproducible_from_the_seed_or_a_generator():
    mg.manual_seed(123)
    a = nn.Linear(4, 3)
    mg.manual_seed(123)
    b = nn.Linear(4, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    mg.manual_seed(5)
    before = mg.random.default_generator().bit_generator.state
    c = nn.Linear(4, 3, generator=np.random.default_rng(7))
    d = nn.Linear(4, 3, generator=np.random.default_rng(7))
    assert mg.random.default_generator().bit_generator.state == before  # untouched
    np.testing.assert_array_equal(c.weight.data, d.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)


def test_linear_options_and_errors():
    layer = nn.Linear(3, 2, bias=False, dtype=mg.float64)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.dtype == np.float64
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="in_features must be a positive int"):
            nn.Linear(bad, 2)
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(ShapeError, match=r"linear: input of shape \(2, 4\)"):
        nn.Linear(3, 2)(mg.zeros(2, 4))


def _check_module_gradients(model, x, rng):
    """Every parameter's and the input's gradient against central differences (float64)."""
    params = list(model.parameters())
    inp = mg.Tensor(x.copy(), requires_grad=True)
    out = model(inp)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    arrays = [x] + [p.data for p in params]  # perturbed in place by the difference quotient
    numeric = finite_difference(lambda *_: model(mg.Tensor(x)).data, arrays, upstream)
    for analytic, expected in zip([inp] + params, numeric):
        assert analytic.grad is not None
        np.testing.assert_allclose(analytic.grad.data, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 3, 3)])
def test_mlp_gradients_match_finite_differences(rng, x_shape):
    _check_module_gradients(MLP(dtype=mg.float64), rng.standard_normal(x_shape), rng)


@pytest.mark.parametrize("layer", [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity(1, k=2)])
def test_activation_layer_values_and_gradients(rng, layer):
    reference = {"ReLU": lambda a: np.maximum(a, 0), "Tanh": np.tanh,
                 "Sigmoid": lambda a: 1 / (1 + np.exp(-a)), "Identity": lambda a: a}
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 0.1] = 0.5  # away from relu's kink
    np.testing.assert_allclose(layer(mg.Tensor(x)).data, reference[type(layer).__name__](x),
                               rtol=1e-12)
    model = nn.Sequential(nn.Linear(4, 4, dtype=mg.float64), layer)
    _check_module_gradients(model, x, rng)


# --------------------------------------------------------------------------- Sequential


def test_sequential_composes_and_indexes():
    a, b, c = nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)
    seq = nn.Sequential(a, b, c)
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(seq(x).data, c(b(a(x))).data)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    np.testing.assert_array_equal(head(x).data, b(a(x)).data)
    assert seq.append(nn.Identity()) is seq and len(seq) == 4
    with pytest.raises(IndexError, match="out of range for 4 layers"):
        seq[4]  # noqa: B018
    with pytest.raises(TypeError, match="ints or slices"):
        seq["0"]  # noqa: B018


def test_sequential_from_a_mapping_and_bad_elements():
    seq = nn.Sequential(OrderedDict(hidden=nn.Linear(2, 3), out=nn.Linear(3, 1)))
    assert [n for n, _ in seq.named_parameters()] == ["hidden.weight", "hidden.bias",
                                                      "out.weight", "out.bias"]
    with pytest.raises(TypeError, match="Sequential: element '1' is a function"):
        nn.Sequential(nn.ReLU(), lambda x: x)


# --------------------------------------------------------------------------- loss layers


def test_loss_layers_call_their_functions(rng):
    scores, target = mg.Tensor(rng.standard_normal((5, 3))), rng.integers(0, 3, 5)
    assert nn.CrossEntropyLoss()(scores, target).item() == \
        F.cross_entropy(scores, target).item()
    np.testing.assert_array_equal(nn.MulticlassHingeLoss(0.5, "none")(scores, target).data,
                                  F.multiclass_hinge_loss(scores, target, 0.5, "none").data)
    other = mg.Tensor(rng.standard_normal((5, 3)))
    assert nn.MSELoss("sum")(scores, other).item() == F.mse_loss(scores, other, "sum").item()
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be"):
        nn.CrossEntropyLoss(reduction="avg")


def test_small_classifier_trains_to_low_loss(rng):
    """Two Gaussian blobs per class; plain gradient descent on the parameters."""
    mg.manual_seed(0)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    target = rng.integers(0, 3, 120)
    x = mg.Tensor(centers[target] + 0.5 * rng.standard_normal((120, 2)))
    model = nn.Sequential(nn.Linear(2, 16, dtype=mg.float64), nn.ReLU(),
                          nn.Linear(16, 3, dtype=mg.float64))
    first = None
    for _ in range(150):
        loss = F.cross_entropy(model(x), target)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        with mg.no_grad():
            for p in model.parameters():
                p.data -= 0.5 * p.grad.data
    assert first > 0.8 and loss.item() < 0.1
    assert np.mean(model(x).data.argmax(axis=1) == target) > 0.97


# --------------------------------------------------------------------------- init


def test_init_fills_in_place_with_the_right_distribution():
    w = nn.Parameter(mg.zeros(300, 200))
    data = w.data
    gen = np.random.default_rng(0)
    assert nn.init.uniform_(w, -0.5, 0.25, generator=gen) is w and w.data is data
    assert data.min() >= -0.5 and data.max() <= 0.25 and data.min() < -0.49
    nn.init.normal_(w, 1.0, 0.1, generator=gen)
    assert abs(data.mean() - 1.0) < 0.01 and abs(data.std() - 0.1) < 0.01
    nn.init.constant_(w, 3.0)
    assert np.all(data == 3.0)
    nn.init.zeros_(w)
    assert not np.any(data)
    nn.init.ones_(w)
    assert np.all(data == 1)


def test_init_fans_and_gains():
    w = nn.Parameter(mg.zeros(300, 200))
    nn.init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= math.sqrt(6 / 500)
    assert np.abs(w.data).max() > 0.99 * math.sqrt(6 / 500)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.data).max() <= math.sqrt(2) * math.sqrt(3 / 200)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.data.std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)
    nn.init.xavier_normal_(w, gain=2.0)
    assert w.data.std() == pytest.approx(2 * math.sqrt(2 / 500), rel=0.02)
    assert nn.init.calculate_gain("tanh") == 5 / 3
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)


def test_init_rejects_bad_arguments():
    with pytest.raises(TypeError, match="uniform_: expected a Tensor"):
        nn.init.uniform_(np.zeros(3))
    with pytest.raises(TypeError, match="floating tensor"):
        nn.init.ones_(mg.Tensor(np.zeros(3, dtype=int)))
    with pytest.raises(ValueError, match="a <= b"):
        nn.init.uniform_(mg.zeros(3), 1.0, 0.0)
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.init.xavier_uniform_(mg.zeros(3))
    with pytest.raises(ValueError, match="mode must be"):
        nn.init.kaiming_uniform_(mg.zeros(3, 3), mode="fan")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")
