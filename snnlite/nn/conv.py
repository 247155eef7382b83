"""2-D convolution (cross-correlation, as in every deep-learning library) via im2col."""

from __future__ import annotations

import numpy as np

from .._validate import as_rng, check_int
from .im2col import as_pair, col2im, im2col
from .init import kaiming_uniform
from .module import Module, Parameter

__all__ = ["Conv2d"]


class Conv2d(Module):
    """``y[b, o] = bias[o] + sum_{c in group(o), i, j} W[o, c, i, j] xp[b, c, s*h + i, s*w + j]``.

    Parameters
    ----------
    in_channels, out_channels : int
        Input and output channels (>= 1); both must be divisible by ``groups``.
    kernel_size : int or (int, int)
        Kernel height and width.
    stride : int or (int, int)
        Step between windows.
    padding : int or (int, int)
        Zeros added on each side of the height and width axes.
    groups : int
        Channel groups: output channel ``o`` sees only the ``in_channels / groups`` input
        channels of its group. ``groups = in_channels = out_channels`` is a depthwise
        convolution.
    bias : bool
        Whether to add a learned bias.
    rng : Generator, int or None
        Random source for the initial weights (PyTorch's default uniform initialisation,
        ``fan_in = in_channels / groups * kh * kw``).
    dtype : dtype
        Parameter dtype (float32 by default).

    Notes
    -----
    Shapes: ``x`` ``(B, C_in, H, W)`` -> ``y`` ``(B, C_out, OH, OW)`` (C-contiguous) with
    ``OH = (H + 2 ph - kh) // sh + 1`` (likewise ``OW``); ``weight`` is
    ``(C_out, C_in / groups, kh, kw)``, ``bias`` ``(C_out,)``. Any batch size works, so a
    spiking layer passes all ``T * B`` rows of a sequence at once.

    The forward pass is one copy (:func:`~snnlite.nn.im2col.im2col`, one row per output
    position) and one matrix product (batched over groups); in train mode the column matrix
    is kept for the weight gradient. The backward pass is one product for ``dW``, one for the
    column gradients, and :func:`~snnlite.nn.im2col.col2im`, which loops over the
    ``kh * kw`` kernel offsets. The input is cast to the common dtype of input and weight
    (so ``int8`` spikes give ``float32`` currents).

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(3, 8, 5, padding=2, rng=0)
    >>> conv(np.zeros((2, 3, 28, 28), np.float32)).shape
    (2, 8, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 groups: int = 1, bias: bool = True, rng=None, dtype=np.float32):
        in_channels = check_int("in_channels", in_channels)
        out_channels = check_int("out_channels", out_channels)
        groups = check_int("groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) "
                             f"must be divisible by groups ({groups})")
        rng = as_rng(rng)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = as_pair(kernel_size, "kernel_size")
        self.stride = as_pair(stride, "stride")
        self.padding = as_pair(padding, "padding", minimum=0)
        fan_in = in_channels // groups * self.kernel_size[0] * self.kernel_size[1]
        self.weight = Parameter(kaiming_uniform(
            (out_channels, in_channels // groups, *self.kernel_size), fan_in, rng, dtype))
        self.bias = Parameter(kaiming_uniform((out_channels,), fan_in, rng, dtype)) if bias \
            else None

    def _grouped_weight(self) -> np.ndarray:
        """The weight as ``(groups, C_out / groups, kh * kw * C_in / groups)`` (im2col order)."""
        return self.weight.data.transpose(0, 2, 3, 1).reshape(
            self.groups, self.out_channels // self.groups, -1)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d expects (B, {self.in_channels}, H, W), got shape {x.shape}")
        dtype = np.result_type(x.dtype, self.weight.data.dtype)
        cols, (oh, ow) = im2col(x.astype(dtype, copy=False), self.kernel_size, self.stride,
                                self.padding, self.groups)
        if train:
            self._cols, self._x_shape = cols, x.shape
        n, groups = cols.shape[0], self.groups
        y = np.empty((n, groups, self.out_channels // groups), dtype)
        np.matmul(cols.reshape(n, groups, -1).transpose(1, 0, 2),
                  self._grouped_weight().transpose(0, 2, 1), out=y.transpose(1, 0, 2))
        y = y.reshape(x.shape[0], oh, ow, self.out_channels)
        if self.bias is not None:
            y += self.bias.data
        return np.ascontiguousarray(y.transpose(0, 3, 1, 2))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        n, groups = self._cols.shape[0], self.groups
        g = np.ascontiguousarray(grad.transpose(0, 2, 3, 1)).reshape(n, self.out_channels)
        if self.bias is not None:
            self.bias.grad += g.sum(axis=0)
        g = g.reshape(n, groups, -1).transpose(1, 0, 2)               # (G, n, C_out/G)
        cols = self._cols.reshape(n, groups, -1).transpose(1, 0, 2)   # (G, n, kh*kw*C_in/G)
        # one 2-D product per group, long axis inner: a stacked matmul of these transposed
        # views misses BLAS and is ~50x slower for the T*B*H*W rows of a spiking layer
        dw = np.stack([(cols[i].T @ g[i]).T for i in range(groups)])  # (G, C_out/G, K/G)
        self.weight.grad += dw.reshape(self.out_channels, *self.kernel_size, -1).transpose(
            0, 3, 1, 2)
        if not self.input_grad:
            return None
        dcols = np.empty((n, groups, cols.shape[2]), np.result_type(g, self.weight.data))
        np.matmul(g, self._grouped_weight(), out=dcols.transpose(1, 0, 2))
        return col2im(dcols.reshape(n, -1), self._x_shape, self.kernel_size, self.stride,
                      self.padding, groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, groups={self.groups}, "
                f"bias={self.bias is not None}")
