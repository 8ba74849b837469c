"""Per-task result files and the summary table of a run."""

from __future__ import annotations

import json
from pathlib import Path


def load_results(results_dir: Path) -> list[dict]:
    """Read every per-task result file of a run folder's ``results/``, sorted by family then task."""
    results = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as error:
            raise ValueError(f"result file {path} is not valid JSON ({error}); delete it and rerun its task") from error
    return sorted(results, key=lambda result: (result["family"], result["task"]))


def family_means(results: list[dict]) -> dict[str, float]:
    """Unweighted mean of the main test score over the tasks of each family."""
    by_family: dict[str, list[float]] = {}
    for result in results:
        by_family.setdefault(result["family"], []).append(result["score"])
    return {family: sum(scores) / len(scores) for family, scores in sorted(by_family.items())}


def summary_markdown(results: list[dict], title: str) -> str:
    """Render per-task scores, the majority-class accuracy (TC) and family means as Markdown (points, 0-100)."""
    results = sorted(results, key=lambda result: (result["family"], result["task"]))
    lines = [f"## {title}", "", "| task | family | metric | score | majority class |", "|---|---|---|---:|---:|"]
    for result in results:
        baseline = result.get("majority_baseline")
        baseline_text = f"{100 * baseline:.2f}" if baseline is not None else ""
        lines.append(
            f"| {result['task']} | {result['family']} | {result['metric']} | {100 * result['score']:.2f} | {baseline_text} |"
        )
    for family, mean in family_means(results).items():
        count = sum(result["family"] == family for result in results)
        lines.append(f"| **mean ({count} tasks)** | {family} | main | {100 * mean:.2f} | |")
    return "\n".join(lines) + "\n"
