"""Learning-rate schedules, stepped once per epoch, with PyTorch's closed-form formulas.

A schedule remembers the optimizer's learning rate at construction (``base_lr``), counts
epochs and, on each :meth:`LRScheduler.step`, sets ``optimizer.lr`` to the value of its formula
at the new epoch count.

Examples
--------
>>> import numpy as np
>>> from snnlite.nn import SGD, Parameter
>>> opt = SGD([Parameter(np.zeros(3))], lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(opt.lr)  # ... train one epoch with opt ...
...     sched.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math

from .._validate import check_int

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineLR"]


class LRScheduler:
    """Base class: ``lr(epoch)`` given by :meth:`get_lr`, written into the optimizer.

    Parameters
    ----------
    optimizer : Optimizer
        Any object with a float attribute ``lr``.

    Attributes
    ----------
    base_lr : float
        ``optimizer.lr`` when the schedule was created.
    epoch : int
        Number of :meth:`step` calls so far (0 at construction).
    """

    def __init__(self, optimizer):
        if not isinstance(getattr(optimizer, "lr", None), (int, float)):
            raise TypeError(f"optimizer must have a numeric attribute 'lr', got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.epoch = 0

    def get_lr(self) -> float:
        """The learning rate for the current :attr:`epoch`."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to :meth:`get_lr`."""
        self.epoch += 1
        self.optimizer.lr = self.get_lr()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr:g}, epoch={self.epoch})"


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``: decay by ``gamma`` every ``step_size``.

    Parameters
    ----------
    optimizer : Optimizer
        Optimizer whose ``lr`` is scheduled.
    step_size : int
        Epochs between decays (>= 1).
    gamma : float
        Multiplicative factor (> 0).
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        step_size = check_int("step_size", step_size)
        _check_gamma(gamma)
        self.step_size, self.gamma = step_size, float(gamma)

    def get_lr(self) -> float:
        return self.base_lr * self.gamma ** (self.epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``.

    Parameters
    ----------
    optimizer : Optimizer
        Optimizer whose ``lr`` is scheduled.
    gamma : float
        Multiplicative factor per epoch (> 0).
    """

    def __init__(self, optimizer, gamma: float):
        super().__init__(optimizer)
        _check_gamma(gamma)
        self.gamma = float(gamma)

    def get_lr(self) -> float:
        return self.base_lr * self.gamma**self.epoch


class CosineLR(LRScheduler):
    """Cosine annealing from ``base_lr`` to ``eta_min`` over ``t_max`` epochs.

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2``
    (PyTorch's ``CosineAnnealingLR`` closed form, without restarts).

    Parameters
    ----------
    optimizer : Optimizer
        Optimizer whose ``lr`` is scheduled.
    t_max : int
        Epochs to go from ``base_lr`` down to ``eta_min`` (>= 1).
    eta_min : float
        Final learning rate (>= 0).

    Notes
    -----
    Like PyTorch's closed form, the formula is periodic: past ``t_max`` epochs the rate rises
    again towards ``base_lr`` (reached at ``2 * t_max``). Set ``t_max`` to the number of
    epochs trained.
    """

    def __init__(self, optimizer, t_max: int, eta_min: float = 0.0):
        super().__init__(optimizer)
        t_max = check_int("t_max", t_max)
        if not (isinstance(eta_min, (int, float)) and eta_min >= 0):
            raise ValueError(f"eta_min must be a number >= 0, got {eta_min!r}")
        self.t_max, self.eta_min = t_max, float(eta_min)

    def get_lr(self) -> float:
        cos = math.cos(math.pi * self.epoch / self.t_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + cos) / 2


def _check_gamma(gamma) -> None:
    if not (isinstance(gamma, (int, float)) and gamma > 0):
        raise ValueError(f"gamma must be a number > 0, got {gamma!r}")
