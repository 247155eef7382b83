"""No loader runs code: every file snnlite reads is read without pickle (issue 12 §2).

The payload is an object array whose unpickling creates a marker directory. Each loader gets
it (as an ``.npz`` entry laid out like the loader's real files, and as a bare pickle) and must
raise a ValueError naming the file, with the marker still absent.
"""

import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

import snnlite
from snnlite import nn
from snnlite.datasets import load_mnist_sample, read_cifar10_batch, read_idx
from snnlite.experiments import stdp_mnist, zou_mnist
from snnlite.experiments.stdp_mnist import CONFIG, build_nets, run_conv, run_diehl_cook
from snnlite.experiments.stdp_models import stdp_net
from snnlite.experiments.zou_models import zou_lenet
from snnlite.learn.diehl_cook import DiehlCook


class Payload:
    """Unpickling this object creates the directory ``marker``."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def _payload_array(marker: Path) -> np.ndarray:
    arr = np.empty(1, dtype=object)
    arr[0] = Payload(marker)
    return arr


def _crafted(tmp_path: Path, name: str, keys: list[str], kind: str) -> tuple[Path, Path]:
    """A hostile file at ``tmp_path/name`` and its marker (``kind``: "npz" or "pickle")."""
    marker = tmp_path / f"RAN_{name}"
    path = tmp_path / name
    if kind == "pickle":
        path.write_bytes(pickle.dumps(Payload(marker)))
    else:  # the loader's own entries, every one of them the payload
        with open(path, "wb") as f:
            np.savez(f, **{key: _payload_array(marker) for key in keys})
    return path, marker


def test_the_payload_runs_when_unpickled(tmp_path):
    """Guard: the crafted file does run code if loaded with pickle, so the tests can fail."""
    path, marker = _crafted(tmp_path, "m.npz", ["a"], "npz")
    with np.load(path, allow_pickle=True) as f:
        f["a"]
    assert marker.is_dir()
    path, marker = _crafted(tmp_path, "p.npz", [], "pickle")
    pickle.loads(path.read_bytes())
    assert marker.is_dir()


def _model_keys():
    return list(nn.Sequential(nn.Linear(4, 3, rng=0)).state_dict())


def _conv_net():
    return stdp_net("ResNet2", channels=CONFIG["channels"], T=CONFIG["T"], rng=0)


def _tiny_data():
    x = np.zeros((4, 1, 28, 28), np.float32)
    y = np.zeros(4, np.int64)
    return x, y, x, y


LOADERS = {
    # name: (file name, entries of a genuine file, call(path, tmp_path))
    "nn.load": ("model.npz", _model_keys(),
                lambda p, d: nn.load(nn.Sequential(nn.Linear(4, 3, rng=0)), p)),
    "nn.load_metadata": ("model.npz", ["0.weight", "__meta__.json"],
                         lambda p, d: nn.load_metadata(p)),
    "DiehlCook.load": ("dc.npz", ["weights", "theta", "n_neurons", "params", "timing"],
                       lambda p, d: DiehlCook.load(p)),
    "stdp-mnist Diehl & Cook cache": (
        "diehl_cook_N10.npz", ["weights", "theta", "n_neurons", "meta"],
        lambda p, d: run_diehl_cook(10, *_tiny_data(), out=d, progress=False)),
    "stdp-mnist conv weights cache": (
        "mnist_ResNet2_weights.npz", ["meta", "w0", "th0", "w1", "th1"],
        lambda p, d: build_nets(_tiny_data(), d, "mnist", progress=False)),
    "stdp-mnist feature cache": (
        "features.npz", ["stats", "train0", "test0"],
        lambda p, d: run_conv({"ResNet2": (_conv_net(), {})}, _tiny_data(), cache=p,
                              progress=False)),
    "stdp-mnist private loader": ("w.npz", ["meta", "w0", "th0", "w1", "th1"],
                                  lambda p, d: stdp_mnist._load_net(_conv_net(), p)),
    "zou compact loader": ("zou.npz", list(zou_lenet(k=0, rng=0).state_dict()),
                           lambda p, d: _load_pretrained_from(p)),
    "MNIST sample": ("sample.npz", ["x_train", "y_train", "x_test", "y_test"],
                     lambda p, d: load_mnist_sample(p)),
    "IDX reader": ("train-images-idx3-ubyte.gz", ["a"], lambda p, d: read_idx(p)),
    "CIFAR-10 batch reader": ("data_batch_1.bin", ["a"], lambda p, d: read_cifar10_batch(p)),
}


def _load_pretrained_from(path):
    """``zou_mnist.load_pretrained`` reading ``path`` instead of the shipped file."""
    saved = dict(zou_mnist.PRETRAINED)
    zou_mnist.PRETRAINED[0] = str(path)  # joinpath() of an absolute path is that path
    try:
        return zou_mnist.load_pretrained(0)
    finally:
        zou_mnist.PRETRAINED.clear()
        zou_mnist.PRETRAINED.update(saved)


@pytest.mark.parametrize("kind", ["npz", "pickle"])
@pytest.mark.parametrize("loader", list(LOADERS))
def test_no_loader_unpickles(tmp_path, loader, kind):
    name, keys, call = LOADERS[loader]
    path, marker = _crafted(tmp_path, name, keys, kind)
    with pytest.raises(ValueError, match=re.escape(name)) as err:
        call(path, tmp_path)
    assert not marker.exists(), f"{loader} ran the pickled payload"
    if kind == "npz" and name.endswith(".npz"):
        assert "pickle" in str(err.value)


def test_no_source_file_can_unpickle():
    """Static guard: no module unpickles or calls np.load (``_npz`` parses archives).

    (joblib and Dask may run sweep tasks: they pickle between processes snnlite started, never
    from a file; importing their ``Parallel``/``Client`` is allowed, their ``load`` is not.)
    """
    root = Path(snnlite.__file__).parent
    libs = "(pickle|cloudpickle|dill|joblib)"
    pattern = re.compile(rf"allow_pickle|\b{libs}\.(load|loads|Unpickler)\b|"
                         rf"^\s*from\s+{libs}\s+import\s+.*\b(load|loads|Unpickler)\b|\bshelve\.open|"
                         r"\bnp\.load\(|\bnumpy\.load\(", re.MULTILINE)
    offenders = [str(source.relative_to(root)) for source in root.rglob("*.py")
                 if pattern.search(source.read_text())]
    assert offenders == []
