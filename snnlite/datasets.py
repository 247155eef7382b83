"""MNIST, Fashion-MNIST and CIFAR-10: readers, search path, checksums, download, sample.

The loaders read the four original IDX ``.gz`` files. They look, in order, in an explicit
``root=`` directory, in ``$SNNLITE_DATA/<name>/`` and in ``~/.cache/snnlite/<name>/``
(``<name>`` is ``mnist`` or ``fashion-mnist``); the first directory holding both files of the
requested split wins. If none does, the files are downloaded into the cache directory. Every
file, found or downloaded, is checked against the MD5 and SHA-256 the dataset authors publish,
and parsed arrays are cached in memory per file for the rest of the process.

:func:`load_cifar10` reads the *binary* CIFAR-10 distribution (fixed-length records, no
pickle) from ``<dir>/cifar-10-batches-bin/`` with the same search order (``<name>`` =
``cifar10``), extracting the published archive when only that is present.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
import struct
import tarfile
import urllib.request
import zlib
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "CIFAR10_CLASSES",
    "data_dirs",
    "FASHION_MNIST_MEAN",
    "FASHION_MNIST_STD",
    "MNIST_MEAN",
    "MNIST_STD",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_sample",
    "make_mnist_sample",
    "normalize",
    "read_cifar10_batch",
    "read_idx",
    "to_float",
]

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
_SAMPLE = "mnist_sample.npz"

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


def _verify(path: Path, md5: str, sha256: str) -> None:
    """Raise ValueError unless ``path`` has the given MD5 and SHA-256."""
    h_md5, h_sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h_md5.update(chunk)
            h_sha.update(chunk)
    if (h_md5.hexdigest(), h_sha.hexdigest()) != (md5, sha256):
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


def _load(name: str, split: str, root, download: bool | Downloader) -> tuple:
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not (isinstance(download, bool) or callable(download)):
        raise TypeError(f"download must be a bool or a callable (url, dest), got {download!r}")
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a directory path or None, got {type(root).__name__}")
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


def make_mnist_sample(path: str | os.PathLike, n_train: int = 2000, n_test: int = 1000,
                      root: str | os.PathLike | None = None) -> Path:
    """Write the first ``n_train`` training and ``n_test`` test MNIST images to an ``.npz``.

    This is how ``snnlite/data/mnist_sample.npz`` is built (see the README beside it).

    Parameters
    ----------
    path : str or PathLike
        Output file, written with ``np.savez_compressed`` under the keys ``x_train, y_train,
        x_test, y_test`` (uint8; images (n, 28, 28), labels (n,)).
    n_train, n_test : int
        How many images to keep from the start of each file (file order, no shuffling).
    root : str or PathLike, optional
        Passed to :func:`load_mnist`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``n_train`` is not in 1..60000 or ``n_test`` not in 1..10000.
    """
    for arg, n, most in (("n_train", n_train, 60000), ("n_test", n_test, 10000)):
        if not isinstance(n, (int, np.integer)) or not 1 <= n <= most:
            raise ValueError(f"{arg} must be an int in 1..{most}, got {n!r}")
    x_train, y_train = load_mnist("train", root=root)
    x_test, y_test = load_mnist("test", root=root)
    path = Path(path)
    np.savez_compressed(path, x_train=x_train[:n_train], y_train=y_train[:n_train],
                        x_test=x_test[:n_test], y_test=y_test[:n_test])
    return path


def load_mnist_sample() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The MNIST sample bundled with the package (no dataset download needed).

    Returns
    -------
    x_train : ndarray of uint8, shape (2000, 28, 28)
        The first 2000 MNIST training images, in file order.
    y_train : ndarray of uint8, shape (2000,)
    x_test : ndarray of uint8, shape (1000, 28, 28)
        The first 1000 MNIST test images.
    y_test : ndarray of uint8, shape (1000,)

    Examples
    --------
    >>> x_train, y_train, x_test, y_test = load_mnist_sample()
    >>> x_train.shape, x_test.dtype
    ((2000, 28, 28), dtype('uint8'))
    """
    with resources.files("snnlite.data").joinpath(_SAMPLE).open("rb") as f, np.load(f) as z:
        return z["x_train"], z["y_train"], z["x_test"], z["y_test"]


