"""The training loop for classifiers: :func:`fit`, :func:`evaluate`, :func:`predict`.

Examples
--------
>>> import numpy as np
>>> from snnlite import nn
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(256, 2)).astype(np.float32)
>>> y = (x[:, 0] > 0).astype(np.int64)
>>> model = nn.Sequential(nn.Linear(2, 16, rng=1), nn.ReLU(), nn.Linear(16, 2, rng=2))
>>> history = fit(model, (x, y), epochs=20, batch_size=32, lr=1e-2, rng=3, progress=False)
>>> evaluate(model, x, y)["accuracy"] > 0.9
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from .._validate import as_rng, check_int, check_samples
from .batches import batches
from .loss import softmax_cross_entropy
from .module import Module
from .optim import Adam

__all__ = ["History", "fit", "evaluate", "predict"]

Loss = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


@dataclass
class History:
    """Per-epoch record returned by :func:`fit`; every field is a list with one entry per epoch.

    Attributes
    ----------
    loss, accuracy : list of float
        Training loss and accuracy, averaged over the epoch's samples as the weights changed
        (measured with ``train=True``, so with dropout active).
    val_loss, val_accuracy : list of float
        Loss and accuracy on ``val`` after the epoch (``train=False``); empty without ``val``.
    lr : list of float
        Learning rate used during the epoch.
    seconds : list of float
        Wall-clock time of the epoch's training pass (validation excluded).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def _backward_to_parameters(model: Module, grad: np.ndarray) -> None:
    """``model.backward(grad)`` without the gradient w.r.t. the input (the data): the first
    weighted layer skips that product (``input_grad``)."""
    if not model.input_grad:
        model.backward(grad)
        return
    model.input_grad = False
    try:
        model.backward(grad)
    finally:
        model.input_grad = True


def fit(model: Module, data: tuple[np.ndarray, np.ndarray], epochs: int = 1,
        batch_size: int = 128, optimizer=None, lr: float = 1e-3,
        loss: Loss = softmax_cross_entropy, val: tuple[np.ndarray, np.ndarray] | None = None,
        scheduler=None, rng=None, progress: bool = True,
        callback: Callable[[int, History], None] | None = None) -> History:
    """Train a classifier with mini-batch gradient descent.

    Each epoch visits the samples in a fresh random order; for every batch: forward with
    ``train=True``, loss and its gradient, ``optimizer.zero_grad()``, ``model.backward``,
    ``optimizer.step()``. After the epoch: evaluate on ``val``, ``scheduler.step()``, then
    ``callback(epoch, history)``.

    Parameters
    ----------
    model : Module
        The network; maps ``(B, ...)`` inputs to ``(B, K)`` logits.
    data : (x, y)
        Inputs ``x`` of shape ``(N, ...)`` and integer class labels ``y`` of shape ``(N,)``.
    epochs : int
        Passes over ``data`` (>= 1).
    batch_size : int
        Samples per step; the last batch of an epoch may be smaller.
    optimizer : Optimizer, optional
        Defaults to ``Adam(model.parameters(), lr)``.
    lr : float
        Learning rate of the default optimizer (ignored when ``optimizer`` is given).
    loss : callable
        ``loss(logits, labels) -> (mean loss, d loss / d logits)``, like
        :func:`~snnlite.nn.loss.softmax_cross_entropy`; it checks the label range. If it
        has a ``scores(output)`` method (:data:`~snnlite.nn.stochmax_loss`), the training
        accuracy is the argmax of those scores instead of the raw train-mode output.
    val : (x, y), optional
        Validation data, evaluated after every epoch.
    scheduler : LRScheduler, optional
        Stepped once per epoch.
    rng : Generator, int or None
        Random source for the shuffling: the same seed (and the same initial model) gives
        bit-identical parameters and history.
    progress : bool
        Show a tqdm bar per epoch with loss, accuracy and samples/s.
    callback : callable, optional
        ``callback(epoch, history)`` after each epoch (``epoch`` counts from 0).

    Returns
    -------
    History
        Per-epoch loss, accuracy, validation metrics, learning rate and seconds.

    Raises
    ------
    ValueError
        If ``data`` or ``val`` are malformed (empty, integer or non-finite inputs, labels
        that are not integers of shape ``(N,)``), ``epochs`` or ``batch_size`` is not an
        integer >= 1, or the loss or the weights are not finite (training diverged: lower
        ``lr``).
    TypeError
        If ``epochs`` or ``batch_size`` is not a number, or the inputs are not numeric.
    """
    x, y = _check_data(data, "data")
    if val is not None:
        _check_data(val, "val")
    epochs = check_int("epochs", epochs)
    batch_size = check_int("batch_size", batch_size)
    optimizer = Adam(model.parameters(), lr) if optimizer is None else optimizer
    rng = as_rng(rng)
    # A loss may define ``scores(output) -> (B, K)`` when the model's train-mode output is
    # not the (B, K) class scores (StochMax: (B, 3, K)); the training accuracy uses them.
    scores = getattr(loss, "scores", lambda out: out)
    history = History()
    for epoch in range(epochs):
        history.lr.append(float(optimizer.lr))
        total, correct, seen = 0.0, 0, 0
        bar = tqdm(total=len(x), desc=f"epoch {epoch + 1}/{epochs}", unit="sample",
                   unit_scale=True, leave=False, mininterval=0.5, disable=not progress)
        start = time.perf_counter()
        for xb, yb in batches(x, y, batch_size, shuffle=True, rng=rng):
            logits = model(xb, train=True)
            value, grad = loss(logits, yb)
            if not math.isfinite(value):
                raise ValueError(f"loss became {value} in epoch {epoch + 1} after {seen} samples; "
                                 f"training diverged (lower lr, currently {optimizer.lr:g})")
            optimizer.zero_grad()
            _backward_to_parameters(model, grad)
            optimizer.step()
            total += value * len(yb)
            correct += int(np.count_nonzero(scores(logits).argmax(axis=-1) == yb))
            seen += len(yb)
            bar.set_postfix(loss=f"{total / seen:.4f}", acc=f"{correct / seen:.4f}",
                            refresh=False)
            bar.update(len(yb))
        history.seconds.append(time.perf_counter() - start)
        bar.close()
        if not all(np.isfinite(p.data).all() for p in model.parameters()):
            raise ValueError(f"the weights became NaN or infinite in epoch {epoch + 1}: training "
                             f"diverged (lower lr, currently {optimizer.lr:g}, or scale x; "
                             f"largest |x| = {np.abs(x).max():g})")
        history.loss.append(total / seen)
        history.accuracy.append(correct / seen)
        if val is not None:
            metrics = evaluate(model, *val, loss=loss)
            history.val_loss.append(metrics["loss"])
            history.val_accuracy.append(metrics["accuracy"])
        if scheduler is not None:
            scheduler.step()
        if callback is not None:
            callback(epoch, history)
    return history


