"""minigrad.data.datasets: digits, CIFAR-10 (both file formats, safely), synthetic sets."""
import builtins
import os
import pickle
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

from minigrad.data import (CIFAR10_CLASSES, DataFileError, UnsafePickleError, load_cifar10,
                           load_cifar10_classes, load_digits, make_blobs, make_spiral)
from minigrad.data.datasets._safe_pickle import load_restricted_pickle

N_PER_BATCH = 4  # the real files hold 10000 records each; the layout is the same
TRAIN_NAMES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_NAMES = [f"class{k}" for k in range(10)]  # differ from the real names: proves they are read


# --------------------------------------------------------------------------- writing CIFAR files

def python2_pickle(obj) -> bytes:
    """Pickle ``obj`` as Python 2's cPickle (protocol 2) wrote CIFAR-10's python batches.

    Python 2 str (here: bytes) are SHORT_BINSTRING/BINSTRING opcodes, which Python 3 reads as
    bytes only with ``encoding="bytes"``; arrays are ``numpy.core.multiarray._reconstruct`` +
    BUILD with a ``numpy.dtype`` state, as numpy 1.x wrote them.
    """
    out = bytearray(b"\x80\x02")

    def put(value):
        if isinstance(value, dict):
            out.extend(b"}(")
            for key, item in value.items():
                put(key)
                put(item)
            out.extend(b"u")
        elif isinstance(value, (list, tuple)):
            out.extend(b"](" if isinstance(value, list) else b"(")
            for item in value:
                put(item)
            out.extend(b"e" if isinstance(value, list) else b"t")
        elif isinstance(value, bytes):
            if len(value) < 256:
                out.extend(b"U" + bytes([len(value)]) + value)
            else:
                out.extend(b"T" + struct.pack("<i", len(value)) + value)
        elif isinstance(value, bool) or value is None:
            out.extend({True: b"\x88", False: b"\x89", None: b"N"}[value])
        elif isinstance(value, int):
            out.extend(b"J" + struct.pack("<i", value))
        elif isinstance(value, np.ndarray):
            out.extend(b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
                       b"K\x00\x85U\x01b\x87R(K\x01")
            put(tuple(value.shape))
            out.extend(b"cnumpy\ndtype\n")
            put(value.dtype.str[1:].encode())
            out.extend(b"K\x00K\x01\x87R(K\x03")
            put(value.dtype.str[:1].encode())
            out.extend(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89")
            put(value.tobytes())
            out.extend(b"tb")
        else:
            raise TypeError(type(value))
    put(obj)
    out.extend(b".")
    return bytes(out)


def images_to_rows(images):
    """(N, 32, 32, 3) -> (N, 3072), CIFAR-10's order: all red, then green, then blue, row-major."""
    return images.transpose(0, 3, 1, 2).reshape(len(images), 3072)


def make_batches(seed=0):
    """Six small batches (five training, one test) of random images and labels."""
    rng = np.random.default_rng(seed)
    return {name: (rng.integers(0, 256, (N_PER_BATCH, 32, 32, 3), dtype=np.uint8),
                   rng.integers(0, 10, N_PER_BATCH))
            for name in TRAIN_NAMES + ["test_batch"]}


def write_binary(folder, batches, class_names=TEST_NAMES):
    folder.mkdir(parents=True)
    for name, (images, labels) in batches.items():
        records = np.column_stack([labels.astype(np.uint8), images_to_rows(images)])
        (folder / f"{name}.bin").write_bytes(records.tobytes())
    if class_names is not None:
        (folder / "batches.meta.txt").write_text("\n".join(class_names) + "\n\n")
    return folder


def write_python(folder, batches, class_names=TEST_NAMES, dump=python2_pickle):
    folder.mkdir(parents=True)
    for name, (images, labels) in batches.items():
        batch = {b"batch_label": name.encode(), b"labels": [int(v) for v in labels],
                 b"data": images_to_rows(images),
                 b"filenames": [f"img_{i}.png".encode() for i in range(len(labels))]}
        (folder / name).write_bytes(dump(batch))
    if class_names is not None:
        meta = {b"num_cases_per_batch": N_PER_BATCH,
                b"label_names": [n.encode() for n in class_names], b"num_vis": 3072}
        (folder / "batches.meta").write_bytes(dump(meta))
    return folder


def expected_split(batches):
    train = [batches[name] for name in TRAIN_NAMES]
    return (np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]),
            *batches["test_batch"])


