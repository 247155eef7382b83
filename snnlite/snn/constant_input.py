"""The lazy analog input sequence: ``x`` at every step, stored once.

Made by :func:`snnlite.snn.encoding.analog`; the engines compute the first layer's current
from :attr:`ConstantInput.value` once per run.

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ConstantInput"]


class ConstantInput:
    """The sequence ``(T, B, ...)`` equal to ``x`` at steps ``t < t_in`` and 0 after, unstored.

    Parameters
    ----------
    x : (B, ...) float array
        The input current of every step.
    T : int
        Number of steps.
    t_in : int or None
        Steps with input (``None``: all ``T``); the spec's ``1[t <= T_in]`` (B14).

    Attributes
    ----------
    value : (B, ...) array
        ``x`` itself. The engine computes the first layer's current ``W x`` **once** from it
        and reuses it for the first ``steps_on`` steps (the input is zero afterwards).
    T, t_in : int, int or None
        As given.
    steps_on : int
        ``min(t_in, T)`` (``T`` when ``t_in`` is None).
    shape, dtype, ndim
        Those of the materialised array.

    Notes
    -----
    ``np.asarray(inp)`` or :meth:`materialize` builds the full ``(T, B, ...)`` array (costs
    ``T`` copies of ``x``); ``inp[t]`` returns step ``t`` alone.
    """

    def __init__(self, x: np.ndarray, T: int, t_in: int | None = None):
        self.value = x
        self.T = T
        self.t_in = t_in
        self.steps_on = T if t_in is None else min(t_in, T)

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.T, *self.value.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return self.value.ndim + 1

    def __len__(self) -> int:
        return self.T

    def __getitem__(self, t: int) -> np.ndarray:
        """Input at step ``t`` (an int, negative counts from the end): ``x`` or zeros."""
        if not isinstance(t, (int, np.integer)):
            raise TypeError(f"ConstantInput supports integer step indices only, got {t!r}")
        if not -self.T <= t < self.T:
            raise IndexError(f"step {t} out of range for T = {self.T}")
        return self.value if t % self.T < self.steps_on else np.zeros_like(self.value)

    def window(self, start: int, stop: int) -> ConstantInput:
        """The steps ``start .. stop-1`` as a ConstantInput of ``stop - start`` steps."""
        if not 0 <= start < stop <= self.T:
            raise IndexError(f"window [{start}, {stop}) out of range for T = {self.T}")
        return ConstantInput(self.value, stop - start, max(0, self.steps_on - start))

    def materialize(self) -> np.ndarray:
        """The full ``(T, B, ...)`` array."""
        out = np.zeros(self.shape, dtype=self.dtype)
        out[: self.steps_on] = self.value
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if copy is False:
            raise ValueError("ConstantInput cannot be converted to an array without a copy")
        out = self.materialize()
        return out if dtype is None else out.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"ConstantInput(shape={self.shape}, dtype={self.dtype}, t_in={self.t_in})"
