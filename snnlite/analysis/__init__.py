"""Analysis of simulations: spike, SOP, MAC and energy counts."""

from .ops import EnergyModel, OpsReport, count_ops, fan_out, macs

__all__ = ["EnergyModel", "OpsReport", "count_ops", "fan_out", "macs"]
