"""CIFAR-10 binary reader and loader on synthetic files written in the distribution's format."""

from __future__ import annotations

import hashlib
import shutil
import tarfile

import numpy as np
import pytest

from snnlite.datasets import CIFAR10_CLASSES, load_cifar10, read_cifar10_batch
from snnlite.datasets import cifar10 as datasets

BATCHES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]


def synthetic(seed: int, n: int = 3):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8),
            rng.integers(0, 10, n, dtype=np.uint8))


def write_batch(path, images, labels):
    """One record per image: the label byte, then the R, G, B planes (row-major)."""
    with open(path, "wb") as f:
        for img, lab in zip(images, labels, strict=True):
            f.write(bytes([int(lab)]))
            for channel in range(3):
                f.write(img[channel].tobytes())


@pytest.fixture
def no_env(tmp_path, monkeypatch):
    """No SNNLITE_DATA, and a home directory without a cache."""
    monkeypatch.delenv("SNNLITE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def write_distribution(directory):
    directory.mkdir(parents=True, exist_ok=True)
    data = {}
    for seed, name in enumerate(BATCHES):
        data[name] = synthetic(seed, n=2 + seed)
        write_batch(directory / name, *data[name])
    return data


def test_read_batch_layout(tmp_path):
    """Record = label byte, R plane, G plane, B plane: pixel (c, i, j) at 1 + 1024 c + 32 i + j."""
    raw = bytearray(2 * 3073)
    raw[0], raw[3073] = 7, 2
    raw[1 + 1024 * 1 + 32 * 5 + 9] = 200           # record 0, green, row 5, column 9
    raw[3073 + 1 + 1024 * 2 + 31] = 13             # record 1, blue, row 0, column 31
    (tmp_path / "b.bin").write_bytes(bytes(raw))
    images, labels = read_cifar10_batch(tmp_path / "b.bin")
    assert images.shape == (2, 3, 32, 32) and labels.tolist() == [7, 2]
    assert images[0, 1, 5, 9] == 200 and images[1, 2, 0, 31] == 13
    assert int(images.sum()) == 213


def test_load_from_root_both_layouts(tmp_path, no_env):
    data = write_distribution(tmp_path / "cifar-10-batches-bin")
    x, y = load_cifar10("train", root=tmp_path, download=False)
    assert x.dtype == np.uint8 and x.shape == (2 + 3 + 4 + 5 + 6, 3, 32, 32)
    np.testing.assert_array_equal(x, np.concatenate([data[n][0] for n in BATCHES[:5]]))
    np.testing.assert_array_equal(y, np.concatenate([data[n][1] for n in BATCHES[:5]]))
    x, y = load_cifar10("test", root=tmp_path / "cifar-10-batches-bin", download=False)
    np.testing.assert_array_equal(x, data["test_batch.bin"][0])
    np.testing.assert_array_equal(y, data["test_batch.bin"][1])
    assert len(CIFAR10_CLASSES) == 10 and CIFAR10_CLASSES[3] == "cat"


def test_snnlite_data_search(tmp_path, monkeypatch, no_env):
    data = write_distribution(tmp_path / "store" / "cifar10" / "cifar-10-batches-bin")
    monkeypatch.setenv("SNNLITE_DATA", str(tmp_path / "store"))
    x, _ = load_cifar10("test", download=False)
    np.testing.assert_array_equal(x, data["test_batch.bin"][0])


def make_archive(tmp_path):
    src = tmp_path / "src"
    data = write_distribution(src / "cifar-10-batches-bin")
    archive = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    return archive, data, hashlib.md5(archive.read_bytes()).hexdigest()


def test_download_checks_md5_and_extracts(tmp_path, monkeypatch, no_env):
    archive, data, md5 = make_archive(tmp_path)
    urls = []

    def fetch(url, dest):
        urls.append(url)
        shutil.copyfile(archive, dest)

    monkeypatch.setattr(datasets, "_CIFAR_MD5", md5)
    x, y = load_cifar10("test", download=fetch)
    assert urls == ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"]
    np.testing.assert_array_equal(y, data["test_batch.bin"][1])
    cache = tmp_path / "home" / ".cache" / "snnlite" / "cifar10"
    assert (cache / "cifar-10-batches-bin" / "data_batch_5.bin").is_file()
    x2, _ = load_cifar10("test", download=False)          # now found in the cache
    np.testing.assert_array_equal(x2, x)


def test_archive_in_root_is_extracted_and_bad_md5_raises(tmp_path, monkeypatch, no_env):
    archive, data, md5 = make_archive(tmp_path)
    root = tmp_path / "root"
    root.mkdir()
    shutil.copyfile(archive, root / archive.name)
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_cifar10("train", root=root, download=False)   # the real MD5 differs
    monkeypatch.setattr(datasets, "_CIFAR_MD5", md5)
    _, y = load_cifar10("train", root=root, download=False)
    np.testing.assert_array_equal(y[:2], data["data_batch_1.bin"][1])


def test_missing_files_say_where_to_put_them(tmp_path, no_env):
    with pytest.raises(FileNotFoundError, match=r"cifar-10-binary\.tar\.gz.*SNNLITE_DATA/cifar10"):
        load_cifar10("test", root=tmp_path, download=False)

    def offline(url, dest):
        raise OSError("network unreachable")

    with pytest.raises(FileNotFoundError, match="network unreachable"):
        load_cifar10("test", root=tmp_path, download=offline)


def test_malformed_files_and_arguments(tmp_path, no_env):
    images, labels = synthetic(1)
    write_batch(tmp_path / "b.bin", images, labels)
    np.testing.assert_array_equal(read_cifar10_batch(tmp_path / "b.bin")[0], images)
    (tmp_path / "short.bin").write_bytes((tmp_path / "b.bin").read_bytes()[:-1])
    with pytest.raises(ValueError, match="multiple of the 3073-byte"):
        read_cifar10_batch(tmp_path / "short.bin")
    labels[1] = 10
    write_batch(tmp_path / "label.bin", images, labels)
    with pytest.raises(ValueError, match="record 1 has label 10"):
        read_cifar10_batch(tmp_path / "label.bin")
    with pytest.raises(ValueError, match="split"):
        load_cifar10("val", root=tmp_path, download=False)
    with pytest.raises(TypeError, match="download"):
        load_cifar10("test", root=tmp_path, download="yes")
