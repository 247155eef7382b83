"""The ANN architectures used by the reproductions, the demo and the benchmarks."""

from __future__ import annotations

from .. import nn
from .._validate import as_rng

__all__ = ["lenet"]


def lenet(pool: str = "avg", hidden: int = 128, rng=0) -> nn.Sequential:
    """LeNet-style CNN for 1x28x28 inputs: ``32C5-P2-64C5-P2-<hidden>-10``.

    Parameters
    ----------
    pool : {"avg", "max"}
        2x2 pooling after each convolution (classic conversion needs ``"avg"``).
    hidden : int
        Width of the hidden fully connected layer (128 for the shipped weights; 1000 in the
        training-speed benchmark of the foundation issue).
    rng : Generator, int or None
        Initialisation seed.

    Returns
    -------
    nn.Sequential
        ``Conv(1,32,5) ReLU P2 Conv(32,64,5) ReLU P2 Flatten Linear(1024,hidden) ReLU
        Linear(hidden,10)``: input ``(B, 1, 28, 28)``, logits ``(B, 10)``.
    """
    if pool not in ("avg", "max"):
        raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}")
    rng = as_rng(rng)
    pool_cls = nn.AvgPool2d if pool == "avg" else nn.MaxPool2d
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, rng=rng), nn.ReLU(), pool_cls(2),
        nn.Conv2d(32, 64, 5, rng=rng), nn.ReLU(), pool_cls(2),
        nn.Flatten(), nn.Linear(1024, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, 10, rng=rng),
    )
