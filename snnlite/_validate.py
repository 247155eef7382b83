"""Argument checks shared across packages (a leaf module: imports nothing from snnlite).

Every check returns the value converted (``int``, ``float``, array, dtype, Generator) or
raises ``ValueError``/``TypeError`` naming the argument, what was received and what was
expected (DESIGN.md, Errors):

=================== =================================================================
check               accepts
=================== =================================================================
``check_int``       a whole number ``>= minimum`` (``8``, ``8.0``, ``np.int32(8)``)
``check_steps``     the number of time steps ``T``: ``check_int`` with ``minimum=1``
``check_real``      a real number in an interval (open or closed at each end)
``check_float``     a finite float, ``> 0`` if asked (neuron parameters)
``check_dtype``     a floating dtype (a neuron's state dtype)
``as_rng``          a Generator, an int seed or None, as an ``np.random.Generator``
``check_samples``   ANN samples ``(N, ...)``: floats, non-empty, finite
``check_input``     simulation input ``(B, ...)`` or ``(T, B, ...)``: real, finite;
                    integer arrays only with values in {-1, 0, 1} (spikes)
``check_fitted``    an estimator's learned attribute exists (``fit`` was called)
=================== =================================================================

Examples
--------
>>> check_int("batch_size", 32)
32
>>> check_int("batch_size", 0)
Traceback (most recent call last):
...
ValueError: batch_size must be an integer >= 1, got 0
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_rng", "check_dtype", "check_fitted", "check_float", "check_input", "check_int",
           "check_real", "check_samples", "check_steps"]


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an ``int``, checked to be a whole number ``>= minimum``.

    Integral floats (``8.0``) and numpy integers are accepted; bools are not.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (a string, None, a complex, ...).
    ValueError
        If ``value`` is a bool, not a whole number (``2.5``, NaN, inf) or below ``minimum``.

    Examples
    --------
    >>> check_int("T", 8.0)
    8
    """
    expected = f"an integer >= {minimum}"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}, got {value!r} ({type(value).__name__})")
    whole = isinstance(value, numbers.Integral) or float(value).is_integer()
    if not whole or value < minimum:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def check_steps(T) -> int:
    """The number of time steps ``T`` as an ``int >= 1`` (see :func:`check_int`)."""
    return check_int("T", T, 1)


def check_real(name: str, value, low: float, high: float | None = None, *,
               low_open: bool = False, high_open: bool = True) -> float:
    """``value`` as a ``float`` in ``[low, high)`` (ends chosen by ``low_open``/``high_open``).

    Raises
    ------
    TypeError
        If ``value`` is not a real number (a string, None, a complex, a bool).
    ValueError
        If ``value`` is NaN or outside the interval.

    Examples
    --------
    >>> check_real("p", 0.5, 0.0, 1.0)
    0.5
    """
    interval = (("(" if low_open else "[") + f"{low:g}, " +
                ("inf)" if high is None else f"{high:g}" + (")" if high_open else "]")))
    expected = f"a number in {interval}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}, got {value!r} ({type(value).__name__})")
    above = value > low if low_open else value >= low
    below = high is None or (value < high if high_open else value <= high)
    if not (above and below):  # False for NaN too
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return float(value)


def check_float(name: str, value, positive: bool = False) -> float:
    """``float(value)``, checked to be finite (and ``> 0`` if ``positive``).

    Raises
    ------
    TypeError
        If ``float(value)`` raises TypeError (None, a list, ...).
    ValueError
        If ``float(value)`` raises ValueError (``"abc"``), or the number is NaN, infinite
        or (``positive``) ``<= 0``.

    Examples
    --------
    >>> check_float("tau", 2, positive=True)
    2.0
    """
    kind = "a finite number > 0" if positive else "a finite number"
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name} must be {kind}, got {value!r}") from None
    if not np.isfinite(number) or (positive and number <= 0):
        raise ValueError(f"{name} must be {kind}, got {number!r}")
    return number


