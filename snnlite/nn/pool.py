"""2-D average and max pooling over NCHW inputs (overlapping windows allowed)."""

from __future__ import annotations

import numpy as np

from .im2col import as_pair, output_size, pad2d, window_slices
from .module import Module

__all__ = ["AvgPool2d", "MaxPool2d", "SumPool2d"]


def _sum(parts: list[np.ndarray], dtype) -> np.ndarray:
    """``parts[0] + parts[1] + ...`` as a new array of ``dtype`` (no zero-filled start)."""
    total = np.add(parts[0], parts[1], dtype=dtype) if len(parts) > 1 else parts[0].astype(dtype)
    for part in parts[2:]:
        total += part
    return total


class _Pool2d(Module):
    """Shared geometry: ``kernel_size`` and ``stride`` (defaults to ``kernel_size``)."""

    padding = (0, 0)

    def __init__(self, kernel_size, stride=None):
        self.kernel_size = as_pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride")

    def _out_hw(self, x: np.ndarray) -> tuple[int, int]:
        if x.ndim != 4:
            raise ValueError(f"{type(self).__name__} expects (B, C, H, W), got shape {x.shape}")
        return output_size(x.shape[2:], self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class AvgPool2d(_Pool2d):
    """Mean over each ``kh x kw`` window: ``y = (1 / (kh kw)) sum_{i,j} xp[..., s*h + i, s*w + j]``.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window height and width.
    stride : int, (int, int) or None
        Step between windows; ``None`` means ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int)
        Zeros added on each side, at most half the kernel. Padded zeros count in the mean
        (PyTorch's ``count_include_pad=True``), so every window divides by ``kh * kw``.

    Notes
    -----
    Shapes: ``(B, C, H, W)`` -> ``(B, C, OH, OW)``, ``OH = (H + 2 ph - kh) // sh + 1``.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride)
        self.padding = as_pair(padding, "padding", minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"padding must be at most half the kernel {self.kernel_size}, "
                             f"got {self.padding}")

    def _window_sum(self, x: np.ndarray, train: bool) -> np.ndarray:
        (kh, kw), (sh, sw), (oh, ow) = self.kernel_size, self.stride, self._out_hw(x)
        xp = pad2d(x, self.padding)
        dtype = np.result_type(x.dtype, np.float32)
        # the window sum is separable: add the kh rows of each window first (contiguous
        # rows), then the kw columns of that smaller array: kh + kw adds instead of kh * kw
        rows = _sum([xp[..., i:i + sh * (oh - 1) + 1:sh, :] for i in range(kh)], dtype)
        if train:
            self._x_shape = x.shape
        return _sum([rows[..., j:j + sw * (ow - 1) + 1:sw] for j in range(kw)], dtype)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        y = self._window_sum(x, train)
        return np.divide(y, self.kernel_size[0] * self.kernel_size[1], out=y)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return self._scatter(grad / (self.kernel_size[0] * self.kernel_size[1]))

    def _scatter(self, share: np.ndarray) -> np.ndarray:
        """Add each window's ``share`` to the inputs of that window (the backward pass)."""
        (ph, pw), (h, w) = self.padding, self._x_shape[2:]
        dxp = np.zeros(self._x_shape[:2] + (h + 2 * ph, w + 2 * pw), share.dtype)
        for _, _, rows, cols in window_slices(self.kernel_size, self.stride, share.shape[2:]):
            dxp[..., rows, cols] += share
        return dxp[:, :, ph:ph + h, pw:pw + w]

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, padding={self.padding}"


class SumPool2d(AvgPool2d):
    """Sum over each ``kh x kw`` window: ``y = sum_{i,j} xp[..., s*h + i, s*w + j]``.

    The pooling of Sinabs and of NIR's ``SumPool2d`` node; ``kh * kw`` times
    :class:`AvgPool2d` (same parameters, shapes and padding rule), computed without the
    division so that summed spikes stay exact integers.

    Examples
    --------
    >>> import numpy as np
    >>> SumPool2d(2)(np.ones((1, 1, 4, 4), np.float32))[0, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        return self._window_sum(x, train)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return self._scatter(grad)


class MaxPool2d(_Pool2d):
    """Maximum over each ``kh x kw`` window.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window height and width.
    stride : int, (int, int) or None
        Step between windows; ``None`` means ``kernel_size`` (non-overlapping windows).

    Notes
    -----
    Shapes: ``(B, C, H, W)`` -> ``(B, C, OH, OW)``, ``OH = (H - kh) // sh + 1``.

    The backward pass sends each window's gradient to one element: the *first* maximal
    element in row-major window order (PyTorch's convention), so with ties the whole
    gradient goes to the top-left-most maximum. With overlapping windows an input element
    that is the selected maximum of several windows receives the sum of their gradients.
    """

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        offsets = window_slices(self.kernel_size, self.stride, self._out_hw(x))
        _, _, rows, cols = next(offsets)
        y = x[..., rows, cols].copy()
        for _, _, rows, cols in offsets:
            np.maximum(y, x[..., rows, cols], out=y)
        if train:  # a private copy of y: the caller may modify the returned array in place
            self._x, self._y = x, y.copy()
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        # Visit the offsets in row-major order; each window routes its gradient to the first
        # offset whose input equals the window maximum, then stops (``pending`` turns off).
        x, y = self._x, self._y
        overlapping = any(s < k for s, k in zip(self.stride, self.kernel_size, strict=True))
        dx = np.zeros(x.shape, grad.dtype)
        pending, hit = np.ones(y.shape, bool), np.empty(y.shape, bool)
        for _, _, rows, cols in window_slices(self.kernel_size, self.stride, y.shape[2:]):
            np.equal(x[..., rows, cols], y, out=hit)
            hit &= pending
            pending ^= hit
            if overlapping:
                dx[..., rows, cols] += grad * hit
            else:  # windows are disjoint: each input element is written at most once
                np.multiply(grad, hit, out=dx[..., rows, cols])
        return dx
