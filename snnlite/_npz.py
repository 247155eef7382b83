"""Read ``.npz`` files safely: plain arrays only, never pickle; errors name the file.

Every file snnlite reads back (models, caches, the bundled sample) goes through
:func:`read_npz`. NumPy stores arrays of Python objects with :mod:`pickle`, and unpickling
a crafted file runs arbitrary code, so such entries are refused from their header, before
any of their bytes are interpreted, with a message that says which file and entry.

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

import io
import json
import math
import os
import struct
import zipfile
import zlib
from typing import IO

import numpy as np
from numpy.lib import format as npy

__all__ = ["read_json", "read_npz"]

_NPZ_MAGIC = b"PK\x03\x04"
_PICKLE_OPCODE = b"\x80"  # PROTO, the first byte of every pickle of protocol >= 2


class _Pickled(ValueError):
    """An entry declares Python objects: refused, never unpickled."""


# what parsing a damaged archive or .npy header can raise (zipfile and numpy's header parser)
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
           RuntimeError, UnicodeDecodeError, struct.error, OverflowError, SyntaxError,
           TypeError, KeyError, IndexError)


_EOCD_SEARCH = 22 + 65_535  # the end record and the longest archive comment


def _describe(source) -> str:
    return repr(os.fspath(source)) if isinstance(source, (str, os.PathLike)) \
        else repr(getattr(source, "name", source))


def read_npz(source: str | os.PathLike | IO[bytes], required=(),
             what: str = "file") -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive ``source``, read without pickle.

    The archive is parsed here (``zipfile`` and the ``.npy`` header parser), not by
    ``np.load``: a member whose header declares Python objects is refused from its header,
    before any of its bytes are interpreted, and a member's declared shape must match its
    size exactly (a damaged header cannot ask for a huge allocation).

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
        ``{name: ndarray}`` in archive order (writable copies); the file is closed again.

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
        with zipfile.ZipFile(source) as archive:
            _check_directory(archive)
            for info in archive.infolist():
                key = info.filename.removesuffix(".npy")
                arrays[key] = _parse_npy(archive.read(info), key, name, what)
    except _Pickled:
        raise
    except (ValueError, *_DAMAGE) as err:
        raise ValueError(f"{name} is truncated or corrupted ({type(err).__name__}: {err}); "
                         f"expected {what} (.npz archive)") from None
    missing = [key for key in required if key not in arrays]
    if missing:
        raise ValueError(f"{name} is not {what}: entries {missing} are missing (it holds "
                         f"{sorted(arrays)})")
    return arrays


def _parse_npy(raw: bytes, key: str, name: str, what: str) -> np.ndarray:
    """The array serialised in ``raw`` (``.npy`` format 1.0 or 2.0), never unpickled."""
    buffer = io.BytesIO(raw)
    version = npy.read_magic(buffer)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"entry {key!r}: unsupported .npy format version {version}")
    read_header = npy.read_array_header_1_0 if version == (1, 0) \
        else npy.read_array_header_2_0
    shape, fortran, dtype = read_header(buffer)
    if dtype.hasobject:
        raise _Pickled(f"{name}: entry {key!r} holds Python objects (pickled data), which "
                       f"snnlite never loads (unpickling can run arbitrary code); expected "
                       f"{what} holding plain numeric or string arrays")
    count = math.prod(shape)
    offset = buffer.tell()
    if count * dtype.itemsize != len(raw) - offset:
        raise ValueError(f"entry {key!r}: shape {shape} of {dtype} needs "
                         f"{count * dtype.itemsize} bytes, the entry holds {len(raw) - offset}")
    data = np.frombuffer(raw, dtype, count, offset)
    return data.reshape(shape, order="F" if fortran else "C").copy(order="K")


def read_json(arrays: dict[str, np.ndarray], key: str, source) -> object:
    """Decode the JSON text stored as the 0-d string array ``arrays[key]`` of ``source``.

    Raises
    ------
    ValueError
        If the entry is not a 0-d string array or not valid JSON, NaN and Infinity included
        (the message names the file and the entry).
    """
    value = arrays[key]
    if value.ndim != 0 or value.dtype.kind != "U":
        raise ValueError(f"{_describe(source)}: entry {key!r} must be a JSON string, got a "
                         f"{value.dtype} array of shape {value.shape}")
    try:
        return json.loads(value.item(), parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError) as err:
        raise ValueError(f"{_describe(source)}: entry {key!r} is not valid JSON "
                         f"({err})") from None


def _check_directory(archive: zipfile.ZipFile) -> None:
    """Raise ``BadZipFile`` if the central directory lists fewer entries than the archive's
    end record counts (a damaged directory would otherwise hide an entry silently)."""
    fp = archive.fp
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(max(0, size - _EOCD_SEARCH))
    tail = fp.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 12 > len(tail):
        raise zipfile.BadZipFile("no end-of-central-directory record")
    (total,) = struct.unpack("<H", tail[end + 10:end + 12])
    if total != 0xFFFF and total != len(archive.infolist()):  # 0xFFFF: counted in zip64 only
        raise zipfile.BadZipFile(f"the directory lists {len(archive.infolist())} entries, "
                                 f"the end record counts {total}")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _peek(source) -> bytes:
    """The first 8 bytes of ``source`` (the file position is restored)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read(8)
    position = source.tell()
    head = source.read(8)
    source.seek(position)
    return head
