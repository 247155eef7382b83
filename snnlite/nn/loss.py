"""Softmax cross-entropy, computed stably."""

from __future__ import annotations

import numpy as np

__all__ = ["log_softmax", "softmax_cross_entropy"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log(softmax(logits))`` along the last axis, shifted by the row maximum for stability."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against integer labels, and its gradient.

    Parameters
    ----------
    logits : ndarray, shape (B, K)
        Unnormalised class scores.
    labels : ndarray of int, shape (B,)
        Target classes in ``[0, K)``.

    Returns
    -------
    loss : float
        ``-mean(log p[label])``.
    grad : ndarray, shape (B, K)
        ``(softmax(logits) - onehot(labels)) / B``, same dtype as ``logits``.

    Raises
    ------
    ValueError
        If the shapes disagree or a label is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> loss, grad = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 6) == round(float(np.log(4)), 6)
    True
    """
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"expected logits (B, K) and labels (B,), got {logits.shape} and "
                         f"{labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"labels must lie in [0, {logits.shape[1]}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    logp = log_softmax(logits)
    rows = np.arange(len(labels))
    loss = -float(logp[rows, labels].mean())
    grad = np.exp(logp)
    grad[rows, labels] -= 1
    grad /= len(labels)
    return loss, grad.astype(logits.dtype, copy=False)
