"""NIR (Neuromorphic Intermediate Representation) export and import (extra ``snnlite[nir]``).

NIR graphs (``.nir`` HDF5 files) are read and written by snnTorch, Norse, Sinabs, Lava,
Rockpool, Spyx and others. :func:`to_nir` exports a :class:`~snnlite.snn.SpikingNetwork`,
:func:`from_nir` builds one from a graph, for the subset both can express:

==========================================  ==============================================
snnlite                                     NIR
==========================================  ==============================================
``nn.Linear`` (+ layer bias)                ``Affine``
``nn.Conv2d`` (stride, padding, groups)     ``Conv2d`` (``Linear``, dilation 1 on import)
``nn.AvgPool2d`` / ``nn.SumPool2d``         ``AvgPool2d`` / ``SumPool2d``
``nn.Flatten``, ``Reshape(nn.Flatten())``   ``Flatten`` (all axes of a sample)
``nn.Scale``, spike amplitude ``a != 1``    ``Scale`` (after the population for ``a``)
``IF``, ``LIF`` (no refractory period)      ``IF``, ``LIF``
``MultiSpikeIF``                            ``IF`` (Sinabs' multi-spike reading)
``Readout`` (integrates, never resets)      ``I`` (integrator)
``LeakyReadout`` (leaks, never resets)      ``LI`` (leaky integrator)
``Residual``                                two edges into the post-addition population
==========================================  ==============================================

Shapes are those of one sample (no batch axis), as NIR defines them. NIR's neurons are
continuous-time (``tau``, ``r``, ``v_leak``, ``v_threshold``) and snnlite's discrete: how
one maps to the other (the step ``dt``, forward Euler or exact decay, reset to zero or by
subtraction, the meaning of ``r`` for IF nodes, single or multi-spike IF) is set by
:class:`Conventions`, whose module docstring writes the maps out. Everything else raises a
``ValueError`` naming the layer or node and the reason (QFFS neurons, dynamic thresholds,
event max-pooling, burst encoders, CubaLIF nodes, ...).

``import snnlite`` never imports this module; it needs the ``nir`` package.
"""

from __future__ import annotations

try:
    import nir  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("snnlite.nir needs the 'nir' package: pip install 'snnlite[nir]'") \
        from error

from .conventions import Conventions
from .export import to_nir
from .importer import from_nir

__all__ = ["Conventions", "from_nir", "to_nir"]
