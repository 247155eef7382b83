"""MNIST and Fashion-MNIST: IDX reader, search path, checksums, download.

The loaders read the four original IDX ``.gz`` files. They look, in order, in an explicit
``root=`` directory, in ``$SNNLITE_DATA/<name>/`` and in ``~/.cache/snnlite/<name>/``
(``<name>`` is ``mnist`` or ``fashion-mnist``); the first directory holding both files of the
requested split wins. If none does, the files are downloaded into the cache directory. Every
file, found or downloaded, is checked against the MD5 and SHA-256 the dataset authors publish,
and parsed arrays are cached in memory per file for the rest of the process.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
import struct
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["FASHION_MNIST_MEAN", "FASHION_MNIST_STD", "MNIST_MEAN", "MNIST_STD", "Downloader",
           "data_dirs", "load_fashion_mnist", "load_mnist", "read_idx"]

#: Pixel mean / std of the 60,000 training images on the ``[0, 1]`` scale of :func:`to_float`.
MNIST_MEAN, MNIST_STD = 0.1306604762738429, 0.30810780385646264
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860405969887955, 0.35302424451492254

_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
# (MD5, SHA-256) of each original .gz file, as published by the dataset authors.
_CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        "train-labels-idx1-ubyte.gz": (
            "d53e105ee54ea40749a09fcbcd1e9432",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        "t10k-images-idx3-ubyte.gz": (
            "9fb629c4189551a2d022fa330f9573f3",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        "t10k-labels-idx1-ubyte.gz": (
            "ec29112dd5afa0611ce80d1b7f02629c",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        "train-labels-idx1-ubyte.gz": (
            "25c81989df183df01b3e8a0aad5dffbe",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        "t10k-images-idx3-ubyte.gz": (
            "bef4ecab320f06d8554ea6380940ec79",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        "t10k-labels-idx1-ubyte.gz": (
            "bb300cfdad3c16e7a12a480ee83cd310",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
    },
}
_IMAGES_MAGIC, _LABELS_MAGIC = 0x00000803, 0x00000801

Downloader = Callable[[str, Path], None]


def read_idx(path: str | os.PathLike, magic: int | None = None) -> np.ndarray:
    """Read one gzip-compressed unsigned-byte IDX file (no checksum check).

    Parameters
    ----------
    path : str or PathLike
        The ``.gz`` file.
    magic : int, optional
        Required magic number, e.g. ``0x00000803`` for a 3-d image file; any unsigned-byte
        IDX magic (``0x000008nn``) is accepted when None.

    Returns
    -------
    ndarray of uint8
        The array, with the shape stored in the header.

    Raises
    ------
    ValueError
        If the file is not valid gzip, has the wrong magic number, or its payload is shorter
        or longer than the product of the dimensions; the message names the file.
    OSError
        If the file cannot be read.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes())
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: not a valid gzip file ({err}); the file is corrupted or "
                         "truncated, delete it and fetch it again") from err
    if len(raw) < 4:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for an IDX header")
    (got,) = struct.unpack(">I", raw[:4])
    if (magic is not None and got != magic) or got >> 8 != 0x08 or not 1 <= got & 0xFF <= 4:
        want = f"0x{magic:08x}" if magic is not None else "0x000008nn with 1 <= nn <= 4"
        raise ValueError(f"{path}: wrong IDX magic number 0x{got:08x}, expected {want}")
    ndim = got & 0xFF
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise ValueError(f"{path}: IDX header truncated ({len(raw)} bytes, need {offset})")
    dims = struct.unpack(f">{ndim}I", raw[4:offset])
    expected = int(np.prod(dims, dtype=np.int64))
    if len(raw) - offset != expected:
        raise ValueError(f"{path}: IDX payload has {len(raw) - offset} bytes but dimensions "
                         f"{dims} need exactly {expected}; the file is truncated or corrupted")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def _verify(path: Path, md5: str, sha256: str | None = None) -> None:
    """Raise ValueError unless ``path`` has the given MD5 and SHA-256 (MD5 only if None)."""
    h_md5, h_sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h_md5.update(chunk)
            h_sha.update(chunk)
    if sha256 is None and h_md5.hexdigest() != md5:
        raise ValueError(f"{path}: checksum mismatch (MD5 {h_md5.hexdigest()}, expected {md5});"
                         " the file is corrupted or not the original: delete it and fetch it "
                         "again")
    if sha256 is not None and (h_md5.hexdigest(), h_sha.hexdigest()) != (md5, sha256):
        raise ValueError(f"{path}: checksum mismatch (MD5 {h_md5.hexdigest()}, SHA-256 "
                         f"{h_sha.hexdigest()}; expected MD5 {md5}, SHA-256 {sha256}). "
                         "The file is corrupted or not the original: delete it and fetch it again")


@functools.lru_cache(maxsize=8)
def _load_pair(images: Path, labels: Path, sums: tuple, stamp: tuple) -> tuple:
    """Verify and parse one split; ``stamp`` (sizes, mtimes) invalidates replaced files."""
    _verify(images, *sums[0])
    _verify(labels, *sums[1])
    x = read_idx(images, _IMAGES_MAGIC)
    y = read_idx(labels, _LABELS_MAGIC)
    if x.shape[1:] != (28, 28):
        raise ValueError(f"{images}: images are {x.shape[1:]}, expected 28x28")
    if len(x) != len(y):
        raise ValueError(f"{images} holds {len(x)} images but {labels} holds {len(y)} labels")
    return x, y


