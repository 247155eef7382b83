"""The full reproductions (``python -m pytest -m slow``), checked against CHANGELOG.md.

Each test runs one reproduction's ``main`` with its full settings (the equivalent of
``snnlite reproduce NAME``) into a temporary folder, on the full datasets (``$SNNLITE_DATA``),
and compares its headline numbers with the ones CHANGELOG.md reports. They take from about
half an hour to a few hours each on a 2-core machine, so they are excluded from the default
run (``addopts = -m 'not slow'``).

Tolerances: runs that only simulate shipped weights with analog input are deterministic and
must match to a few test images; trained models and Poisson input reproduce statistically.
"""

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _pct(values) -> np.ndarray:
    return 100 * np.asarray(values, dtype=float)


def test_classic_mnist(tmp_path: Path):
    from snnlite.experiments.classic_mnist import main

    rows = main(tmp_path)  # shipped LeNet, 10 000 test images, T = 1 ... 128
    # CHANGELOG, issue 3: accuracy (%) at T = 1, 2, 4, 8, 16, 32, 64, 128
    np.testing.assert_allclose(_pct(rows["max-norm"]),
                               [8.92, 8.92, 9.20, 90.72, 98.76, 99.08, 99.09, 99.10], atol=0.03)
    np.testing.assert_allclose(_pct(rows["p99.9-norm"]),
                               [8.92, 8.92, 56.62, 98.05, 99.00, 99.13, 99.07, 99.08], atol=0.03)
    # Poisson input: statistically (the spike generator changed since the table was measured)
    np.testing.assert_allclose(_pct(rows["threshold-balancing"])[-3:], [99.03, 99.08, 99.04],
                               atol=0.3)
    assert (tmp_path / "classic_mnist.md").is_file()


def test_qffs_mnist(tmp_path: Path):
    from snnlite.experiments.qffs_mnist import main

    rows = main(tmp_path)  # shipped QANNs; ablation QANNs fine-tuned here
    full = _pct(rows["+ spike cap (full QFFS)"]["accuracy"])
    # CHANGELOG, issue 4 (LeNet): T = 1, 2, 3, 4, 8, 16
    np.testing.assert_allclose(full[[0, 1, 2, 3, 7, 15]],
                               [98.43, 99.08, 99.25, 99.24, 99.24, 99.24], atol=0.03)
    plain = _pct(rows["plain IF (no pre-charge, no negative spikes, no cap)"]["accuracy"])
    np.testing.assert_allclose(plain[[0, 3, 15]], [11.37, 88.78, 89.39], atol=0.03)
    # the trained variants reproduce statistically
    assert _pct(rows["float output"]["accuracy"])[-1] == pytest.approx(99.19, abs=0.3)
    # CHANGELOG, issue 4 (ResNet on Fashion-MNIST, shipped weights): T = 1 ... 7
    resnet = rows["resnet"]
    np.testing.assert_allclose(_pct(resnet["accuracy"])[:7],
                               [25.12, 79.07, 84.34, 85.34, 85.41, 85.40, 85.40], atol=0.03)
    assert 100 * resnet["qann_tie_break"] == pytest.approx(85.40, abs=0.03)
    assert _pct(resnet["agreement"])[-1] == pytest.approx(100.0)


def test_zou_mnist(tmp_path: Path):
    from snnlite.experiments.zou_mnist import main

    rows = main(tmp_path, epochs=3)  # CHANGELOG, issue 5: `snnlite reproduce zou-mnist --epochs 3`
    expected = {0: (99.38, 7.72), 1: (99.33, 3.72), 2: (99.28, 1.88)}  # QANN = SNN %, op ratio
    for k, (accuracy, op_ratio) in expected.items():
        assert 100 * rows[k]["ann"] == pytest.approx(accuracy, abs=0.3)
        assert 100 * rows[k]["accuracy"][-1] == pytest.approx(100 * rows[k]["ann"], abs=0.05)
        assert rows[k]["op_ratio"] == pytest.approx(op_ratio, rel=0.05)
        assert rows[k]["integer_equals_float"]


def test_panda_fashion(tmp_path: Path):
    from snnlite.experiments.panda_fashion import main

    results = main(tmp_path)
    # CHANGELOG, issue 6: best AGD network SNN 90.35 % (re-run after session 3), target 89 %
    best = results["best"][0]
    assert 100 * best["accuracy"] == pytest.approx(90.35, abs=1.0)
    assert 100 * best["accuracy"] >= 89.0
    # hybrid within 1 % of its ANN (measured 0.4-0.8 % above)
    for row in results["hybrid"]:
        assert row["accuracy"] >= row["ann_accuracy"] - 0.01
    # depth study: VGG5 66.39, VGG3x2 71.88, VGG7 63.51, VGG3x4 67.91 (float order changed
    # since; statistically)
    depth = {row["config"]: 100 * row["accuracy"] for row in results["depth"]}
    for config, accuracy in {"VGG5": 66.39, "VGG3x2": 71.88, "VGG7": 63.51,
                             "VGG3x4": 67.91}.items():
        assert depth[config] == pytest.approx(accuracy, abs=3.0)
    assert len(results["stochmax"]) == 6 and len(results["conversion"]) == 3


def test_stdp_mnist(tmp_path: Path):
    from snnlite.experiments.stdp_mnist import main

    results = main(tmp_path, progress=False)
    # CHANGELOG, issue 7: Diehl & Cook N = 400 87.42 % (N = 100 67.66 %)
    assert 100 * results["diehl_cook"][400]["accuracy"] == pytest.approx(87.42, abs=1.0)
    assert 100 * results["diehl_cook"][100]["accuracy"] == pytest.approx(67.66, abs=2.0)
    conv = results["conv"]
    for ds, topology, accuracy in [("mnist", "ResNet2", 97.93), ("mnist", "ResNet3", 97.57),
                                   ("fashion", "ResNet2", 84.80)]:
        assert 100 * conv[ds][topology]["accuracy"] == pytest.approx(accuracy, abs=1.0)
