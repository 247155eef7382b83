"""Integer event-driven convolution: int8 weights, int32 accumulators, one scatter per spike.

In the all-integer network of Zou et al. (:mod:`snnlite.convert.zou`, integer mode, A7) every
hidden layer is a ternary convolution of +-1 spikes, so its current is an integer sum of
``{-1, 0, +1}`` weights. :class:`IntegerConv2d` keeps those weights as ``int8`` and computes
the current of a spike tensor by *scattering* the kernel of each spike: a spike ``s`` of input
channel ``c`` at ``(y, x)`` adds ``s * W[:, c, i, j]`` to output position
``((y + ph - i) / sh, (x + pw - j) / sw)`` for every tap ``(i, j)`` that lands on the output
grid. Silent inputs cost nothing, and the adds are on contiguous ``int32`` rows of the
``C_out`` output channels (the weights laid out ``(C_in, kh, kw, C_out)``). Integer sums are
exact, so the current equals the float product of the same weights bit for bit (as long as
the float product is exact: below ``2^24`` in float32).

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange
from ..nn.conv import Conv2d
from ..nn.im2col import output_size

__all__ = ["IntegerConv2d"]


@njit(parallel=True)
def _scatter_kernels(spikes, weight, sh, sw, ph, pw, out):  # pragma: no cover - compiled
    """``out (N, OH, OW, C_out) int32 += `` the kernel of every spike, per sample in parallel.

    ``spikes`` ``(N, C, H, W)`` int8; ``weight`` ``(C, kh, kw, C_out)`` int8.
    """
    n, c, h, w = spikes.shape
    kh, kw, c_out = weight.shape[1], weight.shape[2], weight.shape[3]
    oh, ow = out.shape[1], out.shape[2]
    for b in prange(n):
        for ch in range(c):
            for y in range(h):
                for x in range(w):
                    s = spikes[b, ch, y, x]
                    if s == 0:
                        continue
                    for i in range(kh):
                        yy = y + ph - i
                        if yy < 0 or yy % sh != 0 or yy // sh >= oh:
                            continue
                        for j in range(kw):
                            xx = x + pw - j
                            if xx < 0 or xx % sw != 0 or xx // sw >= ow:
                                continue
                            row, taps = out[b, yy // sh, xx // sw], weight[ch, i, j]
                            if s > 0:
                                for o in range(c_out):
                                    row[o] += taps[o]
                            else:
                                for o in range(c_out):
                                    row[o] -= taps[o]


class IntegerConv2d(Conv2d):
    """A bias-free, ungrouped ``Conv2d`` with integer weights that scatters spike events.

    Parameters
    ----------
    conv : nn.Conv2d
        The convolution to copy; its weights must be integers in ``[-127, 127]`` and it must
        have no bias and ``groups = 1``.
    events : bool, default True
        Compute the current of int8 spikes with the event path (:meth:`event_current`);
        False forces the module path (float product) everywhere.

    Notes
    -----
    :meth:`forward` is ``Conv2d.forward`` (float input, float output). A spiking layer
    whose input is int8 spikes calls :meth:`event_current` instead (see
    :func:`snnlite.snn.synapse_paths.synaptic_current`), which returns ``int32`` currents
    ``(N, C_out, OH, OW)``.

    Examples
    --------
    >>> import numpy as np
    >>> from snnlite import nn
    >>> conv = nn.Conv2d(1, 1, 2, bias=False)
    >>> conv.weight.data[...] = [[[[1, -1], [0, 1]]]]
    >>> spikes = np.array([[[[1, 0, 0], [0, 0, -1], [0, 0, 0]]]], np.int8)
    >>> IntegerConv2d(conv).event_current(spikes)[0, 0].tolist()
    [[1, -1], [0, 1]]
    """

    def __init__(self, conv: Conv2d, events: bool = True):
        if not isinstance(conv, Conv2d) or conv.groups != 1 or conv.bias is not None:
            raise ValueError(f"IntegerConv2d needs a bias-free Conv2d with groups=1, got {conv!r}")
        weight = conv.weight.data
        if not np.array_equal(weight, np.rint(weight)) or np.abs(weight).max(initial=0) > 127:
            raise ValueError("IntegerConv2d needs integer weights in [-127, 127] (int8)")
        self.__dict__.update(vars(conv))
        self.events = bool(events)
        self.taps = np.ascontiguousarray(weight.transpose(1, 2, 3, 0).astype(np.int8))

    def event_current(self, spikes: np.ndarray) -> np.ndarray:
        """The int32 current ``(N, C_out, OH, OW)`` of int8 spikes ``(N, C_in, H, W)``."""
        if spikes.ndim != 4 or spikes.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d expects (B, {self.in_channels}, H, W), got shape "
                             f"{spikes.shape}")
        oh, ow = output_size(spikes.shape[2:], self.kernel_size, self.stride, self.padding)
        out = np.zeros((len(spikes), oh, ow, self.out_channels), np.int32)
        _scatter_kernels(np.ascontiguousarray(spikes), self.taps, *self.stride, *self.padding,
                         out)
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, int8 events={self.events}"
