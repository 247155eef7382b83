"""The README's Python examples run as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:  # later blocks use names defined by earlier ones
        exec(compile(block, str(README), "exec"), namespace)
    res = namespace["res"]
    # `res` is the second block's 50-step Poisson run (the last block, AGD training of a
    # VGG3x2, defines no `res`)
    assert res.outputs.shape[0] == 50
