"""Save and load a model's parameters and buffers as ``.npz``, with optional metadata.

The file holds one array per entry of ``model.state_dict()`` (dotted names such as
``"0.weight"``) and, when metadata is given, a JSON string under the reserved key
``"__meta__.json"``. It is written exactly at ``path`` (no suffix is appended) and read by
:func:`snnlite._npz.read_npz`: plain arrays only, never pickle, so loading never runs code.

Examples
--------
>>> import os, tempfile
>>> from snnlite import nn
>>> model = nn.Sequential(nn.Linear(4, 2, rng=0))
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> save(model, path, metadata={"epochs": 3, "dataset": "mnist"})
>>> load(nn.Sequential(nn.Linear(4, 2, rng=1)), path)[0].weight.data.tolist() == \\
...     model[0].weight.data.tolist()
True
>>> load_metadata(path)
{'epochs': 3, 'dataset': 'mnist'}
"""

from __future__ import annotations

import json
import os

import numpy as np

from .._npz import read_json, read_npz
from .module import Module

__all__ = ["save", "load", "load_metadata"]

META_KEY = "__meta__.json"

PathLike = str | os.PathLike


def save(model: Module, path: PathLike,
         metadata: dict[str, str | int | float] | None = None) -> None:
    """Write ``model.state_dict()`` (and ``metadata``) to an ``.npz`` file at ``path``.

    Parameters
    ----------
    model : Module
        The model; arrays keep their dtype, so :func:`load` restores them bit for bit.
    path : str or path-like
        Destination file, overwritten if it exists.
    metadata : dict, optional
        Flat mapping of ``str`` keys to ``str``, ``int``, ``float`` or ``bool`` values (for
        example the training epochs or the dataset name), read back by :func:`load_metadata`.

    Raises
    ------
    TypeError
        If ``metadata`` is not a flat dict of those types.
    ValueError
        If a metadata float is not finite, or a state name collides with the reserved key.
    """
    arrays = dict(model.state_dict())
    if META_KEY in arrays:
        raise ValueError(f"state name {META_KEY!r} is reserved for metadata")
    if metadata is not None:
        arrays[META_KEY] = np.array(_encode_metadata(metadata))
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load(model: Module, path: PathLike, *, allow_nonfinite: bool = False) -> Module:
    """Copy the arrays saved at ``path`` into ``model``; return ``model``.

    Parameters
    ----------
    model : Module
        A model with the same parameter and buffer names and shapes as the saved one. Values
        are cast to the model's dtypes (bit-exact when they match the file's).
    path : str or path-like
        A file written by :func:`save`.
    allow_nonfinite : bool, default False
        Accept NaN or infinite values (refused by default: such a model computes NaN).

    Returns
    -------
    Module
        ``model``, for chaining.

    Raises
    ------
    KeyError
        If the saved names differ from the model's (missing and unexpected names listed).
    ValueError
        If the file is empty, truncated, corrupted, not an ``.npz`` archive or holds pickled
        objects; if a saved array is not numeric, holds NaN or infinity (unless
        ``allow_nonfinite``) or its shape differs from the model's. Every message names the
        file; the model is left unchanged.
    """
    what = "a model saved by snnlite.nn.save"
    state = read_npz(path, what=what)
    state.pop(META_KEY, None)
    own = model.state_dict()
    for name, value in state.items():
        if value.dtype.kind not in "biuf":
            raise ValueError(f"cannot load {os.fspath(path)!r}: {name!r} is a {value.dtype} "
                             f"array, expected numbers ({what})")
        if name in own and own[name].dtype.kind == "f":  # as the model will hold them
            with np.errstate(over="ignore"):
                state[name] = value = value.astype(own[name].dtype, copy=False)
            if not allow_nonfinite and not np.isfinite(value).all():
                bad = int(np.count_nonzero(~np.isfinite(value)))
                raise ValueError(
                    f"cannot load {os.fspath(path)!r}: {name!r} holds {bad} NaN or infinite "
                    f"value(s) as {value.dtype}, expected finite weights (a diverged "
                    f"training?); pass allow_nonfinite=True to load it anyway")
    try:
        model.load_state_dict(state)
    except KeyError as err:
        raise KeyError(f"cannot load {os.fspath(path)!r} into {type(model).__name__}: "
                       f"{err.args[0]}") from err
    except ValueError as err:
        raise ValueError(f"cannot load {os.fspath(path)!r} into {type(model).__name__}: "
                         f"{err}") from err
    return model


def load_metadata(path: PathLike) -> dict[str, str | int | float]:
    """The metadata dict saved at ``path`` by :func:`save` (empty if none was given).

    Raises
    ------
    ValueError
        As :func:`load` for a file that is not a readable ``.npz`` archive, or if the
        metadata entry is not a JSON object.
    """
    arrays = read_npz(path, what="a model saved by snnlite.nn.save")
    if META_KEY not in arrays:
        return {}
    meta = read_json(arrays, META_KEY, path)
    if not isinstance(meta, dict):
        raise ValueError(f"{os.fspath(path)!r}: {META_KEY!r} must hold a JSON object, got "
                         f"{type(meta).__name__}")
    return meta


def _encode_metadata(metadata) -> str:
    """Check that ``metadata`` is a flat dict of JSON scalars; return it as a JSON string."""
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    plain = {}
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise TypeError(f"metadata keys must be str, got {key!r}")
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            value = value.item()
        if not isinstance(value, (str, int, float)):
            raise TypeError(f"metadata[{key!r}] must be str, int, float or bool, got "
                            f"{type(value).__name__}")
        if isinstance(value, float) and not np.isfinite(value):
            raise ValueError(f"metadata[{key!r}] must be finite, got {value}")
        plain[key] = value
    return json.dumps(plain)
