"""Stochastic softmax (stochmax, spec §4.7 C6-C7): a classifier head with learned class dropout.

::

    (C6) softmax:  p(y=t | x)    = exp(o_t) / sum_k exp(o_k),            o = W h + b
    (C7) stochmax: p(y=t | x, z) = (z_t + eps) exp(o_t) / sum_k (z_k + eps) exp(o_k),
                   z_k ~ Bernoulli(rho_k),  rho = sigmoid(W_psi h + b_psi)

Training (DropMax-style minimal version, spec §4.7): the relaxed Bernoulli mask
``z_k = sigmoid((logit rho_k + logit u_k) / tau)``, ``u ~ U(0, 1)``, ``tau = 0.1``, and the
target class is never dropped (``z_t = 1``). Test time scores ``(rho_k + eps) exp(o_k)``.
The full DropMax (posterior branch, KL / auxiliary / entropy terms) is not implemented; the
loss keeps one piece of it, the target term ``-log rho_t`` of DropMax's KL (weight
``keep_target``, default 1): without it nothing trains ``rho_t`` (the target's mask is fixed
to 1) while C7 rewards dropping every other class, and training collapses to ``rho -> 0``
for all classes (observed on Fashion-MNIST: loss -> 0, accuracy 10 %). ``keep_target=0``
gives the bare minimal version of the spec.

The head and its loss fit the unchanged training loop: in train mode :class:`StochMax`
returns a ``(B, 3, K)`` array ``[o, logit rho, mask logits s]`` that :data:`stochmax_loss`
turns into (loss, gradient); in eval mode it returns the ``(B, K)`` scores
``log(rho + eps) + o`` (``softmax`` of which is the normalised ``(rho + eps) exp(o)``, so the
argmax and :func:`~snnlite.nn.evaluate` work as for logits).

Examples
--------
>>> import numpy as np
>>> from snnlite import nn
>>> head = StochMax(8, 4, rng=0)
>>> h = np.ones((2, 8), np.float32)
>>> head(h, train=True).shape, head(h).shape
((2, 3, 4), (2, 4))
>>> loss, grad = stochmax_loss(head(h, train=True), np.array([0, 3]))
>>> grad.shape
(2, 3, 4)

The spec labels cited here are explained in :mod:`snnlite.labels`.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_rng, check_int, check_real
from .linear import Linear
from .loss import log_softmax, softmax_cross_entropy
from .module import Module

__all__ = ["StochMax", "StochMaxLoss", "log_keep", "stochmax_loss", "stochmax_probs"]

EPS = 1e-20  # spec §4.7 (DropMax)


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log(sigmoid(x))`` without overflow."""
    return -np.logaddexp(0, -x)


def log_keep(kappa: np.ndarray, eps: float = EPS) -> np.ndarray:
    """``log(rho + eps)`` with ``rho = sigmoid(kappa)``: the keep term of the test-time score
    ``log((rho + eps) e^o)`` (C7), same shape as ``kappa``."""
    return np.log(np.exp(_log_sigmoid(kappa)) + eps)


def stochmax_probs(o: np.ndarray, z: np.ndarray, eps: float = EPS) -> np.ndarray:
    """C7: ``p_k = (z_k + eps) exp(o_k) / sum_j (z_j + eps) exp(o_j)`` along the last axis.

    Shapes: ``o`` and ``z`` ``(..., K)`` (broadcastable) -> ``(..., K)``.

    With ``z = 1`` this is the softmax (C6); with ``z = rho`` the normalised test-time scores.
    ``eps = 0`` gives the exact ``eps -> 0`` limit (a kept class is needed: some ``z > 0``).

    Examples
    --------
    >>> import numpy as np
    >>> p = stochmax_probs(np.array([2., 1, 0, -1]), np.array([1., 0, 1, 1]))
    >>> round(float(p[0]), 6)
    0.843795
    """
    with np.errstate(divide="ignore"):  # eps = 0: a dropped class has log 0 = -inf, p = 0
        return np.exp(log_softmax(np.log(np.asarray(z) + eps) + np.asarray(o)))


