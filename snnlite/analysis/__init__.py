"""Analysis of simulations: spike, SOP, MAC and energy counts; conversion-noise attribution."""

from .agd_energy import AGDEnergy, agd_energy
from .noise import CATEGORIES, LayerNoise, attribute, format_table, noise_table, plot_noise
from .noise_network import Decomposition, decompose, net_counts, rate_coding_noise
from .ops import EnergyModel, OpsReport, count_ops, fan_out, macs

__all__ = [
    "AGDEnergy", "CATEGORIES", "Decomposition", "EnergyModel", "LayerNoise", "OpsReport",
    "agd_energy", "attribute", "count_ops", "decompose", "fan_out",
    "format_table", "macs", "net_counts", "noise_table", "plot_noise", "rate_coding_noise",
]
