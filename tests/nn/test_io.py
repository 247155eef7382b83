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
