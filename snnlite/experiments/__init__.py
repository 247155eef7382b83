"""Named reproductions, the demo and the benchmarks (used by the ``snnlite`` command)."""
