"""Smoke test of ``snnlite reproduce panda-fashion --quick`` on tiny subsets."""

import json
import os

import pytest

from snnlite.experiments import panda_fashion

pytestmark = pytest.mark.skipif(not os.environ.get("SNNLITE_DATA"),
                                reason="needs SNNLITE_DATA (Fashion-MNIST)")


def test_quick_reproduction_writes_every_table(tmp_path):
    results = panda_fashion.main(tmp_path, quick=True)
    text = (tmp_path / "panda_fashion.md").read_text()
    for heading in ("## 0.", "## 1.", "## 2.", "## 3.", "## 4."):
        assert heading in text
    saved = json.loads((tmp_path / "panda_fashion.json").read_text())
    assert [r["config"] for r in saved["depth"]] == ["VGG5", "VGG3x2", "VGG7", "VGG3x4"]
    # same logical depth for the BackRes net and its plain twin, fewer parameters
    depth = {r["config"]: r for r in results["depth"]}
    assert depth["VGG3x2"]["logical_depth"] == depth["VGG5"]["logical_depth"] == 5
    assert depth["VGG3x4"]["params"] < depth["VGG7"]["params"]
    assert len(saved["stochmax"]) == 6 and all(0 <= r["mean"] <= 1 for r in saved["stochmax"])
    conv = {r["config"]: r for r in results["conversion"]}
    assert len(conv["VGG2x4"]["thresholds"]) == len(conv["VGG7"]["thresholds"])  # 4 unrollings
    assert sum("[" in label for label in conv["VGG2x4"]["labels"]) == 4
