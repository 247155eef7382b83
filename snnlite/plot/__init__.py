"""Figures: spike rasters, membrane traces, accuracy-latency curves, ANN-vs-SNN response curves,
receptive fields and per-layer bar charts.

Every function draws into ``ax`` (a new figure when ``ax`` is None) and returns the Axes; nothing
here calls ``plt.show()``. Positive spikes are blue, negative spikes red. Invalid input raises
``ValueError`` naming the argument. :func:`savefig` writes a figure to disk and closes it.

- :mod:`.spikes`: :func:`raster`, :func:`membrane` (the pre-/post-reset sawtooth);
- :mod:`.charts`: :func:`accuracy_vs_time` (with chance level), :func:`response_curve`,
  :func:`receptive_fields`, :func:`bars`.
"""
from ._base import GUIDE_COLOR, NEGATIVE_COLOR, POSITIVE_COLOR, savefig
from .charts import accuracy_vs_time, bars, receptive_fields, response_curve
from .spikes import membrane, raster

__all__ = ["raster", "membrane", "accuracy_vs_time", "response_curve", "receptive_fields",
           "bars", "savefig", "POSITIVE_COLOR", "NEGATIVE_COLOR", "GUIDE_COLOR"]