# --------------------------------------------------------------------------- CIFAR-10

@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # numpy 2 aliases numpy.core
def test_python2_pickle_helper_writes_what_pickle_reads_with_encoding_bytes():
    """Control: the test files are real pickles, as ``pickle.load(f, encoding="bytes")`` sees."""
    batch = {b"labels": [3, 300, -1], b"data": np.arange(6, dtype=np.uint8).reshape(2, 3),
             b"big": bytes(300), b"flags": (True, None)}
    loaded = pickle.loads(python2_pickle(batch), encoding="bytes")
    assert loaded.keys() == batch.keys() and loaded[b"labels"] == [3, 300, -1]
    np.testing.assert_array_equal(loaded[b"data"], batch[b"data"])
    assert loaded[b"data"].dtype == np.uint8 and loaded[b"big"] == bytes(300)
    assert loaded[b"flags"] == (True, None)


@pytest.mark.parametrize("write, folder_name", [(write_binary, "cifar-10-batches-bin"),
                                                 (write_python, "cifar-10-batches-py")])
@pytest.mark.parametrize("give_parent", [False, True])
def test_cifar10_reads_both_formats_from_the_folder_or_its_parent(tmp_path, write, folder_name,
                                                                   give_parent):
    batches = make_batches()
    folder = write(tmp_path / folder_name, batches)
    X_train, y_train, X_test, y_test = data = load_cifar10(tmp_path if give_parent else folder)
    assert X_train.shape == (5 * N_PER_BATCH, 32, 32, 3)
    assert X_test.shape == (N_PER_BATCH, 32, 32, 3)
    assert X_train.dtype == np.uint8 and y_train.dtype == np.int64 and y_test.dtype == np.int64
    for got, expected in zip(data, expected_split(batches), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert data.classes == tuple(TEST_NAMES) == load_cifar10_classes(folder)


@pytest.mark.parametrize("write", [write_binary, write_python])
def test_cifar10_pixel_order_row_column_channel(tmp_path, write):
    """Byte k*1024 + r*32 + c of a record's pixels is channel k at row r, column c."""
    batches = make_batches()
    row, col, channel = 5, 7, 2
    images = np.zeros((N_PER_BATCH, 32, 32, 3), np.uint8)
    images[1, row, col, channel] = 200
    rows = images_to_rows(images)
    assert rows[1, channel * 1024 + row * 32 + col] == 200 and rows.sum() == 200
    batches["data_batch_3"] = (images, np.array([3, 1, 4, 1]))
    X_train, y_train, _, _ = load_cifar10(write(tmp_path / "cifar", batches))
    index = 2 * N_PER_BATCH + 1  # batch 3, record 1
    assert X_train[index, row, col, channel] == 200 and X_train[index].sum() == 200
    np.testing.assert_array_equal(y_train[2 * N_PER_BATCH:3 * N_PER_BATCH], [3, 1, 4, 1])


def test_cifar10_prefers_binary_when_both_are_present(tmp_path):
    binary, python = make_batches(seed=1), make_batches(seed=2)
    write_binary(tmp_path / "cifar-10-batches-bin", binary)
    write_python(tmp_path / "cifar-10-batches-py", python)
    np.testing.assert_array_equal(load_cifar10(tmp_path).X_test, binary["test_batch"][0])


@pytest.mark.parametrize("write", [write_binary, write_python])
def test_cifar10_default_class_names_without_meta_file(tmp_path, write):
    folder = write(tmp_path / "cifar", make_batches(), class_names=None)
    assert load_cifar10(folder).classes == CIFAR10_CLASSES
    assert CIFAR10_CLASSES[0] == "airplane" and len(CIFAR10_CLASSES) == 10


@pytest.mark.parametrize("protocol", [2, 4, 5])
@pytest.mark.parametrize("str_keys", [False, True])
def test_cifar10_python_batches_pickled_by_python3(tmp_path, protocol, str_keys):
    def dump(obj):
        if str_keys:
            obj = {key.decode(): value for key, value in obj.items()}
        return pickle.dumps(obj, protocol=protocol)
    batches = make_batches()
    folder = write_python(tmp_path / "cifar", batches, dump=dump)
    data = load_cifar10(folder)
    for got, expected in zip(data, expected_split(batches), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert data.classes == tuple(TEST_NAMES)


def test_cifar10_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load_cifar10(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 batches.*cifar-10-batches-py"):
        load_cifar10(tmp_path)
    folder = write_binary(tmp_path / "cifar-10-batches-bin", make_batches())
    (folder / "test_batch.bin").unlink()
    (folder / "data_batch_4.bin").unlink()
    with pytest.raises(FileNotFoundError, match="lacks data_batch_4.bin, test_batch.bin"):
        load_cifar10(tmp_path)


@pytest.mark.parametrize("cut", [1, 3072, 5000])  # 3073 would leave 3 whole records
def test_cifar10_truncated_binary_batch_names_the_file(tmp_path, cut):
    folder = write_binary(tmp_path / "cifar", make_batches())
    path = folder / "data_batch_2.bin"
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.raises(DataFileError, match=r"data_batch_2\.bin.*not a whole number of CIFAR-10 "
                                            r"records.*truncated"):
        load_cifar10(folder)
    path.write_bytes(b"")
    with pytest.raises(DataFileError, match=r"data_batch_2\.bin: 0 bytes"):
        load_cifar10(folder)


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.999])
def test_cifar10_truncated_pickle_names_the_file(tmp_path, keep):
    folder = write_python(tmp_path / "cifar", make_batches())
    path = folder / "test_batch"
    raw = path.read_bytes()
    path.write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(DataFileError, match=r"test_batch: not a readable pickle"):
        load_cifar10(folder)


@pytest.mark.parametrize("batch, words", [
    ({b"data": np.zeros((4, 3000), np.uint8), b"labels": [0] * 4}, ["uint8", "(N, 3072)",
                                                                     "(4, 3000)"]),
    ({b"data": np.zeros((4, 3072), np.float32), b"labels": [0] * 4}, ["float32"]),
    ({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0] * 3}, ["one integer per image"]),
    ({b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 1, 2, 10]}, ["0..9", "10"]),
    ({b"labels": [0] * 4}, ["no 'data' entry"]),
    ([1, 2, 3], ["expected a pickled dict", "list"]),
])
def test_cifar10_malformed_python_batch_names_the_file(tmp_path, batch, words):
    folder = write_python(tmp_path / "cifar", make_batches())
    (folder / "data_batch_5").write_bytes(python2_pickle(batch))
    with pytest.raises(DataFileError) as info:
        load_cifar10(folder)
    assert "data_batch_5" in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_cifar10_bad_labels_and_meta_in_binary(tmp_path):
    folder = write_binary(tmp_path / "cifar", make_batches())
    path = folder / "data_batch_1.bin"
    raw = bytearray(path.read_bytes())
    raw[0] = 12
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match=r"data_batch_1\.bin: labels must be in 0\.\.9"):
        load_cifar10(folder)
    (folder / "batches.meta.txt").write_text("cat\ndog\n")
    with pytest.raises(DataFileError, match=r"batches\.meta\.txt: expected 10 class names"):
        load_cifar10_classes(folder)


