"""The README's Python examples run as written and print what their comments say."""

import ast
import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def tour() -> tuple[dict, list[list[str]]]:
    """Run the README's Python blocks in order: (final namespace, printed lines per block)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 4  # conversion, hand-built network, surrogate gradients, NIR
    namespace: dict = {}
    printed = []
    for block in blocks:  # later blocks use names defined by earlier ones
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), namespace)
        printed.append(out.getvalue().splitlines())
    return namespace, printed


def test_conversion_tour_prints_what_its_comments_say(tour):
    text = README.read_text()
    namespace, printed = tour
    lines = printed[0]
    # "accuracy 0.989 on the sample" (the shipped LeNet on the 1 000 bundled test digits)
    assert "# accuracy 0.989 on the sample" in text
    assert ast.literal_eval(lines[0])["accuracy"] == pytest.approx(0.989, abs=0.002)
    # "[0.1 0.99 1.0]" after 1, 8 and 32 steps
    assert "# [0.1 0.99 1.0]:" in text
    per_step = np.array(lines[2].strip("[]").split(), dtype=float)
    np.testing.assert_allclose(per_step, [0.1, 0.99, 1.0], atol=0.015)
    assert namespace["res"].outputs.shape[0] == 50  # the second block's 50-step Poisson run


def test_surrogate_gradient_example_learns(tour):
    # "about 0.91 (chance is 0.10)": 2 epochs of BPTT on the 2 000 bundled training digits
    assert "# about 0.91 (chance is 0.10)" in README.read_text()
    namespace, printed = tour
    assert printed[2] == ["5", str(namespace["agd_accuracy"])]
    assert namespace["agd_accuracy"] == pytest.approx(0.91, abs=0.04)
