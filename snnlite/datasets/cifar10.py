"""CIFAR-10 from its *binary* distribution: fixed-length records, no pickle.

:func:`load_cifar10` reads ``<dir>/cifar-10-batches-bin/`` with the search order of the MNIST
loaders (``<name>`` = ``cifar10``), extracting the published archive when only that is present.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

import numpy as np

from . import idx
from .idx import Downloader, check_load_args, data_dirs

__all__ = ["CIFAR10_CLASSES", "load_cifar10", "read_cifar10_batch"]

#: The ten CIFAR-10 classes, in label order.
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
_CIFAR_TAR, _CIFAR_DIR = "cifar-10-binary.tar.gz", "cifar-10-batches-bin"
_CIFAR_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"  # published on the dataset authors' page
_CIFAR_FILES = {"train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)),
                "test": ("test_batch.bin",)}
_CIFAR_RECORD = 1 + 3 * 32 * 32  # one label byte, then 1024 R, 1024 G, 1024 B bytes


def read_cifar10_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 binary batch file (``data_batch_<i>.bin`` or ``test_batch.bin``).

    Each record is 3073 bytes: the label (0-9), then the 32x32 red, green and blue planes,
    row-major.

    Returns
    -------
    images : ndarray of uint8, shape (N, 3, 32, 32)
    labels : ndarray of uint8, shape (N,)

    Raises
    ------
    ValueError
        If the file is empty or not a whole number of records, or holds a label above 9.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw or len(raw) % _CIFAR_RECORD:
        raise ValueError(f"{path}: {len(raw)} bytes is not a positive multiple of the "
                         f"{_CIFAR_RECORD}-byte CIFAR-10 record; the file is truncated or "
                         "not a CIFAR-10 binary batch")
    records = np.frombuffer(raw, np.uint8).reshape(-1, _CIFAR_RECORD)
    labels = records[:, 0].copy()
    if labels.max() > 9:
        i = int(np.argmax(labels > 9))
        raise ValueError(f"{path}: record {i} has label {labels[i]}, expected 0-9; not a "
                         "CIFAR-10 binary batch")
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def _extract_cifar(archive: Path, dest: Path) -> Path:
    """Copy only the six batch files out of a verified archive (no path tricks)."""
    out = dest / _CIFAR_DIR
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        for name in _CIFAR_FILES["train"] + _CIFAR_FILES["test"]:
            member = tar.getmember(f"{_CIFAR_DIR}/{name}")
            source = tar.extractfile(member) if member.isfile() else None
            if source is None:
                raise ValueError(f"{archive}: {member.name} is not a regular file")
            with source, open(out / name, "wb") as target:
                shutil.copyfileobj(source, target)
    return out


def load_cifar10(split: str = "train", root: str | os.PathLike | None = None,
                 download: bool | Downloader = True) -> tuple[np.ndarray, np.ndarray]:
    """Load CIFAR-10 from the binary distribution (``cifar-10-binary.tar.gz``; no pickle).

    Searched, in order: ``root``, ``$SNNLITE_DATA/cifar10/``, ``~/.cache/snnlite/cifar10/``.
    In each directory ``d`` the batch files are looked for in ``d/cifar-10-batches-bin/``
    and in ``d`` itself; failing that, an archive ``d/cifar-10-binary.tar.gz`` is checked
    (MD5) and its six batch files extracted into ``d/cifar-10-batches-bin/``.

    Parameters
    ----------
    split : {"train", "test"}
        ``data_batch_1..5.bin`` (50,000 images, in file order) or ``test_batch.bin`` (10,000).
    root : str or PathLike, optional
        A directory searched first.
    download : bool or callable, default True
        When nothing is found: True downloads the archive (162 MB) into the cache directory
        and checks its published MD5; False raises; a callable ``fetch(url, dest)`` replaces
        urllib (tests, other transports).

    Returns
    -------
    images : ndarray of uint8, shape (N, 3, 32, 32)
        Pixels 0-255, channels R, G, B.
    labels : ndarray of uint8, shape (N,)
        Classes 0-9, named in :data:`CIFAR10_CLASSES`.

    Raises
    ------
    FileNotFoundError
        If the files are nowhere and not downloaded; the message says where to put them.
    ValueError
        For a bad ``split``, a checksum mismatch or a malformed batch file.

    Examples
    --------
    >>> x, y = load_cifar10("test", download=False)  # doctest: +SKIP
    >>> x.shape, x.dtype  # doctest: +SKIP
    ((10000, 3, 32, 32), dtype('uint8'))
    """
    check_load_args(split, _CIFAR_FILES, root, download)
    files, candidates = _CIFAR_FILES[split], data_dirs("cifar10", root)
    found, why = None, "download=False, so nothing was downloaded"
    for d in candidates:
        found = next((c for c in (d / _CIFAR_DIR, d) if all((c / f).is_file() for f in files)),
                     None)
        if found is None and (d / _CIFAR_TAR).is_file():
            idx._verify(d / _CIFAR_TAR, _CIFAR_MD5)
            found = _extract_cifar(d / _CIFAR_TAR, d)
        if found is not None:
            break
    if found is None and download is not False:
        cache = candidates[-1]
        cache.mkdir(parents=True, exist_ok=True)
        part = cache / (_CIFAR_TAR + ".part")
        try:
            (idx._fetch_url if download is True else download)(_CIFAR_URL, part)
            idx._verify(part, _CIFAR_MD5)
            os.replace(part, cache / _CIFAR_TAR)
            found = _extract_cifar(cache / _CIFAR_TAR, cache)
        except (OSError, ValueError) as err:
            part.unlink(missing_ok=True)
            why = f"download of {_CIFAR_URL} failed: {err}"
    if found is None:
        raise FileNotFoundError(
            f"cifar10 {split} files {', '.join(files)} not found. Searched, in order: "
            + ", ".join(str(d) for d in candidates) + f". {why}. Put {_CIFAR_TAR} (binary "
            f"version, from {_CIFAR_URL}) or its extracted {_CIFAR_DIR}/ folder in a "
            f"directory and pass it as root=, or put it in $SNNLITE_DATA/cifar10/, or in "
            f"{candidates[-1]}/.")
    parts = [read_cifar10_batch(found / f) for f in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