# --------------------------------------------------------------------------- malicious pickles

class Payload:
    """Pickles as a call ``function(*args)``: what an attacker's file would contain."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def payloads(marker):
    """Ways a pickle could create ``marker`` when loaded by ``pickle.load``."""
    return {
        "os.system": Payload(os.system, f"touch {marker}"),
        "builtins.open": Payload(builtins.open, str(marker), "w"),
        "builtins.exec": Payload(builtins.exec, f"open({str(marker)!r}, 'w').close()"),
        "subprocess": Payload(subprocess.call, ["touch", str(marker)]),
    }


@pytest.mark.parametrize("kind", ["os.system", "builtins.open", "builtins.exec", "subprocess"])
def test_the_malicious_pickles_really_are_malicious(tmp_path, kind):
    """Control: plain pickle.loads of each payload does create the marker file."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(payloads(marker)[kind], protocol=2))
    assert marker.exists()


@pytest.mark.parametrize("kind", ["os.system", "builtins.open", "builtins.exec", "subprocess"])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_cifar10_malicious_pickle_is_refused_and_runs_nothing(tmp_path, kind, protocol):
    marker = tmp_path / "pwned"
    folder = write_python(tmp_path / "cifar", make_batches())
    batch = {b"data": np.zeros((4, 3072), np.uint8), b"labels": payloads(marker)[kind]}
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=protocol))
    with pytest.raises(UnsafePickleError) as info:
        load_cifar10(folder)
    message = str(info.value)
    assert "data_batch_1" in message and "refused" in message and "could run code" in message
    assert not marker.exists()