def check_dtype(dtype) -> np.dtype:
    """``np.dtype(dtype)``, checked to be a floating dtype (a neuron's state).

    Raises
    ------
    TypeError
        If the dtype is not floating (``int64``, ``bool``, ...).
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"state dtype must be floating (float32 or float64), got {dtype}")
    return dtype


def as_rng(rng=None) -> np.random.Generator:
    """Turn ``rng`` (a Generator, an int seed or None) into an ``np.random.Generator``.

    A Generator is returned as is (draws advance it); an int seeds a new one.

    Raises
    ------
    TypeError
        If ``rng`` is of another type.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng)}")


def check_samples(x, name: str = "x") -> np.ndarray:
    """``x`` as an array of at least one finite floating-point ANN sample ``(N, ...)``.

    Integer images (``uint8`` 0-255 straight from a dataset) are refused rather than fed
    unscaled: a network trained on ``[0, 1]`` inputs silently answers wrongly on them.

    Raises
    ------
    TypeError
        If ``x`` is not numeric.
    ValueError
        If ``x`` has an integer dtype (use :func:`snnlite.datasets.to_float`), is 0-d or
        empty, or holds NaN or infinity.
    """
    x = np.asarray(x)
    if x.dtype.kind in "ui":
        raise ValueError(f"{name} has integer dtype {x.dtype}; expected floats (for example "
                         f"pixels scaled to [0, 1]): convert uint8 images with "
                         f"snnlite.datasets.to_float(images), or use x.astype(np.float32) if "
                         f"the values are already on the scale the model expects")
    if x.dtype.kind not in "fb":
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"{name} must hold at least one sample (N, ...), got shape {x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = int(np.count_nonzero(~np.isfinite(x)))
        raise ValueError(f"{name} holds {bad} NaN or infinite value(s); expected finite values")
    return x


def check_input(x, name: str = "x", *, min_ndim: int = 1) -> np.ndarray:
    """Simulation input ``x`` as a finite real array with a batch axis (bools as ``int8``).

    Parameters
    ----------
    x : array_like
        An input batch ``(B, ...)`` (``min_ndim = 1``) or an encoded sequence ``(T, B, ...)``
        (``min_ndim = 2``).
    name : str
        Used in the messages.

    Raises
    ------
    TypeError
        If ``x`` does not hold real numbers (strings, objects, complex numbers).
    ValueError
        If it is ragged, has fewer than ``min_ndim`` axes, NaN or inf, or is an integer array
        with values outside {-1, 0, 1} (an unscaled image: use
        :func:`snnlite.datasets.to_float`).
    """
    try:
        x = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array, got {err}") from None
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if x.dtype.kind == "b":
        x = x.astype(np.int8)  # 0 and 1, with the integer arithmetic encoders use
    if x.ndim < min_ndim:
        axes = "(B, ...)" if min_ndim == 1 else "(T, B, ...)"
        raise ValueError(f"{name} must have shape {axes} with a batch axis, got shape {x.shape}")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf ({np.count_nonzero(~np.isfinite(x))} "
                         f"values); expected finite numbers")
    if x.dtype.kind in "iu" and x.size and (x.min() < -1 or x.max() > 1):
        raise ValueError(
            f"{name} has integer dtype {x.dtype} with values in [{x.min()}, {x.max()}]: an "
            f"unscaled image? Encoders expect real values (pixel intensities in [0, 1]); "
            f"convert uint8 images with snnlite.datasets.to_float(images) (or x / 255)")
    return x


def check_fitted(estimator, attribute: str, action: str = "using it") -> None:
    """Raise if ``estimator`` has not been fitted (it lacks the learned ``attribute``).

    Raises
    ------
    RuntimeError
        ``"this <Class> is not fitted: call fit() before <action>"``.
    """
    if not hasattr(estimator, attribute):
        raise RuntimeError(f"this {type(estimator).__name__} is not fitted: call fit() before "
                           f"{action}")
