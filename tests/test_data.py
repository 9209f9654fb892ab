"""minigrad.data: Dataset, TensorDataset, DataLoader, default_collate, splits, preprocessing."""
import math
import pickle
from collections import namedtuple

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (DataLoader, Dataset, TensorDataset, add_bias_column, default_collate,
                           flatten, preprocess, scale, split_train_test, subtract_mean)


def ids_dataset(n=103, features=3, dtype=np.float32):
    """Row i of X is filled with i, so a batch tells which samples it holds; y[i] = i."""
    X = np.repeat(np.arange(n, dtype=dtype)[:, None], features, axis=1)
    return TensorDataset(X, np.arange(n, dtype=np.int64))


def epoch_ids(loader):
    """The sample ids of one epoch, in the order the loader gave them."""
    return np.concatenate([yb.numpy() for _, yb in loader])


class PairDataset(Dataset):
    """A plain map-style data set (generic path): sample i is (X[i] as ndarray, int label)."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], int(self.y[i])


# --------------------------------------------------------------------------- TensorDataset

def test_tensor_dataset_items_are_tuples_of_tensors_sharing_memory():
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    y = mg.tensor([0, 1, 0, 1])
    ds = TensorDataset(X, y)
    assert len(ds) == 4
    x2, y2 = ds[2]
    assert isinstance(x2, mg.Tensor) and isinstance(y2, mg.Tensor)
    np.testing.assert_array_equal(x2.numpy(), X[2])
    assert y2.item() == 0 and y2.dtype == np.int64
    assert np.shares_memory(ds.arrays[0], X) and np.shares_memory(ds.tensors[1].data, y.data)


def test_tensor_dataset_lists_follow_the_default_dtype():
    ds = TensorDataset([[0.5, 1.5], [2.5, 3.5]], [1, 0])
    assert ds.arrays[0].dtype == mg.get_default_dtype() and ds.arrays[1].dtype == np.int64


@pytest.mark.parametrize("args, error, words", [
    ((np.zeros((5, 2)), np.zeros(4)), ValueError, ["same first dimension", "(5, 2)", "(4,)"]),
    ((), ValueError, ["at least one"]),
    ((np.float32(3.0),), ValueError, ["argument 0", "0-d"]),
    ((np.zeros(3), ["a", "b", "c"]), TypeError, ["argument 1", "<U1"]),
])
def test_tensor_dataset_rejects_bad_arrays(args, error, words):
    with pytest.raises(error) as info:
        TensorDataset(*args)
    for word in words:
        assert word in str(info.value)


def test_base_dataset_says_what_to_implement():
    class Half(Dataset):
        def __len__(self):
            return 3
    with pytest.raises(NotImplementedError, match="Half must define __getitem__"):
        list(DataLoader(Half(), batch_size=2))


# --------------------------------------------------------------------------- DataLoader

@pytest.mark.parametrize("n, batch_size, drop_last", [
    (103, 10, False), (103, 10, True), (100, 10, False), (100, 10, True), (5, 8, False),
    (5, 8, True), (1, 1, False), (0, 4, False)])
def test_len_matches_the_batches_yielded(n, batch_size, drop_last):
    loader = DataLoader(ids_dataset(n), batch_size=batch_size, drop_last=drop_last)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    batches = list(loader)
    assert len(loader) == expected == len(batches)
    sizes = [len(yb) for _, yb in batches]
    assert all(size == batch_size for size in sizes[:-1])
    if drop_last and sizes:
        assert sizes[-1] == batch_size
    assert sum(sizes) == (expected * batch_size if drop_last else n)


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_exactly_once_per_epoch(shuffle):
    loader = DataLoader(ids_dataset(103), batch_size=10, shuffle=shuffle, seed=1)
    for _ in range(3):
        ids = epoch_ids(loader)
        assert np.array_equal(np.sort(ids), np.arange(103))
        if not shuffle:
            assert np.array_equal(ids, np.arange(103))


def test_drop_last_sees_distinct_samples_only():
    loader = DataLoader(ids_dataset(103), batch_size=10, shuffle=True, drop_last=True, seed=0)
    ids = epoch_ids(loader)
    assert len(ids) == 100 and len(np.unique(ids)) == 100


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
def test_batch_shapes_and_dtypes_follow_the_arrays(x_dtype):
    ds = ids_dataset(20, features=4, dtype=x_dtype)
    for xb, yb in DataLoader(ds, batch_size=8, shuffle=True, seed=0):
        assert isinstance(xb, mg.Tensor) and isinstance(yb, mg.Tensor)
        assert xb.dtype == x_dtype and yb.dtype == np.int64
        assert xb.shape == (len(yb), 4) and not xb.requires_grad
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy())  # rows stay with labels


def test_batches_are_tuples_and_copies():
    ds = ids_dataset(10)
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert type(batch) is tuple and len(batch) == 2
    batch[0].data[:] = -1  # writing into a batch must not corrupt the data set
    assert ds.arrays[0].min() == 0


def test_seeded_shuffle_is_reproducible_and_fresh_each_epoch():
    ds = ids_dataset(50)
    first = DataLoader(ds, batch_size=7, shuffle=True, seed=42)
    second = DataLoader(ds, batch_size=7, shuffle=True, seed=42)
    epochs_a = [epoch_ids(first) for _ in range(3)]
    epochs_b = [epoch_ids(second) for _ in range(3)]
    for a, b in zip(epochs_a, epochs_b):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    assert not np.array_equal(epochs_a[1], epochs_a[2])
    other = DataLoader(ds, batch_size=7, shuffle=True, seed=43)
    assert not np.array_equal(epoch_ids(other), epochs_a[0])


def test_generator_argument_matches_the_same_seed():
    ds = ids_dataset(30)
    by_seed = DataLoader(ds, batch_size=4, shuffle=True, seed=7)
    by_generator = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(7))
    for _ in range(2):
        np.testing.assert_array_equal(epoch_ids(by_seed), epoch_ids(by_generator))


def test_unseeded_shuffle_follows_manual_seed():
    loader = DataLoader(ids_dataset(40), batch_size=5, shuffle=True)
    mg.manual_seed(11)
    first = epoch_ids(loader)
    mg.manual_seed(11)
    again = epoch_ids(loader)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, np.arange(40))


def test_fast_path_gives_the_same_batches_as_the_generic_collate():
    ds = ids_dataset(37, features=2)
    ds.arrays[0][:] += np.random.default_rng(0).standard_normal(ds.arrays[0].shape)
    fast = DataLoader(ds, batch_size=8, shuffle=True, seed=5)
    generic = DataLoader(ds, batch_size=8, shuffle=True, seed=5, collate_fn=default_collate)
    for _ in range(2):
        for fast_batch, generic_batch in zip(fast, generic, strict=True):
            for f, g in zip(fast_batch, generic_batch, strict=True):
                assert f.dtype == g.dtype and f.shape == g.shape
                np.testing.assert_array_equal(f.numpy(), g.numpy())


def test_fast_path_does_not_read_samples_one_by_one(monkeypatch):
    calls = []
    original = TensorDataset.__getitem__
    monkeypatch.setattr(TensorDataset, "__getitem__",
                        lambda self, i: calls.append(i) or original(self, i))
    batches = list(DataLoader(ids_dataset(20), batch_size=6, shuffle=True, seed=0))
    assert len(batches) == 4 and calls == []


def test_subclass_overriding_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    (xb, yb), = DataLoader(Doubled(X, np.arange(3)), batch_size=3)
    np.testing.assert_array_equal(xb.numpy(), 2 * X)


def test_generic_dataset_is_stacked_into_tensors():
    X = np.random.default_rng(0).standard_normal((9, 2, 3))
    y = np.arange(9) % 4
    batches = list(DataLoader(PairDataset(X, y), batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 1]
    xb, yb = batches[1]
    assert xb.shape == (4, 2, 3) and xb.dtype == np.float64 and yb.dtype == np.int64
    np.testing.assert_array_equal(xb.numpy(), X[4:8])
    np.testing.assert_array_equal(yb.numpy(), y[4:8])


def test_a_list_of_samples_is_a_dataset_and_collate_fn_is_used():
    samples = [(float(i), i) for i in range(5)]
    loader = DataLoader(samples, batch_size=2, collate_fn=lambda batch: len(batch))
    assert list(loader) == [2, 2, 1]
    (xb, yb), *_ = DataLoader(samples, batch_size=2)
    assert xb.dtype == np.float64 and yb.dtype == np.int64  # Python numbers, as in PyTorch


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(batch_size=0), ValueError, ["batch_size", ">= 1", "0"]),
    (dict(batch_size=-3), ValueError, ["batch_size", "-3"]),
    (dict(batch_size=2.0), TypeError, ["batch_size", "int", "float"]),
    (dict(batch_size=True), TypeError, ["batch_size", "bool"]),
    (dict(batch_size="8"), TypeError, ["batch_size", "str"]),
    (dict(shuffle="yes"), TypeError, ["shuffle", "True or False"]),
    (dict(drop_last=1), TypeError, ["drop_last"]),
    (dict(collate_fn=3), TypeError, ["collate_fn", "callable", "int"]),
    (dict(seed=-1), ValueError, ["seed", ">= 0"]),
    (dict(seed=1.5), TypeError, ["seed", "float"]),
    (dict(seed=1, generator=np.random.default_rng(1)), ValueError, ["seed=", "generator=",
                                                                     "not both"]),
    (dict(generator=42), TypeError, ["generator", "numpy.random.Generator", "int"]),
])
def test_loader_rejects_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        DataLoader(ids_dataset(10), **kwargs)
    for word in words:
        assert word in str(info.value)


def test_loader_rejects_what_is_not_a_dataset():
    with pytest.raises(TypeError, match=r"has no __len__ or __getitem__.*TensorDataset"):
        DataLoader(object(), batch_size=2)
    with pytest.raises(TypeError, match="has no __len__"):
        DataLoader((i for i in range(3)), batch_size=2)

    class NoLen(Dataset):
        def __getitem__(self, i):
            return i
    with pytest.raises(TypeError, match="len\\(dataset\\) failed.*NoLen must define __len__"):
        DataLoader(NoLen())


def test_numpy_integer_batch_size_is_accepted():
    loader = DataLoader(ids_dataset(10), batch_size=np.int64(4))
    assert len(loader) == 3 and isinstance(loader.batch_size, int)


# --------------------------------------------------------------------------- default_collate

def test_collate_keeps_dicts_namedtuples_and_strings():
    Sample = namedtuple("Sample", "x label")
    batch = default_collate([Sample(np.ones(2, np.float32) * i, i) for i in range(3)])
    assert isinstance(batch, Sample) and batch.x.shape == (3, 2) and batch.x.dtype == np.float32
    np.testing.assert_array_equal(batch.label.numpy(), [0, 1, 2])
    as_dict = default_collate([{"x": np.float32(i), "name": f"s{i}"} for i in range(2)])
    assert as_dict["name"] == ["s0", "s1"] and as_dict["x"].dtype == np.float32
    as_list = default_collate([[1, 2.5], [3, 4.5]])
    assert isinstance(as_list, list) and as_list[1].dtype == np.float64


def test_collate_keeps_numpy_strings_as_a_list():
    # Labels read from a numpy string array are np.str_ (a str and a np.generic): PyTorch's
    # default_collate keeps them as a list of strings, as it does Python strings.
    names = np.array(["cat", "dog", "cat"])
    batch = default_collate([(np.float32(i), names[i]) for i in range(3)])
    assert batch[1] == list(names) and batch[0].dtype == np.float32


@pytest.mark.parametrize("samples, error, words", [
    ([np.zeros(2), np.zeros(3)], ValueError, ["different shapes", "(2,)", "(3,)"]),
    ([(1, 2), (1,)], ValueError, ["different numbers of fields"]),
    ([object(), object()], TypeError, ["object", "collate_fn"]),
    ([], ValueError, ["empty"]),
])
def test_collate_errors_name_the_problem(samples, error, words):
    with pytest.raises(error) as info:
        default_collate(samples)
    for word in words:
        assert word in str(info.value)


# --------------------------------------------------------------------------- split_train_test

def test_split_partitions_the_samples():
    X = np.arange(50)[:, None] * np.ones((1, 2))
    y = np.arange(50) % 3
    X_train, y_train, X_test, y_test = split_train_test(X, y, test_size=0.3, seed=0)
    assert len(X_test) == math.ceil(0.3 * 50) and len(X_train) == 50 - len(X_test)
    ids = np.concatenate([X_train[:, 0], X_test[:, 0]]).astype(int)
    np.testing.assert_array_equal(np.sort(ids), np.arange(50))
    np.testing.assert_array_equal(y_train, ids[:len(X_train)] % 3)  # labels follow their rows
    assert not np.array_equal(X_test[:, 0], np.sort(X_test[:, 0]))  # shuffled, not sorted


@pytest.mark.parametrize("test_size", [0.1, 0.25, 0.5])
def test_stratified_split_keeps_class_shares(test_size):
    y = np.repeat(np.arange(4), [40, 25, 17, 9])
    split = split_train_test(np.zeros((len(y), 1)), y, test_size=test_size, seed=3)
    counts = np.bincount(y)
    test_counts = np.bincount(split.y_test, minlength=4)
    assert np.all(np.abs(test_counts - counts * test_size) < 1)
    assert test_counts.sum() == math.ceil(test_size * len(y))
    np.testing.assert_array_equal(test_counts + np.bincount(split.y_train, minlength=4), counts)


def test_split_is_reproducible_and_seed_dependent():
    X, y = np.arange(40)[:, None], np.arange(40) % 2
    a = split_train_test(X, y, seed=1)
    b = split_train_test(X, y, seed=1)
    c = split_train_test(X, y, seed=2)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a.X_test, c.X_test)


@pytest.mark.parametrize("seed", [-1, 1.5, "zero"])
def test_split_rejects_a_bad_seed_naming_it(seed):
    with pytest.raises((TypeError, ValueError)) as info:
        split_train_test(np.zeros((10, 2)), np.arange(10) % 2, seed=seed)
    assert "split_train_test" in str(info.value) and repr(seed) in str(info.value)


def test_split_rejects_a_scalar_X_naming_it():
    with pytest.raises(ValueError, match=r"split_train_test.*shape \(\)"):
        split_train_test(np.float64(1.0), np.arange(3))


def test_unstratified_split():
    y = np.repeat([0, 1], [90, 10])
    split = split_train_test(np.arange(100)[:, None], y, test_size=0.2, seed=0, stratify=False)
    assert len(split.y_test) == 20 and len(np.unique(split.X_train)) == 80


@pytest.mark.parametrize("X, y, test_size, words", [
    (np.zeros((4, 2)), np.zeros(5), 0.2, ["one label per row", "(4, 2)", "(5,)"]),
    (np.zeros((4, 2)), np.zeros(4), 0.0, ["test_size", "(0, 1)"]),
    (np.zeros((4, 2)), np.zeros(4), 1.0, ["test_size"]),
    (np.zeros((4, 2)), np.zeros(4), "half", ["test_size"]),
    (np.zeros((4, 2)), np.zeros(4), 0.9, ["0 for training", "non-empty"]),
])
def test_split_rejects_bad_arguments(X, y, test_size, words):
    with pytest.raises(ValueError) as info:
        split_train_test(X, y, test_size=test_size)
    for word in words:
        assert word in str(info.value)


def test_split_result_unpacks_and_names_classes():
    split = split_train_test(np.zeros((10, 1)), np.arange(10) % 2, classes=["even", "odd"])
    assert len(tuple(split)) == 4 and split.classes == ("even", "odd")
    assert "classes=('even', 'odd')" in repr(split)
    replaced = split._replace(X_test=np.ones((3, 1)))
    assert replaced.classes == ("even", "odd") and replaced.X_test.shape == (3, 1)
    assert pickle.loads(pickle.dumps(split)).classes == ("even", "odd")


# --------------------------------------------------------------------------- preprocessing

def test_flatten_keeps_one_row_per_sample():
    X = np.random.default_rng(0).integers(0, 255, size=(5, 4, 4, 3), dtype=np.uint8)
    flat = flatten(X)
    assert flat.shape == (5, 48)
    for i in range(5):
        np.testing.assert_array_equal(flat[i], X[i].ravel())
    with pytest.raises(ValueError, match="flatten"):
        flatten(np.float32(1))


def test_subtract_mean_uses_the_training_mean_for_both():
    rng = np.random.default_rng(0)
    X_train, X_test = rng.normal(3.0, 2.0, (30, 4)), rng.normal(3.0, 2.0, (10, 4))
    before = X_train.copy(), X_test.copy()
    centered_train, centered_test, mean = subtract_mean(X_train, X_test)
    expected_mean = sum(X_train[i] for i in range(30)) / 30
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(centered_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(centered_test, X_test - expected_mean, rtol=1e-12)
    np.testing.assert_array_equal(X_train, before[0])  # inputs untouched
    np.testing.assert_array_equal(X_test, before[1])
    assert subtract_mean(X_train)[1] is None


def test_subtract_mean_turns_bytes_into_floats():
    X = np.array([[0, 255], [255, 255]], dtype=np.uint8)
    centered, _, mean = subtract_mean(X)
    np.testing.assert_array_equal(mean, [127.5, 255.0])
    np.testing.assert_array_equal(centered, [[-127.5, 0.0], [127.5, 0.0]])


def test_scale_by_std_and_by_a_number():
    rng = np.random.default_rng(1)
    X_train = np.column_stack([rng.normal(0, 5, 200), np.zeros(200)])
    X_test = np.ones((3, 2))
    scaled_train, scaled_test, s = scale(X_train, X_test, by="std")
    np.testing.assert_allclose(scaled_train[:, 0].std(), 1.0, rtol=1e-12)
    assert s[1] == 1.0  # a constant feature keeps scale 1 instead of dividing by ~0
    np.testing.assert_allclose(scaled_test[:, 0], 1 / X_train[:, 0].std(), rtol=1e-12)
    by_255 = scale(np.full((2, 2), 51, np.uint8), by=255)[0]
    np.testing.assert_allclose(by_255, 0.2, rtol=1e-12)
    for bad in (0, -1, "max", True):
        with pytest.raises(ValueError, match="scale: by must be"):
            scale(X_train, by=bad)


def test_bias_trick_folds_the_bias_into_the_weights():
    rng = np.random.default_rng(2)
    X, W, b = rng.standard_normal((6, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    Xb = add_bias_column(X)
    assert Xb.shape == (6, 4) and np.all(Xb[:, -1] == 1)
    np.testing.assert_allclose(Xb @ np.vstack([W, b]), X @ W + b, rtol=1e-12)
    with pytest.raises(ValueError, match=r"2-d.*\(6,\)"):
        add_bias_column(X[:, 0])


def test_preprocess_chains_the_steps():
    rng = np.random.default_rng(3)
    X_train = rng.integers(0, 17, size=(20, 2, 2)).astype(np.float64)
    X_test = rng.integers(0, 17, size=(5, 2, 2)).astype(np.float64)
    train, test = preprocess(X_train, X_test, scale_by=16, bias=True)
    mean = X_train.reshape(20, 4).mean(axis=0)
    assert train.shape == (20, 5) and test.shape == (5, 5) and train.dtype == np.float32
    np.testing.assert_allclose(test[:, :4], (X_test.reshape(5, 4) - mean) / 16, rtol=1e-6)
    assert np.all(train[:, 4] == 1)
    plain_train, _ = preprocess(X_train, X_test, center=False, dtype=np.float64)
    np.testing.assert_array_equal(plain_train, X_train.reshape(20, 4))
    with pytest.raises(ValueError, match=r"preprocess.*\(20, 4\).*\(5, 3\)"):
        preprocess(X_train, X_test[:, :, :1].repeat(3, axis=2)[:, 0])


def test_flatten_and_preprocess_keep_an_empty_set_of_samples():
    X = np.random.default_rng(4).integers(0, 255, size=(6, 4, 4, 3), dtype=np.uint8)
    empty = X[:0]
    assert flatten(empty).shape == (0, 48) and flatten(empty).dtype == X.dtype
    train, test = preprocess(X, empty, scale_by=255, bias=True)
    assert train.shape == (6, 49) and test.shape == (0, 49)


@pytest.mark.parametrize("function", [subtract_mean, scale])
@pytest.mark.parametrize("test_shape", [(4, 1), (4, 5), (3,)])
def test_statistics_are_applied_only_to_test_samples_of_the_training_shape(function,
                                                                          test_shape):
    # (4, 1) would broadcast silently against the (3,) statistic, (4, 5) would fail inside numpy.
    X_train = np.random.default_rng(5).normal(size=(6, 3))
    with pytest.raises(ValueError) as info:
        function(X_train, np.ones(test_shape))
    for word in (function.__name__, "(6, 3)", str(test_shape)):
        assert word in str(info.value)


@pytest.mark.parametrize("function", [subtract_mean, scale])
def test_statistics_of_an_empty_training_set_are_refused(function):
    with pytest.raises(ValueError, match=rf"{function.__name__}.*\(0, 3\)"):
        function(np.zeros((0, 3)), np.ones((2, 3)))


@pytest.mark.parametrize("dtype, n", [(np.float32, 50_000), (np.float32, 1437), (np.float16, 10)])
@pytest.mark.parametrize("value", [0.0, 0.1, 0.3, 123.456])
def test_scale_keeps_1_for_every_constant_feature_whatever_the_rounding(dtype, n, value):
    # A constant feature's std comes out of float32 sums as a few 1e-8 instead of 0, and a
    # float16 array compares with eps=1e-8 rounded to 0: neither may divide by ~0.
    X = np.column_stack([np.full(n, value), np.arange(n) % 7]).astype(dtype)
    for data in (X, subtract_mean(X)[0]):
        scaled, _, s = scale(data)
        assert s[0] == 1
        assert np.all(np.abs(scaled[:, 0]) <= np.abs(data[:, 0]).max())