class StochMax(Module):
    """Classifier head with learned keep-probabilities (C7).

    Parameters
    ----------
    in_features : int
        Size of the features ``h`` (for AGD nets: the last spiking layer's activity summed
        over the ``T`` steps, §4.7).
    n_classes : int
        Number of classes ``K``.
    temperature : float
        ``tau`` of the relaxed Bernoulli mask (0.1, spec §4.7).
    eps : float
        ``eps`` of C7 (1e-20).
    rng : Generator, int or None
        Initialisation of both linear layers and source of the noise ``u`` (kept as ``rng``).
    dtype : dtype
        Parameter dtype.

    Attributes
    ----------
    classifier : Linear
        ``o = W h + b`` (C6/C7).
    keep : Linear
        ``logit rho = W_psi h + b_psi`` (C7's learned sigmoid layer).
    noise : ndarray or None
        If set, used as ``u`` (shape ``(B, K)``) instead of fresh draws: makes the training
        forward deterministic (finite-difference checks).

    Notes
    -----
    Shapes: ``(B, in_features)`` -> train ``(B, 3, K)`` rows ``[o, logit rho, s]`` with
    ``s = (logit rho + logit u) / tau`` (so ``z = sigmoid(s)``); eval ``(B, K)`` scores
    ``log(rho + eps) + o``. Backward takes the gradient of the train output:
    ``d/d logit rho = g_rho + g_s / tau``.
    """

    def __init__(self, in_features: int, n_classes: int, temperature: float = 0.1,
                 eps: float = EPS, rng=None, dtype=np.float32):
        n_classes = check_int("n_classes", n_classes, minimum=2)
        temperature = check_real("temperature", temperature, 0.0, low_open=True)
        rng = as_rng(rng)
        self.classifier = Linear(in_features, n_classes, rng=rng, dtype=dtype)
        self.keep = Linear(in_features, n_classes, rng=rng, dtype=dtype)
        self.in_features, self.n_classes = in_features, n_classes
        self.temperature, self.eps, self.rng, self.noise = float(temperature), eps, rng, None

    def keep_probabilities(self, h: np.ndarray) -> np.ndarray:
        """``rho = sigmoid(W_psi h + b_psi)``, ``(B, K)``."""
        return np.exp(_log_sigmoid(self.keep.forward(h)))

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        o = self.classifier.forward(x, train)
        kappa = self.keep.forward(x, train)
        if not train:  # test time: log((rho + eps) e^o), argmax-equivalent to rho e^o
            return (log_keep(kappa, self.eps) + o).astype(o.dtype)
        u = self.rng.random(o.shape) if self.noise is None else np.asarray(self.noise, float)
        if u.shape != o.shape:
            raise ValueError(f"noise must have shape {o.shape}, got {u.shape}")
        u = np.clip(u, 1e-12, 1 - 1e-12)
        s = (kappa + (np.log(u) - np.log1p(-u))) / self.temperature  # relaxed Bernoulli
        return np.stack([o, kappa, s.astype(o.dtype)], axis=1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if grad.ndim != 3 or grad.shape[1] != 3:
            raise ValueError(f"StochMax.backward expects the train-mode gradient (B, 3, K), "
                             f"got {grad.shape}")
        g_kappa = grad[:, 1] + grad[:, 2] / grad.dtype.type(self.temperature)
        return self.classifier.backward(grad[:, 0]) + self.keep.backward(g_kappa)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, n_classes={self.n_classes}, "
                f"temperature={self.temperature}")


class StochMaxLoss:
    """Loss of a :class:`StochMax` head: ``loss(out, labels) -> (mean loss, d loss / d out)``.

    * Train output ``(B, 3, K)``: ``z = sigmoid(s)`` with ``z_t = 1`` for the target ``t``;
      ``loss = mean(-log p_t - keep_target * log rho_t)`` with ``p`` from C7. Gradients:
      ``d/d o = p - onehot``; ``d/d s_k = p_k (1 - z_k) z_k / (z_k + eps)`` for ``k != t``
      (0 for the target); ``d/d logit rho_t = -keep_target (1 - rho_t)`` (0 for ``k != t``);
      all divided by ``B``.
    * Eval output ``(B, K)`` (scores ``log(rho + eps) + o``): the cross-entropy of the
      normalised test-time scores, as :func:`~snnlite.nn.softmax_cross_entropy`.

    Pass the instance :data:`stochmax_loss` as ``nn.fit(..., loss=stochmax_loss)``;
    :meth:`scores` gives ``fit`` the ``(B, K)`` scores for its training accuracy.

    Parameters
    ----------
    eps : float
        ``eps`` of C7.
    keep_target : float
        Weight of ``-log rho_t`` (DropMax's KL target term; see the module docstring).

    Raises
    ------
    ValueError
        If the shapes disagree or a label is out of range.
    """

    def __init__(self, eps: float = EPS, keep_target: float = 1.0):
        if keep_target < 0:
            raise ValueError(f"keep_target must be >= 0, got {keep_target}")
        self.eps, self.keep_target = eps, float(keep_target)

    @staticmethod
    def _check(out: np.ndarray, labels) -> np.ndarray:
        labels = np.asarray(labels)
        if out.ndim != 3 or out.shape[1] != 3 or labels.shape != (out.shape[0],):
            raise ValueError(f"expected StochMax train output (B, 3, K) and labels (B,), got "
                             f"{out.shape} and {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be integers, got {labels.dtype}")
        k = out.shape[2]
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(f"labels must lie in [0, {k}), got range "
                             f"[{labels.min()}, {labels.max()}]")
        return labels

    def scores(self, out: np.ndarray) -> np.ndarray:
        """``(B, K)`` test-time scores ``log(rho + eps) + o`` of a train or eval output."""
        if out.ndim == 2:
            return out
        return log_keep(out[:, 1], self.eps) + out[:, 0]

    def __call__(self, out: np.ndarray, labels) -> tuple[float, np.ndarray]:
        if out.ndim == 2:
            return softmax_cross_entropy(out, labels)
        labels = self._check(out, labels)
        rows = np.arange(len(labels))
        o, s = out[:, 0].astype(np.float64), out[:, 2].astype(np.float64)
        z, one_minus_z = np.exp(_log_sigmoid(s)), np.exp(_log_sigmoid(-s))
        z[rows, labels], one_minus_z[rows, labels] = 1.0, 0.0   # target never dropped (§4.7)
        logp = log_softmax(np.log(z + self.eps) + o)             # C7 in the log domain
        kappa_t = out[rows, 1, labels].astype(np.float64)
        loss = -float(logp[rows, labels].mean()
                      + self.keep_target * _log_sigmoid(kappa_t).mean())
        p = np.exp(logp)
        grad = np.zeros(out.shape, np.float64)
        grad[:, 0] = p
        grad[rows, 0, labels] -= 1
        grad[:, 2] = p * one_minus_z * (z / (z + self.eps))
        grad[rows, 1, labels] = -self.keep_target * np.exp(_log_sigmoid(-kappa_t))
        grad /= len(labels)
        return loss, grad.astype(out.dtype, copy=False)


#: The default :class:`StochMaxLoss` (``eps = 1e-20``).
stochmax_loss = StochMaxLoss()
