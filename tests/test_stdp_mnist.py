"""STDP topologies (spec §4.10 Table 7), the spike-count classifier and the stdp-mnist smoke run.

The smoke run needs the verified MNIST / Fashion-MNIST copies in ``$SNNLITE_DATA``.
"""

import json

import numpy as np
import pytest

from snnlite import nn
from snnlite.datasets import load_mnist_sample
from snnlite.experiments.stdp_mnist import compare_with_paper, main
from snnlite.experiments.stdp_models import (
    TOPOLOGIES,
    classifier,
    logical_depth,
    parse_topology,
    stdp_net,
)


@pytest.mark.parametrize("name,params,depth,repeats", [
    ("ResNet2", 1 * 16 * 25 + 16 * 16 * 9, 2, [1, 1]),
    ("ResNet3", 1 * 16 * 25 + 2 * 16 * 16 * 9, 3, [1, 1, 1]),
    ("ResNet2x2", 1 * 16 * 25 + 16 * 16 * 9, 3, [1, 2]),
])
def test_builders_match_hand_counts(name, params, depth, repeats):
    net = stdp_net(name, rng=0)
    assert net.n_params() == params
    assert logical_depth(net) == depth
    assert [layer.repeats for layer in net.layers] == repeats
    assert net.in_shapes == [(28, 28, 1)] + [(12, 12, 16)] * (len(repeats) - 1)
    assert net.n_features == 16 * 6 * 6
    clf = classifier(net.n_features, hidden=8)
    assert sum(p.data.size for p in clf.parameters()) == 576 * 8 + 8 + 8 * 10 + 10


def test_backres_layer_shares_one_kernel():
    net = stdp_net("ResNet2x2", channels=4, rng=0)
    block = net.layers[1]
    assert block.weight.shape == (4, 4, 3, 3) and block.thresholds.shape == (2,)
    assert stdp_net("ResNet3", channels=4).n_params() == net.n_params() + 4 * 4 * 9


def test_topology_names_are_parsed_and_checked():
    assert [parse_topology(t) for t in TOPOLOGIES] == [(2, 1), (3, 1), (2, 2)]
    for bad in ("VGG2", "ResNet0", "ResNet2x0"):
        with pytest.raises(ValueError, match="topology"):
            parse_topology(bad)
    with pytest.raises(ValueError, match="first layer"):
        stdp_net("ResNet1x2")


def test_classifier_learns_spike_count_features():
    x, y, xt, yt = load_mnist_sample()
    net = stdp_net("ResNet2", channels=8, T=10, rng=0, w_range=(-1, 1))
    feats = net.features(x[:300].astype(np.float32) / 255, rng=0, progress=False)
    test = net.features(xt[:100].astype(np.float32) / 255, rng=1, progress=False)
    assert feats.min() >= 0 and feats.max() > 0
    clf = classifier(net.n_features, hidden=64, rng=0)
    nn.fit(clf, (feats, y[:300]), epochs=20, batch_size=32, lr=3e-3, rng=0, progress=False)
    assert nn.evaluate(clf, feats, y[:300])["accuracy"] > 0.95
    assert nn.evaluate(clf, test, yt[:100])["accuracy"] > 0.6  # chance is 0.1


def _row(acc, spikes, ee=(10.0, 2.0)):
    return {"accuracy": acc, "total_spikes": spikes, "ee_spiking": ee[0], "ee_whole": ee[1]}


def test_comparison_with_the_paper_claims():
    rows = {"a": {"ResNet2": _row(0.9, 100), "ResNet3": _row(0.8, 300),
                  "ResNet2x2": _row(0.85, 200)},
            "b": {"ResNet2": _row(0.8, 100), "ResNet3": _row(0.9, 100),
                  "ResNet2x2": _row(0.85, 200, (1.0, 2.0))}}
    a, b = compare_with_paper(rows)
    assert a.count("**agrees**") == 4
    assert b.count("**does not agree**") == 4


def test_quick_reproduction_writes_tables(tmp_path):
    res = main(tmp_path, quick=True, datasets=("mnist",), progress=False)
    text = (tmp_path / "stdp_mnist.md").read_text()
    assert "| 100 |" in text and "ResNet2x2" in text and "random W" in text
    saved = json.loads((tmp_path / "stdp_mnist.json").read_text())
    assert set(saved["conv"]["mnist"]) == {"ResNet2", "ResNet3", "ResNet2x2",
                                           "ResNet2 (random W)"}
    row = res["conv"]["mnist"]["ResNet2x2"]
    assert set(row["spikes"]) == {"conv1", "conv2.1", "conv2.2"}
    assert row["ee_spiking"] > row["ee_whole"] > 0 and 0 <= row["accuracy"] <= 1
    assert (tmp_path / "mnist_ResNet3_weights.npz").exists()
    assert (tmp_path / "diehl_cook_N100.npz").exists()
