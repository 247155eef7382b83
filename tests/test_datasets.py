"""Tests for snnlite.datasets: real IDX files, corruption, search order, download, sample.

The real-data tests need the verified copies of MNIST and Fashion-MNIST: set ``SNNLITE_DATA``
(CI uses ``../shared/data``, relative to the checkout). They fail, never skip, without them.
No test touches the network: the default downloader is replaced by one that raises.
"""

from __future__ import annotations

import gzip
import os
import shutil
import struct
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from snnlite.datasets import (
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    MNIST_MEAN,
    MNIST_STD,
    load_fashion_mnist,
    load_mnist,
    load_mnist_sample,
    make_mnist_sample,
    normalize,
    read_idx,
    to_float,
)
from snnlite.datasets import idx as datasets

REPO = Path(__file__).resolve().parents[1]
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder holding ``mnist/`` and ``fashion-mnist/`` (from $SNNLITE_DATA)."""
    env = os.environ.get("SNNLITE_DATA")
    # A relative SNNLITE_DATA may be meant from the working directory or from the checkout.
    tried = [Path(env), REPO / env] if env else [REPO.parent / "shared" / "data"]
    tried = list(dict.fromkeys(c.resolve() for c in tried))
    for cand in tried:
        if (cand / "mnist").is_dir() and (cand / "fashion-mnist").is_dir():
            return cand
    pytest.fail(f"real MNIST/Fashion-MNIST files not found (SNNLITE_DATA={env!r}; tried "
                f"{', '.join(map(str, tried))}). Set SNNLITE_DATA to the "
                "folder holding mnist/ and fashion-mnist/, e.g. ../shared/data.")


@pytest.fixture(autouse=True)
def offline_home(tmp_path, monkeypatch) -> Path:
    """Point HOME at an empty temp dir and make the real downloader fail."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))

    def no_network(url, dest):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(datasets, "_fetch_url", no_network)
    return home


def write_idx(path: Path, arr, magic: int | None = None, extra: bytes = b"", cut: int = 0):
    """Write ``arr`` as a gzip-compressed IDX file, optionally damaged."""
    arr = np.asarray(arr, dtype=np.uint8)
    magic = 0x0800 + arr.ndim if magic is None else magic
    raw = struct.pack(f">I{arr.ndim}I", magic, *arr.shape) + arr.tobytes() + extra
    path.write_bytes(gzip.compress(raw[: len(raw) - cut]))
    return path


def mnist_test_dir(data_root: Path, where: Path, corrupt: bool = False) -> Path:
    """Make ``where`` hold the MNIST test files (labels with one byte flipped if corrupt)."""
    where.mkdir(parents=True, exist_ok=True)
    for name in TEST_FILES:
        shutil.copyfile(data_root / "mnist" / name, where / name)
    if corrupt:
        labels = where / TEST_FILES[1]
        b = bytearray(labels.read_bytes())
        b[100] ^= 0xFF
        labels.write_bytes(bytes(b))
    return where


# ---------------------------------------------------------------- real files


@pytest.mark.parametrize("loader, split, n, mean, std, counts", [
    (load_mnist, "train", 60000, 33.3184, 78.5675, MNIST_TRAIN_COUNTS),
    (load_mnist, "test", 10000, 33.7912, 79.1725, MNIST_TEST_COUNTS),
    (load_fashion_mnist, "train", 60000, 72.9404, 90.0212, [6000] * 10),
    (load_fashion_mnist, "test", 10000, 73.1466, 89.8733, [1000] * 10),
])
def test_real_files(data_root, loader, split, n, mean, std, counts):
    name = "mnist" if loader is load_mnist else "fashion-mnist"
    x, y = loader(split, root=data_root / name, download=False)
    assert x.shape == (n, 28, 28) and x.dtype == np.uint8
    assert y.shape == (n,) and y.dtype == np.uint8
    assert x.mean(dtype=np.float64) == pytest.approx(mean, abs=1e-4)
    assert x.std(dtype=np.float64) == pytest.approx(std, abs=1e-4)
    assert np.bincount(y, minlength=10).tolist() == counts