def test_malicious_meta_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    folder = write_python(tmp_path / "cifar", make_batches())
    (folder / "batches.meta").write_bytes(pickle.dumps(payloads(marker)["os.system"]))
    asked_for = re.escape(f"asks for {os.system.__module__}.system")  # posix.system on Linux
    with pytest.raises(UnsafePickleError, match=r"batches\.meta: refused.*" + asked_for):
        load_cifar10_classes(folder)
    assert not marker.exists()


@pytest.mark.parametrize("value, words", [
    (np.array([1, 2], dtype=object), ["object"]),
    (np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]), ["dtype", "not accepted"]),
    (np.load, ["numpy.load"]),
    (Payload(np.frombuffer, b"\x00" * 8), ["numpy", "frombuffer"]),
])
def test_restricted_unpickler_refuses_what_is_not_a_plain_array(tmp_path, value, words):
    path = tmp_path / "file.pkl"
    path.write_bytes(pickle.dumps({"x": value}, protocol=2))
    with pytest.raises(UnsafePickleError) as info:
        load_restricted_pickle(path)
    assert "file.pkl" in str(info.value)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_restricted_unpickler_rebuilds_numpy_values_exactly(tmp_path, protocol):
    rng = np.random.default_rng(protocol)
    values = {
        "float64": rng.standard_normal((3, 4)),
        "int32": rng.integers(-9, 9, (2, 5)).astype(np.int32),
        "big_endian": np.arange(6, dtype=">i4").reshape(2, 3),
        "fortran": np.asfortranarray(rng.standard_normal((3, 2)).astype(np.float32)),
        "bool": np.array([True, False, True]),
        "complex": np.array([1 + 2j, -3j]),
        "empty": np.zeros((0, 3), np.uint8),
        "zero_d": np.array(2.5),
        "scalar": np.int64(-7),
        "nested": [b"bytes", "text", (1, 2.5, None), {"inner": np.arange(3)}],
    }
    path = tmp_path / "values.pkl"
    path.write_bytes(pickle.dumps(values, protocol=protocol))
    loaded = load_restricted_pickle(path)
    assert loaded.keys() == values.keys()
    for key in ("float64", "int32", "big_endian", "fortran", "bool", "complex", "empty", "zero_d"):
        assert loaded[key].dtype == values[key].dtype and loaded[key].shape == values[key].shape
        np.testing.assert_array_equal(loaded[key], values[key])
    assert loaded["scalar"] == -7 and loaded["scalar"].dtype == np.int64
    assert loaded["nested"][:3] == values["nested"][:3]
    np.testing.assert_array_equal(loaded["nested"][3]["inner"], np.arange(3))


def test_restricted_unpickler_checks_array_sizes(tmp_path):
    raw = python2_pickle({b"data": np.zeros((2, 3), np.uint8)})
    path = tmp_path / "short.pkl"
    path.write_bytes(raw.replace(b"U\x06" + bytes(6), b"U\x05" + bytes(5)))
    with pytest.raises(DataFileError, match=r"short\.pkl.*needs 6 bytes.*holds 5"):
        load_restricted_pickle(path)


# --------------------------------------------------------------------------- digits

def test_digits_shapes_dtypes_and_values():
    X_train, y_train, X_test, y_test = data = load_digits()
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert X_train.min() == 0 and X_train.max() == 16
    assert data.classes == tuple("0123456789")
    assert load_digits(dtype=np.float64).X_train.dtype == np.float64


def test_digits_split_is_stratified_and_covers_the_data():
    from sklearn.datasets import load_digits as sklearn_digits
    X, y = sklearn_digits(return_X_y=True)
    X_train, y_train, X_test, y_test = load_digits(test_size=0.25, seed=4, dtype=np.float64)
    counts = np.bincount(y)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - 0.25 * counts) < 1)
    np.testing.assert_array_equal(np.bincount(y_train) + np.bincount(y_test), counts)
    both = np.vstack([X_train, X_test])
    labels = np.concatenate([y_train, y_test])
    order, reference = np.lexsort(both.T), np.lexsort(X.T)
    np.testing.assert_array_equal(both[order], X[reference])  # same images, each once
    np.testing.assert_array_equal(labels[order], y[reference])  # each with its own label


