"""Gradient-descent optimizers: SGD (with momentum / Nesterov) and Adam, as in PyTorch.

An optimizer holds a list of :class:`~snnlite.nn.module.Parameter` objects and updates their
``data`` in place from their ``grad``. Layers *accumulate* gradients, so call
:meth:`Optimizer.zero_grad` before every backward pass (``fit`` does). The learning rate is
the public attribute ``lr``, which the schedules of :mod:`snnlite.nn.schedules` change.

Examples
--------
>>> import numpy as np
>>> from snnlite.nn import Parameter
>>> p = Parameter(np.array([1.0, -2.0]))
>>> opt = SGD([p], lr=0.5)
>>> p.grad[:] = [0.2, -0.4]
>>> opt.step()
>>> p.data.tolist()
[0.9, -1.8]
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .._validate import check_real
from .module import Module, Parameter

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: the parameter list, the learning rate and per-parameter state.

    Parameters
    ----------
    params : iterable of Parameter
        What to optimise, usually ``model.parameters()``.
    lr : float
        Learning rate (>= 0).

    Attributes
    ----------
    params : list of Parameter
    lr : float
        Current learning rate; change it freely between steps.
    state : list of dict
        Per-parameter state arrays (for example momentum buffers), same order as ``params``;
        created on the first :meth:`step`.
    steps : int
        Number of :meth:`step` calls so far.
    """

    def __init__(self, params: Iterable[Parameter], lr: float):
        if isinstance(params, Module):
            raise TypeError("params must be a list of Parameters: pass model.parameters(), "
                            "not the model")
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: the optimizer has nothing to update")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"params[{i}]: expected a Parameter, got {type(p).__name__}")
        check_real("lr", lr, 0.0)
        self.lr = float(lr)
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self.steps = 0
        self._workspace: dict[np.dtype, np.ndarray] = {}

    def zero_grad(self) -> None:
        """Set every parameter gradient to zero."""
        for p in self.params:
            p.grad.fill(0)

    def step(self) -> None:
        """Update every parameter from its gradient."""
        raise NotImplementedError

    def _scratch(self, p: Parameter, k: int) -> np.ndarray:
        """Scratch array ``k`` (0 or 1) shaped like ``p.data``, shared by all parameters.

        One buffer per dtype, sized for the largest parameter, so updates allocate nothing.
        """
        dtype, size = p.data.dtype, p.data.size
        work = self._workspace.get(dtype)
        if work is None or work.shape[1] < size:
            largest = max(q.data.size for q in self.params if q.data.dtype == dtype)
            work = self._workspace[dtype] = np.empty((2, max(largest, size)), dtype)
        return work[k, :size].reshape(p.data.shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 decay.

    Parameters
    ----------
    params : iterable of Parameter
        What to optimise, usually ``model.parameters()``.
    lr : float
        Learning rate ``eta`` (>= 0).
    momentum : float
        Momentum factor ``mu`` (>= 0).
    weight_decay : float
        L2 penalty ``lam`` (>= 0), added to the gradient.
    nesterov : bool
        Use Nesterov momentum (requires ``momentum > 0``).

    Notes
    -----
    With gradient ``g_t = grad + lam * theta`` (PyTorch's ``torch.optim.SGD``, dampening 0)::

        b_1 = g_1,   b_t = mu * b_{t-1} + g_t          (momentum buffer, t > 1)
        d_t = g_t + mu * b_t   if nesterov   else b_t  (d_t = g_t when mu = 0)
        theta <- theta - eta * d_t

    ``state[i]["momentum_buffer"]`` holds ``b`` for parameter ``i``.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr)
        check_real("momentum", momentum, 0.0)
        check_real("weight_decay", weight_decay, 0.0)
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True requires momentum > 0")
        self.momentum, self.weight_decay, self.nesterov = float(momentum), float(weight_decay), \
            bool(nesterov)

    def step(self) -> None:
        lr, mu, lam = self.lr, self.momentum, self.weight_decay
        for p, state in zip(self.params, self.state, strict=True):
            d = self._scratch(p, 0)
            if lam:
                np.multiply(p.data, lam, out=d)
                d += p.grad                                   # g = grad + lam * theta
            else:
                np.copyto(d, p.grad)
            if mu:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = d.copy()  # b_1 = g_1
                else:
                    buf *= mu
                    buf += d                                  # b = mu * b + g
                if self.nesterov:
                    e = np.multiply(buf, mu, out=self._scratch(p, 1))
                    d += e                                    # d = g + mu * b
                else:
                    np.copyto(d, buf)                         # d = b
            d *= lr
            p.data -= d                                       # theta -= eta * d
        self.steps += 1

    def __repr__(self) -> str:
        return (f"SGD({len(self.params)} parameters, lr={self.lr:g}, momentum={self.momentum:g}, "
                f"weight_decay={self.weight_decay:g}, nesterov={self.nesterov})")


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction and optional L2 weight decay.

    Parameters
    ----------
    params : iterable of Parameter
        What to optimise, usually ``model.parameters()``.
    lr : float
        Learning rate ``eta`` (>= 0).
    betas : (float, float)
        Decay rates ``(beta1, beta2)`` of the first and second moment estimates, in [0, 1).
    eps : float
        Added to the denominator for stability (>= 0).
    weight_decay : float
        L2 penalty ``lam`` (>= 0) *added to the gradient*, as in ``torch.optim.Adam`` (not
        the decoupled decay of AdamW: here the decay is rescaled by the adaptive denominator).

    Notes
    -----
    At step ``t = 1, 2, ...`` with ``g = grad + lam * theta`` (PyTorch's update)::

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        theta <- theta - eta / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``state[i]["exp_avg"]`` and ``state[i]["exp_avg_sq"]`` hold ``m`` and ``v``.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            check_real(f"betas[{i}]", beta, 0.0, 1.0)
        check_real("eps", eps, 0.0)
        check_real("weight_decay", weight_decay, 0.0)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps, self.weight_decay = float(eps), float(weight_decay)

    def step(self) -> None:
        (b1, b2), lam, t = self.betas, self.weight_decay, self.steps + 1
        step_size = self.lr / (1 - b1**t)
        sqrt_bc2 = math.sqrt(1 - b2**t)
        for p, state in zip(self.params, self.state, strict=True):
            if not state:
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            g, s = p.grad, self._scratch(p, 1)
            if lam:
                g = np.multiply(p.data, lam, out=self._scratch(p, 0))
                g += p.grad                                   # g = grad + lam * theta
            m *= b1
            m += np.multiply(g, 1 - b1, out=s)                # m = b1 m + (1 - b1) g
            v *= b2
            np.multiply(g, g, out=s)
            s *= 1 - b2
            v += s                                            # v = b2 v + (1 - b2) g^2
            np.sqrt(v, out=s)
            s /= sqrt_bc2
            s += self.eps                                     # sqrt(v_hat) + eps
            np.divide(m, s, out=s)
            s *= step_size
            p.data -= s                                       # theta -= eta m_hat / (...)
        self.steps = t

    def __repr__(self) -> str:
        return (f"Adam({len(self.params)} parameters, lr={self.lr:g}, betas={self.betas}, "
                f"eps={self.eps:g}, weight_decay={self.weight_decay:g})")