def _fetch_url(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` with urllib (the default downloader)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as f:
        shutil.copyfileobj(response, f)


def _download(name: str, dest_dir: Path, files: tuple, fetch: Downloader) -> None:
    """Fetch each missing file from the first mirror that serves it with the right checksum.

    Raises OSError whose message lists every mirror tried and why it failed.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    for fname in files:
        dest = dest_dir / fname
        if dest.is_file():
            continue
        part, reasons = dest.with_name(fname + ".part"), []
        for mirror in _MIRRORS[name]:
            try:
                fetch(mirror + fname, part)
                _verify(part, *_CHECKSUMS[name][fname])
            except (OSError, ValueError) as err:
                part.unlink(missing_ok=True)
                reasons.append(f"{mirror + fname}: {err}")
                continue
            os.replace(part, dest)
            break
        else:
            raise OSError("could not download " + fname + ": " + "; ".join(reasons))


def data_dirs(name: str, root: str | os.PathLike | None = None) -> list[Path]:
    """The directories searched for dataset ``name``, in order (see the module docstring).

    Examples
    --------
    >>> data_dirs("mnist")[-1].parts[-3:]
    ('.cache', 'snnlite', 'mnist')
    """
    candidates = [Path(root)] if root is not None else []
    if os.environ.get("SNNLITE_DATA"):
        candidates.append(Path(os.environ["SNNLITE_DATA"]) / name)
    return candidates + [Path.home() / ".cache" / "snnlite" / name]


def check_load_args(split: str, splits, root, download) -> None:
    """Validate the common arguments of the dataset loaders (ValueError / TypeError)."""
    if split not in splits:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not (isinstance(download, bool) or callable(download)):
        raise TypeError(f"download must be a bool or a callable (url, dest), got {download!r}")
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a directory path or None, got {type(root).__name__}")


def _load(name: str, split: str, root, download: bool | Downloader) -> tuple:
    check_load_args(split, _SPLITS, root, download)
    files = _SPLITS[split]
    candidates = data_dirs(name, root)
    cache = candidates[-1]
    found = next((d for d in candidates if all((d / f).is_file() for f in files)), None)
    if found is None:
        why = "download=False, so nothing was downloaded"
        if download is not False:
            try:
                _download(name, cache, files, _fetch_url if download is True else download)
                found = cache
            except OSError as err:
                why = f"download failed: {err}"
    if found is None:
        raise FileNotFoundError(
            f"{name} {split} files {', '.join(files)} not found. Searched, in order: "
            + ", ".join(str(d) for d in candidates)
            + f". {why}. Put the four original IDX .gz files of {name} in a directory and "
            f"pass it as root=, or put them in $SNNLITE_DATA/{name}/ (set the SNNLITE_DATA "
            f"environment variable), or in {cache}/.")
    paths = [(found / f).absolute() for f in files]
    stamp = tuple((p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    sums = tuple(_CHECKSUMS[name][f] for f in files)
    x, y = _load_pair(*paths, sums, stamp)
    return x.copy(), y.copy()


def load_mnist(split: str = "train", root: str | os.PathLike | None = None,
               download: bool | Downloader = True) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST from the original IDX files, checking their published MD5 and SHA-256.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    root : str or PathLike, optional
        A directory holding the IDX ``.gz`` files; searched before ``$SNNLITE_DATA/mnist/``
        and ``~/.cache/snnlite/mnist/``.
    download : bool or callable, default True
        When no directory has the files: True downloads them into ``~/.cache/snnlite/mnist/``
        from the canonical mirrors; False raises; a callable ``fetch(url, dest)`` is used in
        place of urllib (to use another transport, or in tests).

    Returns
    -------
    images : ndarray of uint8, shape (N, 28, 28)
        Pixels 0-255, in file order.
    labels : ndarray of uint8, shape (N,)
        Digits 0-9.

    Raises
    ------
    FileNotFoundError
        If the files are nowhere and cannot be downloaded; the message lists the directories
        searched, the download error and where to put the files.
    ValueError
        If a file fails its checksum or is not a well-formed IDX file (the message names it),
        or if ``split`` is not "train" or "test".
    TypeError
        If ``root`` is not a path or ``download`` not a bool or callable.

    Examples
    --------
    >>> x, y = load_mnist("test")  # doctest: +SKIP
    >>> x.shape, y.shape, x.dtype  # doctest: +SKIP
    ((10000, 28, 28), (10000,), dtype('uint8'))
    """
    return _load("mnist", split, root, download)


def load_fashion_mnist(split: str = "train", root: str | os.PathLike | None = None,
                       download: bool | Downloader = True) -> tuple[np.ndarray, np.ndarray]:
    """Load Fashion-MNIST; same contract as :func:`load_mnist` with ``<name>`` = fashion-mnist.

    Returns ``(images uint8 (N, 28, 28), labels uint8 (N,))``; classes 0-9 are T-shirt/top,
    Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.

    Examples
    --------
    >>> x, y = load_fashion_mnist("train", root="shared/data/fashion-mnist")  # doctest: +SKIP
    """
    return _load("fashion-mnist", split, root, download)
