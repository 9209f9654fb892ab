"""mg.save / mg.load: exact round trips without pickle, atomic writes, clear errors on bad files."""
import json
import math
import os
import pathlib
import stat

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, serialization
from minigrad.serialization import SerializationError


@pytest.fixture
def folder(tmp_path):
    return tmp_path


def _optimizer_like_state():
    """A state dict in PyTorch's optimizer format, with every kind of value it may hold."""
    return {
        "state": {
            0: {"step": 3, "exp_avg": np.arange(6, dtype=np.float32).reshape(2, 3),
                "max_exp_avg_sq": np.float64(0.25), "sum": np.array(1.5)},
            2: {"momentum_buffer": None},
        },
        "param_groups": [
            {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
             "maximize": True, "params": [0, 1, 2], "name": "body", "weight_decay": 0,
             "initial_lr": None, "milestones": [30, 80]},
        ],
    }


def _assert_identical(a, b):
    """Same structure, same Python/numpy types, same values (bit for bit)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for ka, kb in zip(a, b):
            _assert_identical(ka, kb)
            _assert_identical(a[ka], b[kb])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_identical(x, y)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    elif isinstance(a, float):
        assert a.hex() == b.hex() or (math.isnan(a) and math.isnan(b))
    else:
        assert a == b


def test_optimizer_state_round_trips_exactly(folder):
    state = _optimizer_like_state()
    mg.save(state, folder / "opt.pt")
    _assert_identical(mg.load(folder / "opt.pt"), state)


@pytest.mark.parametrize("value", [
    None, True, 0, -(2 ** 70), 1.5, -0.0, float("inf"), float("nan"), 1e-310, "ünïcode",
    (), [], {}, ((1, 2), [3, (4,)]), {(1, "a"): 2, None: 3, 2.5: "x", False: [None]},
    np.float32(0.1), np.int8(-3), np.bool_(True), np.array(7), np.zeros((0, 3)),
    np.array([1 + 2j]), np.array(["a", "bc"]), np.arange(12, dtype=np.uint16).reshape(3, 4),
    np.array([True, False]), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
])
def test_values_round_trip_with_their_types(folder, value):
    mg.save({"v": value}, folder / "x")
    _assert_identical(mg.load(folder / "x"), {"v": value})


def test_tensors_come_back_as_arrays_and_module_state_reloads(folder):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    mg.save(model.state_dict(), folder / "model.npz")
    loaded = mg.load(str(folder / "model.npz"))
    assert list(loaded) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(loaded)
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(fresh(x).data, model(x).data)
    mg.save({"w": model[0].weight, "t": mg.ones(2)}, folder / "t.npz")
    back = mg.load(folder / "t.npz")
    assert type(back["w"]) is np.ndarray and type(back["t"]) is np.ndarray
    np.testing.assert_array_equal(back["w"], model[0].weight.data)


def test_file_is_a_plain_npz_readable_without_pickle(folder):
    mg.save(_optimizer_like_state(), folder / "s.npz")
    with np.load(folder / "s.npz", allow_pickle=False) as archive:
        manifest = json.loads(archive[serialization.MANIFEST_KEY].tobytes())
        assert manifest["format"] == serialization.FORMAT
        assert manifest["version"] == serialization.VERSION
        assert all(archive[k].dtype != object for k in archive.files)


@pytest.mark.parametrize("name", ["ckpt", "ckpt.bin", "ckpt.npz", "dir.npz/../ckpt.v2"])
def test_writes_exactly_the_path_given(folder, name):
    (folder / "dir.npz").mkdir()
    path = folder / name
    mg.save({"a": 1}, path)
    assert path.is_file() and mg.load(path) == {"a": 1}
    assert sorted(p.name for p in folder.iterdir()) == sorted({"dir.npz", path.resolve().name})


def test_new_file_gets_ordinary_permissions(folder):
    mg.save({"a": 1}, folder / "saved")
    with open(folder / "plain", "wb"):
        pass
    assert os.stat(folder / "saved").st_mode == os.stat(folder / "plain").st_mode



@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_overwriting_keeps_the_files_permissions(folder):
    path = folder / "private.ckpt"
    mg.save({"a": 1}, path)
    mode = 0o600 if stat.S_IMODE(os.stat(path).st_mode) != 0o600 else 0o640
    os.chmod(path, mode)
    mg.save({"a": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode and mg.load(path) == {"a": 2}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_saving_to_a_symlink_writes_its_target(folder):
    """Like open(path, "wb") (and torch.save): the link stays and the file it points to is
    replaced."""
    (folder / "runs").mkdir()
    target = folder / "runs" / "model.ckpt"
    mg.save({"step": 1}, target)
    link = folder / "latest.ckpt"
    link.symlink_to(target)
    mg.save({"step": 2}, link)
    assert link.is_symlink() and mg.load(target) == {"step": 2} == mg.load(link)
    assert _files(folder) == ["latest.ckpt", "runs"] and _files(folder / "runs") == ["model.ckpt"]

@pytest.mark.parametrize("obj,error,words", [
    ({"m": nn.Linear(2, 2)}, TypeError, ["obj['m']", "Linear", "state_dict"]),
    ({"s": {1, 2}}, TypeError, ["obj['s']", "set"]),
    ({"a": [1, object()]}, TypeError, ["obj['a'][1]", "object"]),
    ({"o": np.array([None, 1])}, TypeError, ["obj['o']", "dtype object"]),
    ({frozenset(): 1}, TypeError, ["a key of obj", "frozenset"]),
])
def test_unsupported_values_are_refused_before_writing(folder, obj, error, words):
    path = folder / "never"
    with pytest.raises(error) as info:
        mg.save(obj, path)
    for w in words:
        assert w in str(info.value)
    assert list(folder.iterdir()) == []


def test_circular_structures_are_refused(folder):
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match="circular"):
        mg.save(loop, folder / "loop")
    shared = [1, 2]
    mg.save({"x": shared, "y": shared}, folder / "shared")  # shared but not circular: fine
    assert mg.load(folder / "shared") == {"x": [1, 2], "y": [1, 2]}


def test_bad_paths(folder):
    with pytest.raises(TypeError, match="save: path must be a str or os.PathLike"):
        mg.save({}, 3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mg.save({}, folder / "no" / "such" / "dir" / "f")
    (folder / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        mg.save({}, folder / "d")
    with pytest.raises(FileNotFoundError):
        mg.load(folder / "missing")


# --------------------------------------------------------------------------- atomicity


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("exception", [OSError("disk full"), KeyboardInterrupt()])
def test_failure_midway_keeps_the_previous_file(folder, monkeypatch, exception):
    path = folder / "model.npz"
    mg.save({"version": 1}, path)
    before = path.read_bytes()

    def write_half_then_fail(file, entries):
        file.write(b"PK\x03\x04 half an archive")
        raise exception

    monkeypatch.setattr(serialization, "_write_archive", write_half_then_fail)
    with pytest.raises(type(exception)):
        mg.save({"version": 2}, path)
    assert _files(folder) == ["model.npz"]  # the temporary file is gone
    assert path.read_bytes() == before and mg.load(path) == {"version": 1}


def test_failed_rename_keeps_the_previous_file(folder, monkeypatch):
    path = folder / "model.npz"
    mg.save({"version": 1}, path)

    def refuse(src, dst):
        raise PermissionError(f"cannot rename {src} to {dst}")

    monkeypatch.setattr(serialization.os, "replace", refuse)
    with pytest.raises(PermissionError):
        mg.save({"version": 2}, path)
    monkeypatch.undo()
    assert _files(folder) == ["model.npz"] and mg.load(path) == {"version": 1}


def test_data_is_flushed_to_disk_before_the_rename(folder, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(serialization.os, "fsync",
                        lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(serialization.os, "replace",
                        lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    mg.save({"a": np.ones(3)}, folder / "f")
    monkeypatch.undo()
    assert events[:2] == ["fsync", "replace"]
    np.testing.assert_array_equal(mg.load(folder / "f")["a"], np.ones(3))


# --------------------------------------------------------------------------- bad files


def _saved_bytes(folder):
    mg.save(_optimizer_like_state(), folder / "good.npz")
    return (folder / "good.npz").read_bytes()


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_truncated_files_are_a_clear_error(folder, fraction):
    data = _saved_bytes(folder)
    bad = folder / "cut.npz"
    bad.write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(SerializationError, match="cut.npz"):
        mg.load(bad)


def test_flipped_bytes_are_detected(folder):
    data = bytearray(_saved_bytes(folder))
    with np.load(folder / "good.npz") as archive:  # find where the first array's bytes live
        offset = bytes(data).index(archive["a0"].tobytes())
    data[offset] ^= 0xFF
    bad = folder / "flipped.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match="flipped.npz.*corrupt"):
        mg.load(bad)


def test_foreign_files_are_a_clear_error(folder):
    np.save(folder / "array.npy", np.ones(3))
    np.savez(folder / "plain.npz", x=np.ones(3))
    (folder / "text.txt").write_text("hello")
    np.savez(folder / "pickled.npz", **{serialization.MANIFEST_KEY: np.array([{"a": 1}])})
    cases = {"array.npy": "single .npy array", "plain.npz": "not a minigrad save file",
             "text.txt": "not an .npz archive", "pickled.npz": "corrupt"}
    for name, words in cases.items():
        with pytest.raises(SerializationError) as info:
            mg.load(folder / name)
        assert name in str(info.value) and words in str(info.value)


def _write_with_manifest(path, manifest, **arrays):
    raw = json.dumps(manifest).encode() if isinstance(manifest, dict) else manifest
    np.savez(path, **arrays, **{serialization.MANIFEST_KEY: np.frombuffer(raw, np.uint8)})


@pytest.mark.parametrize("manifest,words", [
    ({"format": "other.tool", "version": 1, "root": {"t": "none"}}, "format 'other.tool'"),
    ({"format": "minigrad.save", "version": 99, "root": {"t": "none"}}, "version 99"),
    ({"format": "minigrad.save"}, "unreadable manifest"),
    (b"\xff\xfe not json", "unreadable manifest"),
    ({"format": "minigrad.save", "version": 1, "root": {"t": "array", "k": "a7"}}, "'a7'"),
    ({"format": "minigrad.save", "version": 1, "root": {"t": "mystery"}}, "'mystery'"),
    ({"format": "minigrad.save", "version": 1, "root": {"t": "int", "v": "3"}}, "int node"),
    ({"format": "minigrad.save", "version": 1, "root": {"t": "dict", "v": [[1]]}}, "corrupt"),
])
def test_malformed_manifests_are_a_clear_error(folder, manifest, words):
    path = folder / "bad.npz"
    _write_with_manifest(path, manifest)
    with pytest.raises(SerializationError) as info:
        mg.load(path)
    assert "bad.npz" in str(info.value) and words in str(info.value)



def test_deeply_nested_manifest_is_a_clear_error(folder):
    """A crafted manifest nested far deeper than any saved object is refused, not a
    RecursionError."""
    depth = 100_000
    raw = ('{"format": "minigrad.save", "version": 1, "root": ' + '{"t": "list", "v": [' * depth
           + '{"t": "none"}' + "]}" * depth + "}").encode()
    path = folder / "deep.npz"
    _write_with_manifest(path, raw)
    with pytest.raises(SerializationError, match="deep.npz.*corrupt"):
        mg.load(path)

def test_save_and_load_are_exported_from_the_package(folder):
    assert mg.save is serialization.save and mg.load is serialization.load
    mg.save([1, (2.0, "three")], pathlib.Path(folder) / "x")
    assert mg.load(os.fsencode(folder / "x")) == [1, (2.0, "three")]


def test_checkpoint_of_model_optimizer_and_scheduler_resumes_identically(folder, rng):
    """Train, checkpoint everything through one file, train on; a fresh model, optimizer and
    scheduler restored from the file follow exactly the same trajectory."""
    from minigrad import optim
    from minigrad.optim import lr_scheduler
    x = mg.Tensor(rng.standard_normal((32, 4)))
    target = rng.integers(0, 3, 32)

    def make():
        model = nn.Sequential(nn.Linear(4, 8, dtype=mg.float64), nn.Tanh(),
                              nn.Linear(8, 3, dtype=mg.float64))
        opt = optim.Adam(model.parameters(), lr=0.05, amsgrad=True)
        return model, opt, lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    def train(model, opt, sched, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), target).backward()
            opt.step()
            sched.step()

    model, opt, sched = make()
    train(model, opt, sched, 3)
    mg.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict()}, folder / "checkpoint")
    train(model, opt, sched, 4)

    checkpoint = mg.load(folder / "checkpoint")
    assert all(type(k) is int for k in checkpoint["optimizer"]["state"])
    model2, opt2, sched2 = make()
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    train(model2, opt2, sched2, 4)
    for (name, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert sched2.get_last_lr() == sched.get_last_lr()
