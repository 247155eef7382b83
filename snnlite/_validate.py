"""Argument checks shared across packages (a leaf module: imports nothing from snnlite).

Each raises ``ValueError`` or ``TypeError`` naming the argument, what was received and what
was expected (DESIGN.md, Errors).

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

__all__ = ["check_fitted", "check_inputs", "check_int", "check_real"]


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an ``int``, checked to be an integer ``>= minimum``.

    Raises
    ------
    TypeError
        If ``value`` is not a number (a string, None, ...).
    ValueError
        If ``value`` is a bool, a non-integer number (``2.5``, ``3.0``) or below ``minimum``.
    """
    expected = f"an integer >= {minimum}"
    if not isinstance(value, (numbers.Number, np.bool_)):
        raise TypeError(f"{name} must be {expected}, got {value!r} ({type(value).__name__})")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < minimum:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


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


def check_inputs(x, name: str = "x") -> np.ndarray:
    """``x`` as an array of at least one finite floating-point sample ``(N, ...)``.

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


def check_fitted(estimator, attribute: str, action: str = "using it") -> None:
    """Raise if ``estimator`` has not been fitted (it lacks the learned ``attribute``).

    Raises
    ------
    RuntimeError
        ``"<Class> is not fitted: call fit() before <action>"``.
    """
    if not hasattr(estimator, attribute):
        raise RuntimeError(f"this {type(estimator).__name__} is not fitted: call fit() before "
                           f"{action}")
