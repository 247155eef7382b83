"""ANN residual block: ``activation(branch(x) + shortcut(x))`` (He et al. 2016).

The ANN side of the residual networks that the QFFS converter maps to
:class:`snnlite.snn.Residual` (spec ``seeds-spec.md`` §3.6: the addition happens before the
block's activation, so in the spiking network it becomes an addition of input currents).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .module import Module

__all__ = ["ResidualBlock"]


class ResidualBlock(Module):
    """``y = activation(branch(x) + shortcut(x))``; identity shortcut / activation when None.

    Parameters
    ----------
    branch : Module
        The main path, typically an ``nn.Sequential`` such as
        ``Conv2d, BatchNorm2d, LSQ, Conv2d, BatchNorm2d`` (no activation at its end: the
        block's ``activation`` follows the addition).
    shortcut : Module, optional
        Linear op on the block input, for example ``Sequential(Conv2d(c, c2, 1, stride=2),
        BatchNorm2d(c2))`` when the branch changes the shape; the identity when None.
    activation : Module, optional
        Applied after the addition, typically ``LSQ(bits)`` (or ``ReLU``); none when None.

    Raises
    ------
    TypeError
        If ``branch`` is not a Module, or ``shortcut`` / ``activation`` is neither None nor a
        Module.

    Notes
    -----
    Shapes: ``branch(x)`` and ``shortcut(x)`` must have the same shape (with the identity
    shortcut, the shape of ``x``); ``y`` has that shape. The backward pass sends the gradient
    of the sum through both paths and adds the two input gradients; parameter gradients
    accumulate as in every module. Parameter names are ``branch.*``, ``shortcut.*`` and
    ``activation.*``.

    Examples
    --------
    >>> import numpy as np
    >>> from snnlite import nn
    >>> block = ResidualBlock(nn.Sequential(nn.Linear(4, 4, rng=0), nn.ReLU(),
    ...                                     nn.Linear(4, 4, rng=1)), activation=nn.ReLU())
    >>> block(np.ones((2, 4), np.float32)).shape
    (2, 4)
    >>> [name for name, _ in block.named_parameters()][:2]
    ['branch.0.weight', 'branch.0.bias']
    """

    def __init__(self, branch: Module, shortcut: Module | None = None,
                 activation: Module | None = None):
        if not isinstance(branch, Module):
            raise TypeError(f"branch must be an nn.Module, got {type(branch).__name__}")
        for name, value in (("shortcut", shortcut), ("activation", activation)):
            if value is not None and not isinstance(value, Module):
                raise TypeError(f"{name} must be None or an nn.Module, "
                                f"got {type(value).__name__}")
        self.branch, self.shortcut, self.activation = branch, shortcut, activation

    def children(self) -> Iterator[tuple[str, Module]]:
        yield "branch", self.branch
        if self.shortcut is not None:
            yield "shortcut", self.shortcut
        if self.activation is not None:
            yield "activation", self.activation

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        h = self.branch.forward(x, train)
        skip = x if self.shortcut is None else self.shortcut.forward(x, train)
        if h.shape != skip.shape:
            raise ValueError(f"ResidualBlock: branch output {h.shape} and shortcut output "
                             f"{skip.shape} differ; give the block a shortcut op that maps "
                             f"the input to the branch's output shape")
        y = h + skip
        return y if self.activation is None else self.activation.forward(y, train)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self.activation is not None:
            grad = self.activation.backward(grad)
        dx = self.branch.backward(grad)
        return dx + (grad if self.shortcut is None else self.shortcut.backward(grad))

    def __repr__(self) -> str:
        def indent(module):
            return repr(module).replace("\n", "\n  ")

        return (f"ResidualBlock(\n  branch={indent(self.branch)},\n  "
                f"shortcut={'identity' if self.shortcut is None else indent(self.shortcut)},\n  "
                f"activation={self.activation!r}\n)")
