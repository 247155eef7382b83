"""The summary of a sweep: mean ± standard deviation over seeds of every numeric result.

A record's ``results`` is the reproduction's JSON report. Its numbers are flattened to named
metrics (:func:`flatten_numbers`): nested keys joined by ``.``, a list of numbers (a curve
over time steps) represented by its last value ``name[-1]`` (the records keep the whole
curve), other lists by index ``name[i]``. Records with the same grid parameters are grouped;
the standard deviation is the sample one (``ddof=1``), undefined for a single run.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

__all__ = ["flatten_numbers", "summarize", "summary_markdown"]


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def flatten_numbers(obj, prefix: str = "") -> dict[str, float]:
    """Named numeric leaves of a JSON-like object.

    Examples
    --------
    >>> flatten_numbers({"0": {"ann": 0.99, "accuracy": [0.5, 0.9], "name": "x"},
    ...                  "rows": [{"a": 1}, {"a": 2}]})
    {'0.ann': 0.99, '0.accuracy[-1]': 0.9, 'rows[0].a': 1.0, 'rows[1].a': 2.0}
    """
    if _is_number(obj):
        return {prefix: float(obj)}
    out: dict[str, float] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.update(flatten_numbers(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(obj, list | tuple) and obj:
        if all(_is_number(v) for v in obj):
            out[f"{prefix}[-1]"] = float(obj[-1])
        else:
            for i, value in enumerate(obj):
                out.update(flatten_numbers(value, f"{prefix}[{i}]"))
    return out


def summarize(records: list[dict]) -> list[dict]:
    """Group finished records by grid parameters; mean and std of every metric per group.

    Returns
    -------
    list of dict
        One per grid point, in order of first appearance: ``params``, ``seeds`` (sorted),
        ``metrics``: ``{name: {"mean", "std" (None for one run), "n"}}``.
    """
    groups: dict[str, dict] = {}
    for rec in sorted(records, key=lambda r: r["index"]):
        group = groups.setdefault(repr(sorted(rec["params"].items())),
                                  {"params": rec["params"], "seeds": [], "values": {}})
        group["seeds"].append(rec["seed"])
        for name, value in flatten_numbers(rec["results"]).items():
            group["values"].setdefault(name, []).append(value)
    summary = []
    for group in groups.values():
        metrics = {}
        for name, values in group["values"].items():
            v = np.asarray(values)
            metrics[name] = {"mean": float(v.mean()),
                             "std": float(v.std(ddof=1)) if len(v) > 1 else None, "n": len(v)}
        summary.append({"params": group["params"], "seeds": sorted(group["seeds"]),
                        "metrics": metrics})
    return summary


def summary_markdown(name: str, summary: list[dict], failed: list[str]) -> str:
    """The summary as markdown: one table per grid point (metric, mean ± std, runs)."""
    lines = [f"# {name}: mean ± standard deviation over seeds (sample std, ddof 1)"]
    for group in summary:
        params = ", ".join(f"{k} = {v}" for k, v in group["params"].items())
        lines += ["", f"## {params or 'default parameters'}; seeds "
                  f"{', '.join(map(str, group['seeds']))}", "",
                  "| metric | mean ± std | runs |", "|---|---|---|"]
        for metric, m in group["metrics"].items():
            spread = "n/a" if m["std"] is None else f"{m['std']:.4g}"
            lines.append(f"| {metric} | {m['mean']:.4g} ± {spread} | {m['n']} |")
    if failed:
        lines += ["", f"Failed (no record; re-run the command to retry): {', '.join(failed)}"]
    return "\n".join(lines)
