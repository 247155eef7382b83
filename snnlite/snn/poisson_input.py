"""The lazy Poisson input sequence: the spike stream ``(T, B, ...)`` described, not stored.

Made by :func:`snnlite.snn.encoding.poisson_stream` (what ``SpikingNetwork.run`` uses for the
``"poisson"``/``"bernoulli"`` encoders when the first layer can take it). A first layer on the
event path draws the spikes inside its kernel
(:func:`~snnlite.snn.event_synapse.poisson_event_linear`); anything else calls
:meth:`PoissonInput.materialize`, which gives exactly the array
:func:`~snnlite.snn.encoding.poisson` returns for the same ``rng`` (both use one key and the
element index ``t * N + j``).
"""

from __future__ import annotations

import numpy as np

from .context import SpikeCounts, count_spikes
from .fast_bernoulli import spikes_from_key

__all__ = ["PoissonInput"]


class PoissonInput:
    """Steps ``t0 .. t0 + T - 1`` of the Bernoulli stream ``sign * 1[u < p]`` of one batch.

    Parameters
    ----------
    key : numpy.uint64
        The stream's key (one draw of the caller's Generator).
    p24 : (B * n,) float array
        Spike probabilities times ``2**24``, flat.
    sign : (B * n,) int8 array
        Value of a spike per element.
    T : int
        Steps in this window.
    batch_shape : tuple of int
        Shape of the encoded batch ``(B, ...)`` (``B * n`` elements).
    t0 : int
        Step index of the first step of this window in the whole run.
    counts : SpikeCounts, optional
        Where the spikes are counted once they are drawn (the network's ``"input"`` counts).

    Attributes
    ----------
    batch : int
        ``B``.
    rate : float
        Expected fraction of non-zero entries (mean probability): the density the first
        layer's automatic path choice uses.
    """

    def __init__(self, key: np.uint64, p24: np.ndarray, sign: np.ndarray, T: int,
                 batch_shape: tuple[int, ...], t0: int = 0, counts: SpikeCounts | None = None):
        self.key, self.p24, self.sign = key, p24, sign
        self.T, self.t0, self.counts = T, t0, counts
        self.batch, self.sample_shape = batch_shape[0], tuple(batch_shape[1:])

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.T, self.batch, *self.sample_shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def rate(self) -> float:
        return float(self.p24.mean()) / 2**24 if self.p24.size else 0.0

    def __len__(self) -> int:
        return self.T

    def window(self, start: int, stop: int) -> PoissonInput:
        """Steps ``start .. stop-1`` of this window (sharing the key and the counts)."""
        if not 0 <= start < stop <= self.T:
            raise IndexError(f"window [{start}, {stop}) out of range for T = {self.T}")
        return PoissonInput(self.key, self.p24, self.sign, stop - start,
                            (self.batch, *self.sample_shape), self.t0 + start, self.counts)

    def materialize(self, dtype=np.int8, count: bool = True) -> np.ndarray:
        """The spikes ``(T, B, ...)`` of ``dtype``; counted into :attr:`counts` if ``count``."""
        out = spikes_from_key(self.key, self.p24, self.sign, self.T, dtype, self.t0)
        out = out.reshape(self.shape)
        if count and self.counts is not None:
            count_spikes(out, self.counts, self.t0)
        return out

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step in (None, 1):
            start, stop, _ = key.indices(self.T)
            return self.window(start, stop)
        raise TypeError(f"PoissonInput supports contiguous step slices only, got {key!r}")

    def __repr__(self) -> str:
        return (f"PoissonInput(shape={self.shape}, t0={self.t0}, rate={self.rate:.3f})")
