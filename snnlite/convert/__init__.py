"""ANN -> SNN conversion: BatchNorm folding, data-based normalisation, threshold balancing."""

from .balance import ThresholdBalancing
from .bn_fold import fold_batchnorm
from .normalize import DataNormalization, build_network
from .qffs import QFFSConverter, qann_levels
from .stages import Stage, split_stages, stage_activations, stage_outputs

__all__ = ["DataNormalization", "QFFSConverter", "Stage", "ThresholdBalancing", "build_network",
           "fold_batchnorm", "split_stages", "stage_activations", "stage_outputs", "qann_levels"]
