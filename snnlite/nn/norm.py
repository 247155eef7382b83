"""Batch normalisation over the channel axis (axis 1)."""

from __future__ import annotations

import numpy as np

from .._validate import check_int, check_real
from .module import Module, Parameter

__all__ = ["BatchNorm", "BatchNorm1d", "BatchNorm2d"]


class BatchNorm(Module):
    """``y = weight * (x - mean) / sqrt(var + eps) + bias``, per channel.

    Parameters
    ----------
    num_features : int
        Number of channels ``C`` (axis 1 of the input).
    momentum : float
        Weight of the newest batch in the running statistics, in ``[0, 1]``.
    eps : float
        Added to the variance for stability (> 0).
    dtype : dtype
        Dtype of the parameters and buffers (float32 by default).

    Attributes
    ----------
    weight, bias : Parameter, shape (C,)
        Scale ``gamma`` (ones) and shift ``beta`` (zeros).
    running_mean, running_var : ndarray, shape (C,)
        Buffers (zeros and ones), saved by ``state_dict``.

    Notes
    -----
    Shapes: ``(B, C)``, ``(B, C, L)`` or ``(B, C, H, W)``; statistics are taken over every axis
    except axis 1 (``n`` values per channel).

    Train mode normalises with the batch mean and the biased batch variance, and updates the
    running estimates as PyTorch does, with the *unbiased* variance::

        running_mean <- (1 - momentum) running_mean + momentum mean
        running_var  <- (1 - momentum) running_var  + momentum var * n / (n - 1)

    Eval mode normalises with ``running_mean`` and ``running_var``. The backward pass (train
    mode) is the full one, through the batch statistics::

        dx = weight / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm(3)
    >>> y = bn(np.random.default_rng(0).normal(5, 2, (64, 3)), train=True)
    >>> bool(np.allclose(y.mean(axis=0), 0, atol=1e-6)), bn.running_mean.shape
    (True, (3,))
    """

    _buffers = ("running_mean", "running_var")
    _ndims: tuple[int, ...] = (2, 3, 4)

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5,
                 dtype=np.float32):
        num_features = check_int("num_features", num_features)
        momentum = check_real("momentum", momentum, 0.0, 1.0, high_open=False)
        eps = check_real("eps", eps, 0.0, low_open=True)
        self.num_features, self.momentum, self.eps = num_features, float(momentum), float(eps)
        self.weight = Parameter(np.ones(num_features, dtype))
        self.bias = Parameter(np.zeros(num_features, dtype))
        self.running_mean = np.zeros(num_features, dtype)
        self.running_var = np.ones(num_features, dtype)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            dims = " or ".join(f"{d}-D" for d in self._ndims)
            raise ValueError(f"{type(self).__name__} expects a {dims} input with "
                             f"{self.num_features} channels on axis 1, got shape {x.shape}")
        axes = (0, *range(2, x.ndim))
        channel = (1, -1) + (1,) * (x.ndim - 2)       # broadcasts a (C,) vector over x
        if not train:
            scale = self.weight.data / np.sqrt(self.running_var + self.eps)
            return (x - self.running_mean.reshape(channel)) * scale.reshape(channel) \
                + self.bias.data.reshape(channel)
        n = x.size // self.num_features
        if n < 2:
            raise ValueError(f"BatchNorm needs more than one value per channel in train mode, "
                             f"got input shape {x.shape}")
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        m = self.momentum
        self.running_mean[...] = (1 - m) * self.running_mean + m * mean
        self.running_var[...] = (1 - m) * self.running_var + m * var * (n / (n - 1))
        inv_std = 1 / np.sqrt(var + self.eps)
        x_hat = (x - mean.reshape(channel)) * inv_std.reshape(channel)
        self._x_hat, self._inv_std, self._axes, self._channel = x_hat, inv_std, axes, channel
        return x_hat * self.weight.data.reshape(channel) + self.bias.data.reshape(channel)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x_hat, axes, channel = self._x_hat, self._axes, self._channel
        n = grad.size // self.num_features
        dbias, dweight = grad.sum(axis=axes), (grad * x_hat).sum(axis=axes)
        self.bias.grad += dbias
        self.weight.grad += dweight
        scale = (self.weight.data * self._inv_std).reshape(channel)
        return scale * (grad - (dbias / n).reshape(channel)
                        - x_hat * (dweight / n).reshape(channel))

    def extra_repr(self) -> str:
        return f"{self.num_features}, momentum={self.momentum}, eps={self.eps}"


class BatchNorm1d(BatchNorm):
    """:class:`BatchNorm` restricted to ``(B, C)`` and ``(B, C, L)`` inputs."""

    _ndims = (2, 3)


class BatchNorm2d(BatchNorm):
    """:class:`BatchNorm` restricted to ``(B, C, H, W)`` inputs."""

    _ndims = (4,)