def evaluate(model: Module, x: np.ndarray, y: np.ndarray, batch_size: int = 500,
             loss: Loss = softmax_cross_entropy) -> dict[str, float]:
    """Loss and accuracy of ``model`` on ``(x, y)``, run with ``train=False``.

    Parameters
    ----------
    model : Module
        Maps ``(B, ...)`` inputs to ``(B, K)`` logits.
    x : ndarray, shape (N, ...)
        Inputs.
    y : ndarray of int, shape (N,)
        Class labels.
    batch_size : int
        Samples per forward pass (bounds the memory used).
    loss : callable
        ``loss(logits, labels) -> (value, grad)``; evaluated once on all ``N`` logits.

    Returns
    -------
    dict
        ``{"loss": float, "accuracy": float}``, accuracy being the fraction of samples whose
        largest logit is the label's.

    Raises
    ------
    ValueError
        As :func:`fit` for malformed ``x``, ``y`` or ``batch_size``, and if the loss is NaN.
    """
    x, y = _check_data((x, y), "x, y")
    logits = predict(model, x, batch_size)
    value, _ = loss(logits, y)
    if math.isnan(value):
        raise ValueError(f"the loss on x is NaN (largest |x| = {np.abs(x).max():g}): the model "
                         f"overflows on these inputs or its weights hold NaN")
    accuracy = np.count_nonzero(logits.argmax(axis=-1) == y) / len(y)
    return {"loss": float(value), "accuracy": float(accuracy)}


def predict(model: Module, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Outputs of ``model`` for every sample of ``x``, computed in batches with ``train=False``.

    Parameters
    ----------
    model : Module
        The network.
    x : ndarray, shape (N, ...)
        Inputs (N >= 1).
    batch_size : int
        Samples per forward pass.

    Returns
    -------
    ndarray, shape (N, ...)
        The model's outputs (logits for a classifier), stacked in the order of ``x``.

    Raises
    ------
    ValueError
        If ``x`` is empty, has an integer dtype (scale images with
        :func:`snnlite.datasets.to_float`) or holds NaN/inf, if ``batch_size`` is not an
        integer >= 1, or if the outputs hold NaN.
    """
    x = check_samples(x, "x")
    out = np.concatenate([model(xb, train=False) for xb in batches(x, None, batch_size)])
    if np.isnan(out).any():
        raise ValueError(f"the model's output on x holds NaN (largest |x| = "
                         f"{np.abs(x).max():g}): it overflows on these inputs or its weights "
                         f"hold NaN")
    return out


def _check_data(data, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate an ``(x, y)`` pair of samples and integer labels; return them as arrays."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{name} must be a pair (x, y), got {type(data).__name__}")
    x, y = check_samples(data[0], f"{name}: x"), np.asarray(data[1])
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name}: y must be integer labels of shape ({len(x)},), got "
                         f"{y.dtype} array of shape {y.shape}")
    return x, y