def test_constants_are_training_statistics(data_root):
    for loader, name, mean, std in [(load_mnist, "mnist", MNIST_MEAN, MNIST_STD),
                                    (load_fashion_mnist, "fashion-mnist", FASHION_MNIST_MEAN,
                                     FASHION_MNIST_STD)]:
        x = loader("train", root=data_root / name, download=False)[0] / 255.0
        assert x.mean() == pytest.approx(mean, rel=1e-9)
        assert x.std() == pytest.approx(std, rel=1e-9)


def test_repeated_loads_are_cached_and_independent(data_root):
    root = data_root / "mnist"
    x1, y1 = load_mnist("test", root=root, download=False)
    hits = datasets._load_pair.cache_info().hits
    x1[:] = 0
    x2, _ = load_mnist("test", root=root, download=False)
    assert datasets._load_pair.cache_info().hits == hits + 1
    assert x2.any(), "a caller's in-place edit leaked into the cache"


# ---------------------------------------------------------------- IDX parsing


def test_read_idx_roundtrip(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(write_idx(tmp_path / "a.gz", arr), magic=0x803)
    np.testing.assert_array_equal(out, arr)
    assert out.dtype == np.uint8


@pytest.mark.parametrize("damage, match", [
    (lambda p: p.write_bytes(b"this is not gzip at all"), "not a valid gzip"),
    (lambda p: p.write_bytes(gzip.compress(np.arange(5000).tobytes())[:-30]), "not a valid gzip"),
    (lambda p: p.write_bytes(b""), "0 bytes is too short"),
    (lambda p: write_idx(p, np.ones((3, 28, 28)), cut=5), "payload has 2347 bytes"),
    (lambda p: write_idx(p, np.ones((3, 28, 28)), extra=b"\0"), "payload has 2353 bytes"),
    (lambda p: write_idx(p, np.ones(3)), "wrong IDX magic number 0x00000801"),
    (lambda p: write_idx(p, np.ones((3, 28, 28)), magic=0x0D03), "wrong IDX magic"),
    (lambda p: p.write_bytes(gzip.compress(b"\0\0")), "too short"),
    (lambda p: p.write_bytes(gzip.compress(b"\0\0\x08\x03\0\0")), "header truncated"),
])
def test_read_idx_rejects_damaged_files(tmp_path, damage, match):
    path = tmp_path / "bad-idx3-ubyte.gz"
    damage(path)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(path, magic=0x803)
    assert str(path) in str(info.value)


def test_real_file_truncated_gzip_is_rejected(data_root, tmp_path):
    src = (data_root / "mnist" / TEST_FILES[1]).read_bytes()
    path = tmp_path / TEST_FILES[1]
    path.write_bytes(src[: len(src) // 2])
    with pytest.raises(ValueError, match="not a valid gzip"):
        read_idx(path)


def test_checksum_mismatch_names_file(data_root, tmp_path):
    root = mnist_test_dir(data_root, tmp_path / "root", corrupt=True)
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        load_mnist("test", root=root, download=False)
    assert str(root / TEST_FILES[1]) in str(info.value)


def test_well_formed_but_foreign_file_fails_checksum(tmp_path):
    write_idx(tmp_path / TEST_FILES[0], np.zeros((2, 28, 28)))
    write_idx(tmp_path / TEST_FILES[1], np.zeros(2))
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_mnist("test", root=tmp_path, download=False)


# ---------------------------------------------------------------- search order


def test_root_is_searched_first(data_root, tmp_path, offline_home, monkeypatch):
    root = mnist_test_dir(data_root, tmp_path / "root", corrupt=True)
    mnist_test_dir(data_root, tmp_path / "env/mnist")
    monkeypatch.setenv("SNNLITE_DATA", str(tmp_path / "env"))
    mnist_test_dir(data_root, offline_home / ".cache/snnlite/mnist")
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        load_mnist("test", root=root, download=False)
    assert str(root) in str(info.value)


def test_env_beats_cache(data_root, tmp_path, offline_home, monkeypatch):
    env = mnist_test_dir(data_root, tmp_path / "env/mnist", corrupt=True)
    monkeypatch.setenv("SNNLITE_DATA", str(env.parent))
    mnist_test_dir(data_root, offline_home / ".cache/snnlite/mnist")
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        load_mnist("test", root=tmp_path / "empty", download=False)
    assert str(env) in str(info.value)


def test_cache_is_last_and_empty_dirs_are_skipped(data_root, tmp_path, offline_home,
                                                  monkeypatch):
    (tmp_path / "env/mnist").mkdir(parents=True)
    monkeypatch.setenv("SNNLITE_DATA", str(tmp_path / "env"))
    cache = mnist_test_dir(data_root, offline_home / ".cache/snnlite/mnist", corrupt=True)
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        load_mnist("test", root=tmp_path, download=False)
    assert str(cache) in str(info.value)
    shutil.copyfile(data_root / "mnist" / TEST_FILES[1], cache / TEST_FILES[1])
    x, y = load_mnist("test", download=False)
    assert x.shape == (10000, 28, 28) and y.shape == (10000,)


# ---------------------------------------------------------------- offline / download


def test_offline_error_names_everything(tmp_path, offline_home, monkeypatch):
    def fail(url, dest):
        raise OSError("simulated: no route to host")

    monkeypatch.setattr(datasets, "_fetch_url", fail)
    monkeypatch.setenv("SNNLITE_DATA", str(tmp_path / "data"))
    root = tmp_path / "mine"
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist("train", root=root)
    msg = str(info.value)
    for part in (str(root), str(tmp_path / "data" / "fashion-mnist"),
                 str(offline_home / ".cache" / "snnlite" / "fashion-mnist"), "SNNLITE_DATA",
                 "root=", "train-images-idx3-ubyte.gz", "download failed",
                 "simulated: no route to host", "fashion-mnist.s3-website"):
        assert part in msg, f"{part!r} missing from: {msg}"


def test_download_false_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("SNNLITE_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="download=False") as info:
        load_mnist("test", download=False)
    assert "SNNLITE_DATA" in str(info.value)


def test_download_falls_back_to_second_mirror(data_root, offline_home, monkeypatch):
    monkeypatch.delenv("SNNLITE_DATA", raising=False)
    urls = []

    def fetch(url, dest):
        urls.append(url)
        if "ossci" in url:
            raise OSError("HTTP Error 503")
        shutil.copyfile(data_root / "mnist" / url.rsplit("/", 1)[1], dest)

    x, y = load_mnist("test", download=fetch)
    assert x.shape == (10000, 28, 28) and np.bincount(y).tolist() == MNIST_TEST_COUNTS
    assert urls == [f"{m}{f}" for f in TEST_FILES
                    for m in ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                              "https://storage.googleapis.com/cvdf-datasets/mnist/")]
    cache = offline_home / ".cache" / "snnlite" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(TEST_FILES)
    # Now the files are found in the cache: no second download.
    load_mnist("test", download=fetch)
    assert len(urls) == 4


def test_download_with_bad_checksum_is_discarded(offline_home, monkeypatch):
    monkeypatch.delenv("SNNLITE_DATA", raising=False)

    def fetch(url, dest):
        Path(dest).write_bytes(b"<html>captive portal</html>")

    with pytest.raises(FileNotFoundError, match="checksum mismatch"):
        load_mnist("test", download=fetch)
    assert list((offline_home / ".cache" / "snnlite" / "mnist").iterdir()) == []


def test_argument_validation():
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        load_mnist("val")
    with pytest.raises(TypeError, match="download must be"):
        load_mnist("test", download="yes")
    with pytest.raises(TypeError, match="root must be a directory path or None, got int"):
        load_mnist("test", root=3)


# ---------------------------------------------------------------- bundled sample


def test_sample_is_package_data():
    folder = resources.files("snnlite.data")
    assert folder.joinpath("mnist_sample.npz").is_file()
    assert folder.joinpath("README.md").is_file()


def test_sample_is_first_images_of_real_files(data_root):
    x_train, y_train, x_test, y_test = load_mnist_sample()
    for a, shape in [(x_train, (2000, 28, 28)), (y_train, (2000,)),
                     (x_test, (1000, 28, 28)), (y_test, (1000,))]:
        assert a.shape == shape and a.dtype == np.uint8
    root = data_root / "mnist"
    xt, yt = load_mnist("train", root=root, download=False)
    xs, ys = load_mnist("test", root=root, download=False)
    np.testing.assert_array_equal(x_train, xt[:2000])
    np.testing.assert_array_equal(y_train, yt[:2000])
    np.testing.assert_array_equal(x_test, xs[:1000])
    np.testing.assert_array_equal(y_test, ys[:1000])


def test_make_mnist_sample(data_root, tmp_path):
    path = make_mnist_sample(tmp_path / "s.npz", n_train=5, n_test=3, root=data_root / "mnist")
    bundled = load_mnist_sample()
    with np.load(path) as z:
        got = [z[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    for g, b, n in zip(got, bundled, (5, 5, 3, 3), strict=True):
        np.testing.assert_array_equal(g, b[:n])
    for g, b in zip(load_mnist_sample(path), got, strict=True):  # the loader reads it back
        np.testing.assert_array_equal(g, b)
        assert g.flags.writeable
    np.savez(tmp_path / "f.npz", x_train=got[0].astype(np.float32), y_train=got[1],
             x_test=got[2], y_test=got[3])
    with pytest.raises(ValueError, match=r"f\.npz: expected uint8 images"):
        load_mnist_sample(tmp_path / "f.npz")
    with pytest.raises(ValueError, match="n_test must be an int in 1..10000, got 0"):
        make_mnist_sample(tmp_path / "t.npz", n_test=0)


# ---------------------------------------------------------------- to_float / normalize


def test_to_float():
    imgs = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = to_float(imgs)
    assert x.shape == (1, 1, 2, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], [[0, 1], [0.2, 0.4]], rtol=1e-7)
    assert to_float(imgs, add_channel=False).shape == (1, 2, 2)
    with pytest.raises(TypeError, match="uint8 ndarray, got float64"):
        to_float(imgs.astype(np.float64))
    with pytest.raises(TypeError, match="got list"):
        to_float([[[0]]])
    with pytest.raises(ValueError, match=r"got shape \(2, 2\)"):
        to_float(imgs[0])


def test_normalize():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(50, 1, 4, 4)).astype(np.float32)
    z = normalize(x)
    assert z.dtype == np.float32 and z.shape == x.shape
    assert abs(float(z.mean())) < 1e-6 and float(z.std()) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(normalize(x, MNIST_MEAN, MNIST_STD),
                               (x.astype(np.float64) - MNIST_MEAN) / MNIST_STD, rtol=1e-6)
    per_channel = normalize(np.ones((2, 3, 1, 1)), mean=np.zeros((3, 1, 1)),
                            std=np.array([1.0, 2.0, 4.0]).reshape(3, 1, 1))
    np.testing.assert_array_equal(per_channel[0, :, 0, 0], [1.0, 0.5, 0.25])
    assert normalize(np.array([0, 2], dtype=np.uint8)).tolist() == [-1.0, 1.0]
    with pytest.raises(ValueError, match="std must be positive"):
        normalize(np.full(4, 3.0))
    with pytest.raises(ValueError, match="std must be positive"):
        normalize(x, 0.5, 0.0)
    with pytest.raises(ValueError, match="mean must be finite"):
        normalize(x, np.nan, 1.0)
    with pytest.raises(TypeError, match="dtype <U1"):
        normalize(np.array(["a"]))
