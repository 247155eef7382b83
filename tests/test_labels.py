"""The reader's map (:mod:`snnlite.labels`) covers exactly the labels the code cites, and every
row names an object that exists."""

import importlib
import re
from pathlib import Path

import pytest

import snnlite
from snnlite.labels import LABELS, PAPERS, table

ROOT = Path(snnlite.__file__).parent
LABEL = re.compile(r"\b([ABC](?:[1-9]|1[0-9]|2[0-2]))\b")
RANGE = re.compile(r"\b([ABC])(\d{1,2})\s*[-\u2013]\s*\1(\d{1,2})\b")  # "B10-B12"


def labels_in(text: str) -> set[str]:
    """Every label ``text`` cites, ranges such as ``B10-B12`` expanded."""
    found = set(LABEL.findall(text))
    for paper, first, last in RANGE.findall(text):
        found |= {f"{paper}{n}" for n in range(int(first), int(last) + 1)}
    return found


def cited() -> dict[str, str]:
    """``{label: first 'file:line'}`` of every spec label cited in the package's code."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "labels.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for label in sorted(labels_in(line)):
                found.setdefault(label, f"{path.relative_to(ROOT.parent)}:{number}")
    return found


def test_every_cited_label_is_in_the_map():
    missing = {k: v for k, v in cited().items() if k not in LABELS}
    assert not missing, f"labels cited in the code but not in snnlite/labels.py: {missing}"


def test_every_label_in_the_map_is_cited():
    unused = sorted(set(LABELS) - set(cited()))
    assert not unused, f"labels in snnlite/labels.py that no code cites: {unused}"


@pytest.mark.parametrize("label", sorted(LABELS))
def test_implemented_by_names_an_object_that_cites_the_label(label):
    path = LABELS[label].implemented_by
    module_name, _, attr = path.rpartition(".")
    obj = getattr(importlib.import_module(module_name), attr)
    module = importlib.import_module(obj.__module__)
    # the implementing object lives in a file that cites the label
    assert label in labels_in(Path(module.__file__).read_text()), (label, path)


def test_table_lists_every_label_under_its_paper():
    text = table()
    for paper in PAPERS:
        assert f"{paper}: " in text
    for label, row in LABELS.items():
        assert re.search(rf"^  {label}\s+.*{re.escape(row.implemented_by)}$", text, re.M), label


def test_every_module_that_cites_a_label_points_to_the_map():
    import ast

    silent = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text()
        if path.name != "labels.py" and labels_in(text):
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "snnlite.labels" not in doc:
                silent.append(str(path.relative_to(ROOT.parent)))
    assert not silent, f"module docstrings that cite spec labels but not snnlite.labels: {silent}"
