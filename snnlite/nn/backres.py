"""Backward-residual (BackRes) blocks: one block of shared weights applied ``n`` times (§4.6).

Panda, Aketi & Roy (2020) deepen a network without new parameters by unrolling a block::

    h_1 = f(x),   h_k = f(h_{k-1}),  k = 2..n        (spec §4.6; only h_1 sees the input)

The logical depth grows by ``(n - 1) *`` (weighted layers of ``f``); the parameter count does
not change. During training every shared weight receives ``n`` gradient contributions, which
:class:`~snnlite.nn.Module` supports directly: ``backward`` *adds* into ``Parameter.grad``.

Examples
--------
>>> import numpy as np
>>> from snnlite import nn
>>> block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, rng=0), nn.ReLU())
>>> res = BackRes(block, 3)
>>> res(np.ones((2, 4, 5, 5), np.float32)).shape
(2, 4, 5, 5)
>>> [name for name, _ in res.named_parameters()]          # listed once, not three times
['block.0.weight', 'block.0.bias']
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np

from .._validate import as_rng, check_int
from .conv import Conv2d
from .linear import Linear
from .module import Module, Sequential

__all__ = ["BackRes", "ChannelSelect", "applied", "shallow_clone"]

_SELECT = (None, "mean", "random", "topk")


def shallow_clone(module: Module) -> Module:
    """A copy of ``module`` that shares its parameters but caches its own forward state.

    Every sub-module is copied (``copy.copy``) recursively, also inside lists, tuples and
    dicts (``Sequential.layers``); arrays, :class:`~snnlite.nn.Parameter` objects, random
    generators and neuron objects are *shared*. A module that stores its ``backward`` cache
    by attribute assignment in ``forward`` (every snnlite module does) therefore keeps a
    separate cache per clone, while gradients of all clones add into the same
    ``Parameter.grad`` and in-place buffer updates (BatchNorm running statistics) are shared.
    """

    def clone(value):
        if isinstance(value, Module):
            return shallow_clone(value)
        if isinstance(value, (list, tuple)):
            return type(value)(clone(v) for v in value)
        if isinstance(value, dict):
            return {k: clone(v) for k, v in value.items()}
        return value

    out = copy.copy(module)
    for name, value in vars(module).items():
        if isinstance(value, (Module, list, tuple, dict)):
            setattr(out, name, clone(value))
    return out


def _weighted(module: Module) -> list[Module]:
    """Conv2d / Linear layers inside ``module``, in forward order (depth-first)."""
    if isinstance(module, (Conv2d, Linear)):
        return [module]
    return [w for _, child in module.children() for w in _weighted(child)]


class ChannelSelect(Module):
    """Reduce ``C_out`` channels to ``C_in`` between two unrollings (spec §4.6, mismatch).

    Parameters
    ----------
    c_in, c_out : int
        Channels the block expects and produces (``c_out > c_in``).
    mode : {"mean", "random", "topk"}
        ``"mean"``: average consecutive groups of ``c_out // c_in`` channels (requires
        divisibility); ``"random"``: a fixed random subset of ``c_in`` channels drawn once
        from ``rng`` (kept in original order); ``"topk"``: per sample, the ``c_in`` channels
        with the largest mean activity (kept in original order; not linear, so not
        convertible). The paper reports the three work similarly.
    rng : Generator, int or None
        Source of the ``"random"`` subset.

    Notes
    -----
    Shapes: ``(B, c_out, ...)`` -> ``(B, c_in, ...)``; ``"mean"`` and ``"random"`` are linear
    ops without parameters (the conversion uses them as part of a synapse).
    """

    def __init__(self, c_in: int, c_out: int, mode: str, rng=None):
        if mode not in _SELECT[1:]:
            raise ValueError(f"mode must be one of {_SELECT[1:]}, got {mode!r}")
        c_in, c_out = check_int("c_in", c_in), check_int("c_out", c_out)
        if not 0 < c_in < c_out:
            raise ValueError(f"ChannelSelect reduces channels: need 0 < c_in < c_out, got "
                             f"c_in={c_in}, c_out={c_out}")
        if mode == "mean" and c_out % c_in:
            raise ValueError(f"select='mean' averages groups of c_out/c_in channels: "
                             f"{c_out} is not a multiple of {c_in}")
        self.c_in, self.c_out, self.mode = c_in, c_out, mode
        self.index = (np.sort(as_rng(rng).choice(c_out, c_in, replace=False))
                      if mode == "random" else None)

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        if x.ndim < 2 or x.shape[1] != self.c_out:
            raise ValueError(f"ChannelSelect expects (B, {self.c_out}, ...), got {x.shape}")
        self._shape = x.shape
        if self.mode == "mean":
            g = self.c_out // self.c_in
            return x.reshape(x.shape[0], self.c_in, g, *x.shape[2:]).mean(axis=2)
        if self.mode == "random":
            return x[:, self.index]
        activity = x.reshape(x.shape[0], self.c_out, -1).mean(axis=2)          # (B, c_out)
        self._index = np.sort(np.argsort(-activity, axis=1, kind="stable")[:, :self.c_in], 1)
        return np.take_along_axis(x, self._index.reshape(self._index.shape + (1,) * (x.ndim - 2)),
                                  axis=1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        shape = self._shape
        if self.mode == "mean":
            g = self.c_out // self.c_in
            expanded = np.repeat(grad[:, :, None] / grad.dtype.type(g), g, axis=2)
            return expanded.reshape(shape)
        dx = np.zeros(shape, grad.dtype)
        if self.mode == "random":
            dx[:, self.index] = grad
        else:
            idx = self._index.reshape(self._index.shape + (1,) * (grad.ndim - 2))
            np.put_along_axis(dx, np.broadcast_to(idx, grad.shape), grad, axis=1)
        return dx

    def extra_repr(self) -> str:
        return f"{self.c_out} -> {self.c_in}, mode={self.mode!r}"


class BackRes(Module):
    """Apply ``block`` ``n`` times with shared weights: ``h_k = f(h_{k-1})``, ``h_0 = x`` (§4.6).

    Parameters
    ----------
    block : Module
        The shared block ``f``, typically ``Sequential(Conv2d(c, c, 3, padding=1), ReLU())``
        (the activation inside the block, so every unrolling ends in a spiking population
        after conversion or ``to_agd``). Kept as the public attribute ``block``.
    n : int
        Number of applications (>= 1; ``n = 1`` is the plain block).
    select : {None, "mean", "random", "topk"}
        What to do when the block changes the channel count (``C_out != C_in``): None raises
        a ``ValueError``; otherwise a :class:`ChannelSelect` reduces ``C_out`` to ``C_in``
        after each of the first ``n - 1`` applications (needs ``C_out > C_in``; the final
        output keeps ``C_out`` channels).
    rng : Generator, int or None
        Source of the ``select="random"`` channel subsets (one per unrolling).

    Raises
    ------
    TypeError
        If ``block`` is not a Module.
    ValueError
        If ``n < 1``, ``select`` is unknown, or (at construction when the block's first and
        last Conv2d/Linear are known, otherwise at the first forward) ``C_out != C_in`` with
        ``select=None``.

    Notes
    -----
    *Shapes*: ``(B, C_in, ...)`` -> ``(B, C_out, ...)`` (``C_out = C_in`` without ``select``).

    *Shared state*: each ``forward`` builds ``n`` :func:`shallow_clone` s of ``block`` (cheap:
    modules are copied, arrays are not) that share every Parameter but keep their own
    ``backward`` caches; ``backward`` runs them in reverse order, so every shared
    ``Parameter.grad`` receives the sum of the ``n`` contributions. Because the clones are
    rebuilt at every forward, the block can be modified in place at any time.

    *Parameters*: :meth:`children` yields only ``("block", block)``, so
    ``named_parameters`` lists the shared weights once (``block.0.weight``, ...) and an
    optimizer updates them once per step.

    *Transforming the block* (``snnlite.learn.to_agd`` replacing every ``ReLU`` by a spiking
    module): recurse into ``backres.block`` like into any child (it is the only entry of
    ``children()``) and either replace modules inside it or assign ``backres.block = new``;
    :meth:`map` does the latter in one call. Nothing else must be updated.

    *Depth*: :meth:`unrolled` lists the layers in application order, used by the conversion
    (a separate IF population and threshold per unrolling, §4.5) and by
    :func:`snnlite.experiments.panda_models.describe`.

    Examples
    --------
    >>> import numpy as np
    >>> from snnlite import nn
    >>> lin = nn.Linear(3, 3, rng=0)
    >>> res = BackRes(nn.Sequential(lin, nn.ReLU()), 2)
    >>> x = np.ones((1, 3), np.float32)
    >>> bool(np.allclose(res(x), np.maximum(lin(np.maximum(lin(x), 0)), 0)))
    True
    """

    def __init__(self, block: Module, n: int, select: str | None = None, rng=None):
        if not isinstance(block, Module):
            raise TypeError(f"block must be an nn.Module, got {type(block).__name__}")
        n = check_int("n", n)
        if select not in _SELECT:
            raise ValueError(f"select must be one of {_SELECT}, got {select!r}")
        self.block, self.n, self.select = block, int(n), select
        self.rng = as_rng(rng)
        self._selectors: list[ChannelSelect] | None = None
        weighted = _weighted(block)
        if weighted and n > 1:
            first, last = weighted[0], weighted[-1]
            c_in = getattr(first, "in_channels", getattr(first, "in_features", None))
            c_out = getattr(last, "out_channels", getattr(last, "out_features", None))
            self._check_channels(c_in, c_out)

    def _check_channels(self, c_in: int, c_out: int) -> None:
        if c_in == c_out or self.n == 1:
            self._selectors = []
            return
        if self.select is None:
            raise ValueError(
                f"BackRes: the block maps {c_in} channels to {c_out}, but an unrolled block "
                f"feeds its output back as its input, so it needs C_out == C_in (spec §4.6); "
                f"use equal channel counts or select='mean' | 'random' | 'topk'")
        self._selectors = [ChannelSelect(c_in, c_out, self.select, self.rng)
                           for _ in range(self.n - 1)]

    def children(self) -> Iterator[tuple[str, Module]]:
        yield "block", self.block

    def map(self, fn) -> BackRes:
        """Set ``block = fn(block)`` (for example a ReLU -> spiking rewrite); return ``self``."""
        new = fn(self.block)
        if not isinstance(new, Module):
            raise TypeError(f"fn must return an nn.Module, got {type(new).__name__}")
        self.block = new
        return self

    def selectors(self) -> list[ChannelSelect]:
        """The channel reductions applied after unrollings ``1..n-1`` (empty if none)."""
        return list(self._selectors or [])

    def unrolled(self) -> list[tuple[Module, int]]:
        """``(module, k)`` pairs in application order: the block (or its layers) for
        ``k = 1..n``, with the :class:`ChannelSelect` between unrollings tagged ``k``.

        A ``Sequential`` block is expanded into its layers; the modules are the shared ones
        (not clones), which is what the conversion needs.
        """
        layers = self.block.layers if isinstance(self.block, Sequential) else [self.block]
        selectors, out = self.selectors(), []
        for k in range(1, self.n + 1):
            out += [(layer, k) for layer in layers]
            if k < self.n and selectors:
                out.append((selectors[k - 1], k))
        return out

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        self._clones = [shallow_clone(self.block) for _ in range(self.n)]
        h = x
        for k, clone in enumerate(self._clones):
            h = clone.forward(h, train)
            if k < self.n - 1:
                if self._selectors is None:        # channels unknown until the first call
                    self._check_channels(x.shape[1], h.shape[1])
                if self._selectors:
                    h = self._selectors[k].forward(h, train)
                elif h.shape[1:2] != x.shape[1:2]:
                    raise ValueError(f"BackRes: unrolling {k + 1} produced shape {h.shape} "
                                     f"from input {x.shape}; the channel axis must match")
        return h

    def backward(self, grad: np.ndarray) -> np.ndarray:
        for k in reversed(range(self.n)):
            if k < self.n - 1 and self._selectors:
                grad = self._selectors[k].backward(grad)
            grad = self._clones[k].backward(grad)
        return grad

    def __repr__(self) -> str:
        inner = repr(self.block).replace("\n", "\n  ")
        sel = "" if self.select is None else f", select={self.select!r}"
        return f"BackRes(n={self.n}{sel},\n  block={inner}\n)"


def applied(module: Module, path: str = "",
            tags: tuple[str, ...] = ()) -> Iterator[tuple[Module, str, tuple]]:
    """Yield ``(module, path, tags)`` in the order a forward pass applies them.

    ``Sequential`` containers are expanded and every :class:`BackRes` block is unrolled (its
    block ``n`` times, with the :class:`ChannelSelect` between unrollings); the modules are
    the shared ones, not clones. ``path`` names the module inside the top-level one
    (``"2.block.1"``: ``layers[1]`` of the block of ``layers[2]``; selectors ``"2.select"``)
    and ``tags`` holds one ``"k/n"`` per enclosing unrolling, outermost first.
    """
    if isinstance(module, BackRes):
        selectors = module.selectors()
        for k in range(1, module.n + 1):
            tag = tags + (f"{k}/{module.n}",)
            yield from applied(module.block, f"{path}.block", tag)
            if k < module.n and selectors:
                yield selectors[k - 1], f"{path}.select", tag
    elif isinstance(module, Sequential):
        for i, layer in enumerate(module.layers):
            yield from applied(layer, f"{path}.{i}" if path else str(i), tags)
    else:
        yield module, path, tags
