"""Read ``.npz`` files safely: plain arrays only, never pickle; errors name the file.

Every file snnlite reads back (models, caches, the bundled sample) goes through
:func:`read_npz`. NumPy stores arrays of Python objects with :mod:`pickle`, and unpickling
a crafted file runs arbitrary code, so such entries are refused *before* anything is
unpickled (``allow_pickle=False``), with a message that says which file and entry.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.npz")
>>> np.savez(path, w=np.eye(2), meta=np.array('{"k": 1}'))
>>> sorted(read_npz(path, required=("w",)))
['meta', 'w']
>>> read_json(read_npz(path), "meta", path)
{'k': 1}
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from typing import IO

import numpy as np

__all__ = ["read_json", "read_npz"]

_NPZ_MAGIC = b"PK\x03\x04"
_PICKLE_OPCODE = b"\x80"  # PROTO, the first byte of every pickle of protocol >= 2


def _describe(source) -> str:
    return repr(os.fspath(source)) if isinstance(source, (str, os.PathLike)) \
        else repr(getattr(source, "name", source))


def read_npz(source: str | os.PathLike | IO[bytes], required=(),
             what: str = "file") -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive ``source``, read without pickle.

    Parameters
    ----------
    source : str, path-like or binary file object
        The archive.
    required : iterable of str
        Entries that must be present.
    what : str
        What the file should be (``"a model saved by snnlite.nn.save"``), for the messages.

    Returns
    -------
    dict
        ``{name: ndarray}`` in archive order; the file is closed again.

    Raises
    ------
    FileNotFoundError
        If ``source`` does not exist.
    ValueError
        If the file is empty, not an ``.npz`` archive (a pickle, a single ``.npy`` array,
        anything else), truncated or corrupted, holds an entry of Python objects (pickled
        data is never loaded), or lacks a ``required`` entry. The message names the file.
    """
    name = _describe(source)
    head = _peek(source)
    if not head:
        raise ValueError(f"{name} is empty (0 bytes); expected {what} (.npz archive)")
    if head[:1] == _PICKLE_OPCODE:
        raise ValueError(f"{name} is a Python pickle, not {what} (.npz archive); snnlite "
                         "never unpickles files (unpickling can run arbitrary code)")
    if head[:4] != _NPZ_MAGIC:
        raise ValueError(f"{name} is not {what}: it does not start like an .npz (zip) "
                         f"archive (first bytes {head[:8]!r})")
    arrays = {}
    try:
        with np.load(source, allow_pickle=False) as f:
            for key in f.files:
                try:
                    arrays[key] = f[key]
                except ValueError as err:
                    if "allow_pickle" not in str(err):
                        raise
                    raise ValueError(
                        f"{name}: entry {key!r} holds Python objects (pickled data), which "
                        f"snnlite never loads (unpickling can run arbitrary code); "
                        f"expected {what} holding plain numeric or string arrays") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        raise ValueError(f"{name} is truncated or corrupted ({type(err).__name__}: {err}); "
                         f"expected {what} (.npz archive)") from None
    missing = [key for key in required if key not in arrays]
    if missing:
        raise ValueError(f"{name} is not {what}: entries {missing} are missing (it holds "
                         f"{sorted(arrays)})")
    return arrays


def read_json(arrays: dict[str, np.ndarray], key: str, source) -> object:
    """Decode the JSON text stored as the 0-d string array ``arrays[key]`` of ``source``.

    Raises
    ------
    ValueError
        If the entry is not a 0-d string array or not valid JSON (the message names the
        file and the entry).
    """
    value = arrays[key]
    if value.ndim != 0 or value.dtype.kind != "U":
        raise ValueError(f"{_describe(source)}: entry {key!r} must be a JSON string, got a "
                         f"{value.dtype} array of shape {value.shape}")
    try:
        return json.loads(value.item())
    except json.JSONDecodeError as err:
        raise ValueError(f"{_describe(source)}: entry {key!r} is not valid JSON "
                         f"({err})") from None


def _peek(source) -> bytes:
    """The first 8 bytes of ``source`` (the file position is restored)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read(8)
    position = source.tell()
    head = source.read(8)
    source.seek(position)
    return head
