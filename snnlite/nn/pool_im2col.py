"""Average pooling and im2col in one pass: the patches of ``Conv2d(AvgPool2d(x))`` from ``x``.

A spiking layer whose synapse is ``Sequential(AvgPool2d(p), Conv2d(...))`` (W2's second
layer) would otherwise pool the incoming spikes into a float array, transpose and pad it,
and copy every window into the column matrix of :func:`~snnlite.nn.im2col.im2col`: three
passes and a column matrix of ``T * B * OH * OW * C * kh * kw`` values (20 MB per step in
W2). :func:`pooled_conv` instead pools each sample into a small NHWC buffer (in L1 cache)
and writes that sample's patches straight into the column matrix, one contiguous run of
``kw * C`` values per kernel row, the samples split over the cores; then one matrix product.
Multiplying cache-sized blocks of samples was tried: no faster, and BLAS rounds products
of fewer rows differently, so the spikes would no longer equal the module path's.

The pooled values are summed in the order of :class:`~snnlite.nn.pool.AvgPool2d` (the
``kh`` rows of a window first, then the ``kw`` row sums, then one division), and the patch
columns are in im2col's ``(i, j, channel)`` order, so the result equals
``conv(pool(x))`` computed by the modules themselves (tested bit for bit in float64).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit, prange
from .conv import Conv2d
from .im2col import output_size
from .module import Module, Sequential
from .pool import AvgPool2d

__all__ = ["pooled_conv", "pooled_conv_ops"]

@njit(parallel=True)
def _pool_patches(x, pkh, pkw, divisor, kh, kw, sh, sw, ph, pw, cols):  # pragma: no cover
    """Fill ``cols`` ``(N * OH * OW, kh * kw * C)`` with the conv patches of ``pool(x)``.

    ``x`` ``(N, C, H, W)`` any numeric dtype; ``(pkh, pkw)`` non-overlapping pooling windows
    (stride = kernel, no padding) summed rows first and divided by ``divisor``; ``(kh, kw)``,
    ``(sh, sw)``, ``(ph, pw)`` the convolution's kernel, stride and padding. The samples are
    split over the cores.
    """
    n, c = x.shape[0], x.shape[1]
    hp, wp = x.shape[2] // pkh, x.shape[3] // pkw
    oh, ow = (hp + 2 * ph - kh) // sh + 1, (wp + 2 * pw - kw) // sw + 1
    width, run = (wp + 2 * pw) * c, kw * c
    dst = cols.reshape(-1)
    for b in prange(n):
        pooled = np.zeros((hp + 2 * ph) * width, cols.dtype)  # one padded NHWC sample (L1)
        rows = np.empty(wp * pkw, cols.dtype)
        for ch in range(c):
            for h in range(hp):
                top = x[b, ch, h * pkh]
                for w in range(wp * pkw):  # AvgPool2d: the kh rows of each window first
                    rows[w] = top[w]  # stored: rounded to cols' dtype
                for i in range(1, pkh):
                    line = x[b, ch, h * pkh + i]
                    for w in range(wp * pkw):
                        rows[w] += line[w]
                at = (h + ph) * width + pw * c + ch
                for w in range(wp):  # ... then the kw row sums, then one division
                    total = rows[w * pkw]
                    for j in range(1, pkw):
                        total += rows[w * pkw + j]
                    pooled[at + w * c] = total / divisor
        for y in range(oh):
            for z in range(ow):
                row = ((b * oh + y) * ow + z) * kh * run
                for i in range(kh):  # taps (i, 0..kw-1, 0..C-1) are one contiguous run
                    start = (y * sh + i) * width + z * sw * c
                    target = dst[row + i * run:row + (i + 1) * run]
                    source = pooled[start:start + run]
                    for k in range(run):  # a plain loop over views: 2x faster than a slice copy
                        target[k] = source[k]


def pooled_conv_ops(op: Module) -> list | None:
    """``op``'s layers if :func:`pooled_conv` computes it, else None.

    Accepted: ``Conv2d`` or ``Sequential(AvgPool2d, Conv2d)`` with pooling without padding
    and stride = kernel, and a convolution with ``groups = 1`` and no bias.
    """
    ops = list(op.layers) if isinstance(op, Sequential) else [op]
    *pools, conv = ops
    if not isinstance(conv, Conv2d) or conv.groups != 1 or conv.bias is not None \
            or len(pools) > 1:
        return None
    if all(type(p) is AvgPool2d and p.padding == (0, 0) and p.stride == p.kernel_size
           for p in pools):
        return ops
    return None


def pooled_conv(ops: list, x: np.ndarray, dtype) -> np.ndarray:
    """``conv(pool(x))`` for ``ops`` from :func:`pooled_conv_ops`.

    Parameters
    ----------
    ops : list of nn.Module
        ``[AvgPool2d, Conv2d]`` or ``[Conv2d]``.
    x : ndarray, shape (N, C, H, W)
        Input of any numeric dtype (int8 spikes are read directly, never cast as a whole).
    dtype : floating dtype
        Dtype of the patches; the product runs in the common dtype of it and the weight.

    Returns
    -------
    ndarray, shape (N, C_out, OH, OW), C-contiguous
    """
    *pools, conv = ops
    pool = pools[0].kernel_size if pools else (1, 1)
    n, c, h, w = x.shape
    if c != conv.in_channels:
        raise ValueError(f"Conv2d expects (B, {conv.in_channels}, H, W), got shape {x.shape}")
    oh, ow = output_size((h // pool[0], w // pool[1]), conv.kernel_size, conv.stride,
                         conv.padding)
    dtype = np.result_type(dtype, conv.weight.data.dtype)  # as Conv2d.forward: common dtype
    cols = np.empty((n * oh * ow, conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]),
                    dtype)
    _pool_patches(np.ascontiguousarray(x), *pool, dtype.type(pool[0] * pool[1]),
                  *conv.kernel_size, *conv.stride, *conv.padding, cols)
    # the product of the module path (one call of the same shape: the same sums, bit for bit)
    out = cols @ conv._grouped_weight()[0].T.astype(dtype, copy=False)
    return np.ascontiguousarray(out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2))
