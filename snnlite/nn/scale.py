"""Element-wise scaling by a fixed array (NIR's ``Scale`` node)."""

from __future__ import annotations

import numpy as np

from .module import Module

__all__ = ["Scale"]


class Scale(Module):
    """``y = x * scale``, with ``scale`` fixed (not trained) and broadcast over the batch.

    Parameters
    ----------
    scale : float or array_like
        A scalar, or an array of the per-sample shape of ``x`` (or one that broadcasts to it,
        for example ``(C, 1, 1)`` per channel).

    Raises
    ------
    ValueError
        If ``scale`` has a non-finite element.

    Notes
    -----
    Shapes: ``x`` ``(B, ...)`` -> ``y`` of the same shape, in the common dtype of ``x`` and
    float32 (``scale`` is kept in float64 and cast to it). The backward pass returns
    ``grad * scale``.

    Examples
    --------
    >>> import numpy as np
    >>> Scale(np.array([1.0, 2.0]))(np.ones((2, 2), np.float32)).tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """

    def __init__(self, scale):
        self.scale = np.array(scale, dtype=np.float64)
        if not np.all(np.isfinite(self.scale)):
            raise ValueError(f"scale must be finite, got {scale!r}")

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if self.scale.ndim > x.ndim - 1:
            raise ValueError(f"Scale of shape {self.scale.shape} does not fit inputs of "
                             f"shape {x.shape} (batch first)")
        return x * self.scale.astype(np.result_type(x.dtype, np.float32), copy=False)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.scale.astype(grad.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"scale={np.array2string(self.scale.ravel(), threshold=4)}"
