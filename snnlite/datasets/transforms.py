"""Image preprocessing shared by every dataset: uint8 to float, mean/std normalisation."""

from __future__ import annotations

import numpy as np

__all__ = ["normalize", "to_float"]


def to_float(images: np.ndarray, add_channel: bool = True) -> np.ndarray:
    """Scale uint8 images to float32 in ``[0, 1]`` (divide by 255).

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W)
    add_channel : bool, default True
        Insert a channel axis, giving ``(N, 1, H, W)`` as the ``(B, C, H, W)`` layers expect.

    Returns
    -------
    ndarray of float32, shape (N, 1, H, W) or (N, H, W)

    Raises
    ------
    TypeError
        If ``images`` is not a uint8 array.
    ValueError
        If ``images`` is not 3-d.

    Examples
    --------
    >>> to_float(np.full((2, 28, 28), 255, np.uint8)).shape
    (2, 1, 28, 28)
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        got = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"images must be a uint8 ndarray, got {got}")
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got shape {images.shape}")
    x = images.astype(np.float32) / np.float32(255)
    return x[:, None] if add_channel else x


def normalize(x: np.ndarray, mean: float | np.ndarray | None = None,
              std: float | np.ndarray | None = None) -> np.ndarray:
    """Standardise: return ``(x - mean) / std`` as a new float32 array.

    Parameters
    ----------
    x : ndarray, any shape, numeric
    mean, std : float or ndarray broadcastable to ``x``, optional
        Defaults are the mean and standard deviation of all of ``x`` (one scalar each); pass
        the training set's statistics (e.g. :data:`MNIST_MEAN`, :data:`MNIST_STD` for
        :func:`to_float` output) to normalise test data the same way.

    Returns
    -------
    ndarray of float32, same shape as ``x``

    Raises
    ------
    TypeError
        If ``x`` is not an integer or floating-point array.
    ValueError
        If any ``std`` is not positive and finite (a constant ``x`` has std 0), or if
        ``mean`` is not finite.

    Examples
    --------
    >>> normalize(np.array([0.0, 2.0]))
    array([-1.,  1.], dtype=float32)
    """
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise TypeError(f"x must be an integer or floating-point array, got dtype {x.dtype}")
    mean = np.float64(x.mean(dtype=np.float64)) if mean is None else np.asarray(mean)
    std = np.float64(x.std(dtype=np.float64)) if std is None else np.asarray(std)
    if not np.all(np.isfinite(std) & (std > 0)):
        raise ValueError(f"std must be positive and finite, got {std}")
    if not np.all(np.isfinite(mean)):
        raise ValueError(f"mean must be finite, got {mean}")
    return ((x - mean) / std).astype(np.float32)
