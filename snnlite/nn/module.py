"""Parameters, the :class:`Module` base class and :class:`Sequential`.

Every layer of :mod:`snnlite.nn` is a :class:`Module` with a ``forward(x, train)`` /
``backward(grad)`` pair. ``forward`` caches what ``backward`` needs; ``backward`` receives the
gradient of the loss with respect to the layer's output, *adds* the parameter gradients into
``Parameter.grad`` (so a module applied several times, as in a backward-residual block,
accumulates every contribution) and returns the gradient with respect to the input.

Examples
--------
>>> import numpy as np
>>> from snnlite import nn
>>> model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1))
>>> y = model(np.ones((5, 4), np.float32), train=True)
>>> y.shape
(5, 2)
>>> dx = model.backward(np.ones_like(y))
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter:
    """A trainable array and the gradient accumulated for it.

    Parameters
    ----------
    data : ndarray
        The value. ``grad`` is created as zeros of the same shape and dtype.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray):
        self.data = np.require(data, requirements="C")
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: a forward/backward pair with named parameters and buffers.

    Subclasses set :class:`Parameter` attributes (found by :meth:`named_parameters`), list
    the names of non-trainable state arrays in ``_buffers`` (saved by :meth:`state_dict`,
    for example BatchNorm running statistics), and implement :meth:`forward` and
    :meth:`backward`.
    """

    _buffers: tuple[str, ...] = ()
    #: Layers with weights (``Linear``, ``Conv2d``) skip the input-gradient product and return
    #: None from ``backward`` when this is False: set it on a network's first layer when
    #: nothing before it needs a gradient (a stochastic encoder, for example).
    input_grad: bool = True
    #: True for modules whose input is data and whose ``backward`` returns None (an input
    #: encoder): :class:`Sequential` then skips the input gradient of the layers after it.
    grad_sink: bool = False

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Compute the output; cache what :meth:`backward` needs when ``train`` is true."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Accumulate parameter gradients; return the gradient w.r.t. the input."""
        raise NotImplementedError(f"{type(self).__name__} has no backward pass")

    def __call__(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        return self.forward(x, train)

    def children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct sub-modules."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, Parameter)`` for this module and its children, in order."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.children():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """All parameters, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter gradient to zero."""
        for p in self.parameters():
            p.grad[...] = 0

    def state_dict(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Parameters and buffers by dotted name (arrays are not copied)."""
        state = {name: p.data for name, p in self.named_parameters(prefix)}
        self._collect_buffers(prefix, state)
        return state

    def _collect_buffers(self, prefix: str, state: dict[str, np.ndarray]) -> None:
        for name in self._buffers:
            state[prefix + name] = getattr(self, name)
        for name, child in self.children():
            child._collect_buffers(f"{prefix}{name}.", state)

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays from ``state`` into this module's parameters and buffers.

        Raises
        ------
        KeyError
            If names are missing from ``state`` or ``state`` has names this module lacks.
        ValueError
            If an array's shape differs from the parameter's (nothing is changed then).
        """
        own = self.state_dict()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise KeyError(f"state mismatch: missing {missing}, unexpected {unexpected}")
        values = {name: np.asarray(state[name]) for name in own}
        for name, target in own.items():  # check every shape before changing anything
            if values[name].shape != target.shape:
                raise ValueError(f"{name}: expected shape {target.shape}, got "
                                 f"{values[name].shape}")
        for name, target in own.items():
            target[...] = values[name]

    def astype(self, dtype) -> Module:
        """Convert every parameter and buffer to ``dtype`` in place; return ``self``."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = np.zeros_like(p.data)
        self._cast_buffers(dtype)
        return self

    def _cast_buffers(self, dtype) -> None:
        for name in self._buffers:
            setattr(self, name, getattr(self, name).astype(dtype))
        for _, child in self.children():
            child._cast_buffers(dtype)

    def extra_repr(self) -> str:
        """Hyper-parameters shown by ``repr``."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


@contextmanager
def _input_grad_unless(layer: Module, needed: bool):
    """``layer.input_grad`` switched off inside the block if its input gradient is not
    ``needed`` (and restored after it)."""
    if needed or not layer.input_grad:
        yield
        return
    layer.input_grad = False
    try:
        yield
    finally:
        layer.input_grad = True


class Sequential(Module):
    """Layers applied one after the other.

    Parameters
    ----------
    *layers : Module
        The layers, in order. Parameter names are prefixed with the layer index.
    """

    def __init__(self, *layers: Module):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"layer {i}: expected an nn.Module, got {type(layer).__name__}")
        self.layers = list(layers)

    def children(self) -> Iterator[tuple[str, Module]]:
        yield from ((str(i), layer) for i, layer in enumerate(self.layers))

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Forward through the layers. A layer whose input gradient nobody uses runs with
        :attr:`input_grad` False, as in :meth:`backward` (an ``nn.Linear`` reading spikes
        from an encoder may then take its event path)."""
        for layer, needed in zip(self.layers, self._input_grads(), strict=True):
            with _input_grad_unless(layer, needed):
                x = layer.forward(x, train)
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """Backward through the layers. A layer whose input gradient nobody uses (it follows
        an input encoder, with only parameter-free layers between) skips computing it; the
        parameter-free layers before it are not visited (None is returned)."""
        needed = self._input_grads()
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            if not needed[i] and layer.input_grad and not layer.parameters():
                return None  # neither it nor a layer before it has a parameter
            with _input_grad_unless(layer, needed[i]):
                grad = layer.backward(grad)
        return grad

    def _input_grads(self) -> list[bool]:
        """Per layer: whether the gradient w.r.t. its input is used (by the caller, for the
        first layer, when :attr:`input_grad`; else by a weight gradient before it)."""
        needed = [self.input_grad]
        for layer in self.layers[:-1]:
            needed.append((needed[-1] or bool(layer.parameters())) and not layer.grad_sink)
        return needed

    def __getitem__(self, i):
        return Sequential(*self.layers[i]) if isinstance(i, slice) else self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
