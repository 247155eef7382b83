"""Saving and loading model state as .npz."""

import numpy as np
import pytest

from snnlite.nn import Linear, ReLU, Sequential
from snnlite.nn.io import load, load_metadata, save


def net(seed=0, hidden=5, dtype=np.float32):
    return Sequential(Linear(4, hidden, rng=seed, dtype=dtype), ReLU(),
                      Linear(hidden, 3, rng=seed + 1, dtype=dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    src = net(0, dtype=dtype)
    special = np.array([np.nan, -0.0, np.inf, np.finfo(dtype).tiny / 3], dtype)
    src[0].bias.data[:4] = special
    path = tmp_path / "model.npz"
    save(src, path)
    dst = load(net(1, dtype=dtype), path, allow_nonfinite=True)  # NaN/inf refused by default
    assert dst is not src
    for (name, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items(),
                                 strict=True):
        assert b.dtype == a.dtype == dtype, name
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), name
    assert load_metadata(path) == {}


def test_path_is_used_exactly(tmp_path):
    path = tmp_path / "weights.bin"
    save(net(), str(path))
    assert path.exists() and not (tmp_path / "weights.bin.npz").exists()
    load(net(1), str(path))


def test_metadata_round_trip(tmp_path):
    meta = {"dataset": "mnist", "epochs": 3, "accuracy": 0.9912, "quantized": True,
            "bits": np.int64(4), "scale": np.float32(0.5)}
    path = tmp_path / "m.npz"
    save(net(), path, metadata=meta)
    assert load_metadata(path) == {"dataset": "mnist", "epochs": 3, "accuracy": 0.9912,
                                   "quantized": True, "bits": 4, "scale": 0.5}
    load(net(1), path)  # the metadata entry is not mistaken for a parameter
    with np.load(path, allow_pickle=False) as f:
        assert "__meta__.json" in f.files


def test_bad_metadata(tmp_path):
    path = tmp_path / "m.npz"
    with pytest.raises(TypeError, match="dict"):
        save(net(), path, metadata=[("a", 1)])
    with pytest.raises(TypeError, match=r"metadata\['a'\]"):
        save(net(), path, metadata={"a": [1, 2]})
    with pytest.raises(TypeError, match="keys must be str"):
        save(net(), path, metadata={1: "a"})
    with pytest.raises(ValueError, match="finite"):
        save(net(), path, metadata={"a": float("nan")})


def test_mismatched_model_raises_with_path(tmp_path):
    path = tmp_path / "m.npz"
    save(net(), path)
    with pytest.raises(ValueError, match=r"m\.npz.*0\.weight: expected shape"):
        load(net(hidden=6), path)
    other = Sequential(Linear(4, 5), ReLU(), Linear(5, 3), ReLU(), Linear(3, 3))
    with pytest.raises(KeyError, match=r"m\.npz.*missing \['4\.bias', '4\.weight'\]"):
        load(other, path)


def _saved(tmp_path, name="m.npz"):
    path = tmp_path / name
    save(net(), path, metadata={"epochs": 1})
    return path


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"", "is empty"),
    (lambda b: b[:len(b) // 2], "truncated or corrupted"),
    (lambda b: b[:30] + bytes(x ^ 0xFF for x in b[30:60]) + b[60:], "truncated or corrupted"),
    (lambda b: b"epoch,loss\n1,0.5\n", "does not start like an .npz"),
])
def test_damaged_file_is_named_and_explained(tmp_path, damage, message):
    path = _saved(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    model = net(1)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    for call in (lambda: load(model, path), lambda: load_metadata(path)):
        with pytest.raises(ValueError, match=rf"m\.npz.*{message}"):
            call()
    for name, value in model.state_dict().items():  # the model is untouched
        np.testing.assert_array_equal(value, before[name])


def test_foreign_npz_and_npy_are_refused(tmp_path):
    foreign = tmp_path / "images.npz"
    np.savez(foreign, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(KeyError, match=r"images\.npz.*missing \['0\.bias'"):
        load(net(1), foreign)
    single = tmp_path / "w.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match=r"w\.npy.*does not start like an \.npz"):
        load(net(1), single)
    text = tmp_path / "labels.npz"
    np.savez(text, **{"0.weight": np.array(["a"] * 20).reshape(5, 4)})
    with pytest.raises(ValueError, match=r"labels\.npz.*'0\.weight' is a <U1 array"):
        load(net(1), text)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_weights_are_refused(tmp_path, bad):
    src = net()
    src[2].weight.data[1, 2] = bad
    path = tmp_path / "diverged.npz"
    save(src, path)
    model = net(1)
    before = model[2].weight.data.copy()
    with pytest.raises(ValueError, match=r"diverged\.npz.*'2\.weight' holds 1 NaN or infinite"):
        load(model, path)
    np.testing.assert_array_equal(model[2].weight.data, before)
    load(model, path, allow_nonfinite=True)  # on request
    assert model[2].weight.data[1, 2] == bad or np.isnan(model[2].weight.data[1, 2])


def test_shape_mismatch_leaves_the_model_unchanged(tmp_path):
    path = tmp_path / "m.npz"
    save(Sequential(Linear(4, 5), ReLU(), Linear(5, 2)), path)  # only the last layer differs
    model = net(1)
    before = model[0].weight.data.copy()
    with pytest.raises(ValueError, match=r"m\.npz.*2\.(bias|weight): expected shape"):
        load(model, path)
    np.testing.assert_array_equal(model[0].weight.data, before)


def test_metadata_must_be_a_json_object(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, **{"__meta__.json": np.array("[1, 2]")})
    with pytest.raises(ValueError, match=r"m\.npz.*JSON object"):
        load_metadata(path)
    np.savez(path, **{"__meta__.json": np.array("{not json")})
    with pytest.raises(ValueError, match=r"m\.npz.*not valid JSON"):
        load_metadata(path)