def test_digits_split_is_reproducible_and_seed_dependent():
    a, b, c = load_digits(seed=1), load_digits(seed=1), load_digits(seed=2)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a.y_test, c.y_test)


def test_digits_without_scikit_learn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'minigrad\[data\]'"):
        load_digits()


def test_importing_minigrad_data_does_not_import_scikit_learn():
    code = ("import sys, minigrad, minigrad.data; "
            "print(sorted(m for m in ('sklearn', 'torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- synthetic

def test_spiral_points_lie_on_the_arms():
    X, y = make_spiral(n_per_class=50, n_classes=4, seed=0)
    assert X.shape == (200, 2) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50] * 4)
    radius = np.hypot(X[:, 0], X[:, 1])  # noise moves the angle only: |x| is the radius
    np.testing.assert_allclose(radius, np.tile(np.linspace(0, 1, 50), 4), atol=1e-6)


def test_spiral_is_not_linearly_separable():
    X, y = make_spiral(n_per_class=100, n_classes=3, seed=0)
    design = np.column_stack([X, np.ones(len(X))]).astype(np.float64)
    W, *_ = np.linalg.lstsq(design, np.eye(3)[y], rcond=None)
    accuracy = np.mean((design @ W).argmax(axis=1) == y)
    assert accuracy < 0.7


def test_blobs_have_the_requested_spread():
    X, y = make_blobs(n_per_class=2000, n_classes=3, n_features=4, std=0.5, seed=0)
    assert X.shape == (6000, 4) and y.dtype == np.int64
    for k in range(3):
        members = X[y == k].astype(np.float64)
        np.testing.assert_allclose(members.std(axis=0), 0.5, rtol=0.05)
        assert np.all(np.abs(members.mean(axis=0)) <= 5 + 0.1)  # centers drawn in (-5, 5)


@pytest.mark.parametrize("maker", [make_spiral, make_blobs])
def test_synthetic_sets_are_reproducible(maker):
    (X1, y1), (X2, y2), (X3, _) = maker(seed=3), maker(seed=3), maker(seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("call, words", [
    (lambda: make_spiral(n_per_class=0), ["make_spiral", "n_per_class", ">= 1"]),
    (lambda: make_spiral(n_classes=2.5), ["n_classes"]),
    (lambda: make_blobs(n_features=True), ["make_blobs", "n_features"]),
    (lambda: make_blobs(std=-1), ["std", ">= 0"]),
    (lambda: make_spiral(seed=-1), ["make_spiral", "seed", "-1"]),
    (lambda: make_blobs(seed=-2), ["make_blobs", "seed", "-2"]),
    (lambda: make_blobs(center_box=(5, -5)), ["make_blobs", "center_box", "(5, -5)"]),
    (lambda: make_blobs(center_box=(0, 1, 2)), ["make_blobs", "center_box", "(0, 1, 2)"]),
])
def test_synthetic_makers_reject_bad_arguments(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("module, name", [
    ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"),
    ("_codecs", "encode"), ("builtins", "bytes"),
    ("numpy", "dtype"), ("numpy._core.multiarray", "_reconstruct"), ("numpy", "ndarray")])
@pytest.mark.parametrize("state", [{"note": 1}, (None, {"__defaults__": ("utf8",)}),
                                   (None, {"__setstate__": None})])
def test_restricted_unpickler_refuses_to_modify_its_stand_ins(tmp_path, module, name, state):
    # GLOBAL hands out a stand-in; BUILD on it would set attributes (or __defaults__) on it for
    # the rest of the process. A later, honest file must still load as before.
    path = tmp_path / "tamper.pkl"
    body = pickle.dumps(state, protocol=2)[2:-1]  # the opcodes that push ``state``
    path.write_bytes(b"\x80\x02c" + f"{module}\n{name}\n".encode() + body + b"b.")
    functions = ("scalar", "_frombuffer", "encode", "bytes")
    with pytest.raises(UnsafePickleError if name in functions else DataFileError,
                       match="modify" if name in functions else None):
        load_restricted_pickle(path)
    honest = tmp_path / "honest.pkl"
    honest.write_bytes(pickle.dumps({"x": np.arange(3.0), "s": b"ab"}, protocol=2))
    loaded = load_restricted_pickle(honest)
    np.testing.assert_array_equal(loaded[b"x"] if b"x" in loaded else loaded["x"], [0, 1, 2])
