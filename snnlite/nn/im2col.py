"""Sliding-window extraction shared by convolution and pooling (im2col / col2im).

A 2-D window operation with kernel ``(kh, kw)``, stride ``(sh, sw)`` and zero padding
``(ph, pw)`` maps an NCHW input ``(B, C, H, W)`` to an output grid ``(OH, OW)`` with

    OH = (H + 2 ph - kh) // sh + 1,    OW = (W + 2 pw - kw) // sw + 1.

Kernel offset ``(i, j)`` of every window at once is the strided slice
``xp[..., i : i + sh (OH - 1) + 1 : sh, j : j + sw (OW - 1) + 1 : sw]`` of the padded input
``xp``, so every loop here and in the layers runs over the ``kh * kw`` offsets, never over
pixels.

The column matrix has one *row* per output position and one column per input tap:
``(B * OH * OW, C * kh * kw)``, rows in ``(b, oh, ow)`` order and columns in
``(group, i, j, channel within group)`` order. Channels innermost make the one big copy in
:func:`im2col` and the strided additions in :func:`col2im` read and write contiguous runs;
groups outermost make a grouped convolution a batched product over a free reshape
``(B * OH * OW, groups, C / groups * kh * kw)``. The contiguous runs are ``C / groups``
elements long, so depthwise convolutions (runs of one) are correct but not fast.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .._validate import check_int

__all__ = ["as_pair", "output_size", "pad2d", "window_slices", "im2col", "col2im"]


def as_pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """Normalise an int or a pair of ints to ``(height, width)``.

    Raises
    ------
    ValueError
        If ``value`` is a sequence of other than two entries, or an entry is not an integer
        ``>= minimum``.
    TypeError
        If an entry is not a number.
    """
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        pair = tuple(value)
    else:
        pair = (value, value)
    return check_int(name, pair[0], minimum), check_int(name, pair[1], minimum)


def output_size(in_hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """Output grid ``(OH, OW)`` of a window operation on an ``(H, W)`` input.

    Raises
    ------
    ValueError
        If the padded input is smaller than the kernel.
    """
    padded = (in_hw[0] + 2 * padding[0], in_hw[1] + 2 * padding[1])
    if padded[0] < kernel[0] or padded[1] < kernel[1]:
        raise ValueError(f"padded input {padded} is smaller than the kernel {kernel} "
                         f"(input {tuple(in_hw)}, padding {padding})")
    return ((padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1)


def pad2d(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Zero-pad the last two axes of ``x`` by ``padding``; returns ``x`` itself when zero."""
    if padding == (0, 0):
        return x
    ph, pw = padding
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)])


def window_slices(kernel: tuple[int, int], stride: tuple[int, int],
                  out_hw: tuple[int, int]) -> Iterator[tuple[int, int, slice, slice]]:
    """Yield ``(i, j, rows, cols)`` for every kernel offset, in row-major order.

    On a padded image ``xp`` of height ``Hp`` and width ``Wp``, ``xp[..., rows, cols]``
    (NCHW) or ``xp[:, rows, cols]`` (NHWC) is the ``(OH, OW)`` grid holding the element at
    offset ``(i, j)`` of every window.
    """
    (sh, sw), (oh, ow) = stride, out_hw
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield i, j, slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           padding: tuple[int, int], groups: int = 1) -> tuple[np.ndarray, tuple[int, int]]:
    """Gather every window of ``x`` into the rows of one contiguous matrix.

    Parameters
    ----------
    x : ndarray, shape (B, C, H, W)
        Input (any dtype); ``C`` must be divisible by ``groups``.
    kernel, stride, padding : pair of int
        Window geometry.
    groups : int
        Number of channel groups (sets the column order, see the module docstring).

    Returns
    -------
    cols : ndarray, shape (B * OH * OW, C * kh * kw)
        C-contiguous, dtype of ``x``. Entry ``[(b, oh, ow), (g, i, j, c)]`` is
        ``xp[b, g * C / groups + c, sh * oh + i, sw * ow + j]``.
    out_hw : (int, int)
        The output grid ``(OH, OW)``.
    """
    b, c = x.shape[:2]
    (ph, pw), (oh, ow) = padding, output_size(x.shape[2:], kernel, stride, padding)
    nhwc = x.transpose(0, 2, 3, 1)
    nhwc = np.pad(nhwc, ((0, 0), (ph, ph), (pw, pw), (0, 0))) if ph or pw \
        else np.ascontiguousarray(nhwc)
    view = np.lib.stride_tricks.sliding_window_view(nhwc, kernel, axis=(1, 2))
    view = view[:, ::stride[0], ::stride[1]].reshape(b, oh, ow, groups, c // groups, *kernel)
    cols = np.ascontiguousarray(view.transpose(0, 1, 2, 3, 5, 6, 4))  # (B,OH,OW,G,kh,kw,C/G)
    return cols.reshape(b * oh * ow, -1), (oh, ow)


def col2im(cols: np.ndarray, x_shape: tuple[int, ...], kernel: tuple[int, int],
           stride: tuple[int, int], padding: tuple[int, int], groups: int = 1) -> np.ndarray:
    """Adjoint of :func:`im2col`: add every matrix entry back onto the pixel it came from.

    Parameters
    ----------
    cols : ndarray, shape (B * OH * OW, C * kh * kw)
        Gradients with respect to the :func:`im2col` matrix.
    x_shape : tuple (B, C, H, W)
        Shape of the original input.
    kernel, stride, padding : pair of int
        Window geometry used by :func:`im2col`.
    groups : int
        Number of channel groups used by :func:`im2col`.

    Returns
    -------
    ndarray, shape (B, C, H, W), C-contiguous, dtype of ``cols``
        ``dx`` such that ``sum(im2col(x) * cols) == sum(x * dx)`` for every ``x``.
    """
    b, c, h, w = x_shape
    (ph, pw), (oh, ow) = padding, output_size((h, w), kernel, stride, padding)
    taps = cols.reshape(b, oh, ow, groups, *kernel, c // groups)
    dx = np.zeros((b, h + 2 * ph, w + 2 * pw, groups, c // groups), cols.dtype)  # NHWC
    for i, j, rows, columns in window_slices(kernel, stride, (oh, ow)):
        dx[:, rows, columns] += taps[:, :, :, :, i, j]
    dx = dx.reshape(b, h + 2 * ph, w + 2 * pw, c)[:, ph:ph + h, pw:pw + w]
    return np.ascontiguousarray(dx.transpose(0, 3, 1, 2))