def to_float(images: np.ndarray, add_channel: bool = True) -> np.ndarray:
    """Scale uint8 images to float32 in ``[0, 1]`` (divide by 255).

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W)
    add_channel : bool, default True
        Insert a channel axis, giving ``(N, 1, H, W)`` as the ``(B, C, H, W)`` layers expect.

    Returns
    -------
    ndarray of float32, shape (N, 1, H, W) or (N, H, W)

    Raises
    ------
    TypeError
        If ``images`` is not a uint8 array.
    ValueError
        If ``images`` is not 3-d.

    Examples
    --------
    >>> to_float(np.full((2, 28, 28), 255, np.uint8)).shape
    (2, 1, 28, 28)
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        got = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"images must be a uint8 ndarray, got {got}")
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got shape {images.shape}")
    x = images.astype(np.float32) / np.float32(255)
    return x[:, None] if add_channel else x


def normalize(x: np.ndarray, mean: float | np.ndarray | None = None,
              std: float | np.ndarray | None = None) -> np.ndarray:
    """Standardise: return ``(x - mean) / std`` as a new float32 array.

    Parameters
    ----------
    x : ndarray, any shape, numeric
    mean, std : float or ndarray broadcastable to ``x``, optional
        Defaults are the mean and standard deviation of all of ``x`` (one scalar each); pass
        the training set's statistics (e.g. :data:`MNIST_MEAN`, :data:`MNIST_STD` for
        :func:`to_float` output) to normalise test data the same way.

    Returns
    -------
    ndarray of float32, same shape as ``x``

    Raises
    ------
    TypeError
        If ``x`` is not an integer or floating-point array.
    ValueError
        If any ``std`` is not positive and finite (a constant ``x`` has std 0), or if
        ``mean`` is not finite.

    Examples
    --------
    >>> normalize(np.array([0.0, 2.0]))
    array([-1.,  1.], dtype=float32)
    """
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise TypeError(f"x must be an integer or floating-point array, got dtype {x.dtype}")
    mean = np.float64(x.mean(dtype=np.float64)) if mean is None else np.asarray(mean)
    std = np.float64(x.std(dtype=np.float64)) if std is None else np.asarray(std)
    if not np.all(np.isfinite(std) & (std > 0)):
        raise ValueError(f"std must be positive and finite, got {std}")
    if not np.all(np.isfinite(mean)):
        raise ValueError(f"mean must be finite, got {mean}")
    return ((x - mean) / std).astype(np.float32)


# -- CIFAR-10 (binary version: no pickle) ---------------------------------------------------

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


def _md5(path: Path, expected: str) -> None:
    digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    if digest != expected:
        raise ValueError(f"{path}: checksum mismatch (MD5 {digest}, expected {expected}); the "
                         "file is corrupted or not the original: delete it and fetch it again")


def _extract_cifar(archive: Path, dest: Path) -> Path:
    """Check the archive's MD5, then copy out only the six batch files (no path tricks)."""
    _md5(archive, _CIFAR_MD5)
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
    if split not in _CIFAR_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not (isinstance(download, bool) or callable(download)):
        raise TypeError(f"download must be a bool or a callable (url, dest), got {download!r}")
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a directory path or None, got {type(root).__name__}")
    files, candidates = _CIFAR_FILES[split], data_dirs("cifar10", root)
    found, why = None, "download=False, so nothing was downloaded"
    for d in candidates:
        found = next((c for c in (d / _CIFAR_DIR, d) if all((c / f).is_file() for f in files)),
                     None)
        if found is None and (d / _CIFAR_TAR).is_file():
            found = _extract_cifar(d / _CIFAR_TAR, d)
        if found is not None:
            break
    if found is None and download is not False:
        cache = candidates[-1]
        cache.mkdir(parents=True, exist_ok=True)
        part = cache / (_CIFAR_TAR + ".part")
        try:
            (_fetch_url if download is True else download)(_CIFAR_URL, part)
            _md5(part, _CIFAR_MD5)
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
