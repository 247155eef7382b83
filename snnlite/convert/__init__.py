"""ANN -> SNN conversion: BatchNorm folding, data-based normalisation, threshold balancing."""

from ..snn.readouts import StochMaxReadout  # kept here too: it was defined here before
from .balance import ThresholdBalancing
from .bn_fold import fold_batchnorm
from .normalize import DataNormalization, build_network
from .qffs import QFFSConverter, qann_levels
from .stages import Stage, split_stages, stage_activations, stage_outputs
from .zou import ZouConverter

__all__ = ["DataNormalization", "QFFSConverter", "Stage", "StochMaxReadout",
           "ThresholdBalancing", "ZouConverter", "build_network", "fold_batchnorm",
           "qann_levels", "split_stages", "stage_activations", "stage_outputs"]
