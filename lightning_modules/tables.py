"""Ablation tables from per-task result files: means and standard deviations over seeds, deltas against ``none``.

Results are grouped into regimes (downstream mode and training fraction). Within a regime, a
strategy's family score for one seed is the unweighted mean over the family's tasks. Family means
and standard deviations are then taken over seeds. Deltas are paired: for each seed that both the
strategy and ``none`` have, the difference of their scores, then the mean and standard deviation
of those differences.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

BASELINE = "none"
# Name of the row composed from the ner row's NER tasks and the tc row's TC tasks.
INDIVIDUAL = "individual"
FAMILIES = ("ner", "tc")


@dataclass(frozen=True, order=True)
class Regime:
    """The downstream setting that results are compared within."""

    mode: str
    fraction: float

    @property
    def title(self) -> str:
        return f"mode {self.mode}, {100 * self.fraction:g}% of the training data"

    @property
    def slug(self) -> str:
        return f"{self.mode}_{self.fraction:g}".replace(".", "p")


@dataclass
class Cell:
    """Scores of one strategy on one task (or one family mean), keyed by seed; scores are 0-1."""

    by_seed: dict[int, float] = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.by_seed.values())

    @property
    def std(self) -> float:
        return statistics.stdev(self.by_seed.values()) if len(self.by_seed) > 1 else 0.0


def find_result_files(run_dirs: Iterable[Path]) -> list[Path]:
    """Return every ``results/*.json`` below the given run or multirun folders."""
    files = []
    for run_dir in run_dirs:
        if not run_dir.is_dir():
            state = "is not a folder" if run_dir.exists() else "does not exist"
            raise FileNotFoundError(f"{run_dir} {state}; pass run folders of train.py (or a multirun folder)")
        files.extend(sorted(run_dir.rglob("results/*.json")))
    return list(dict.fromkeys(path.resolve() for path in files))


def _read_json(path: Path, kind: str) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{kind} {path} is not valid UTF-8 JSON ({error}); delete it or rerun its task") from error
    if not isinstance(value, dict):
        raise ValueError(f"{kind} {path} is not a JSON object; delete it or rerun its task")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_result(result: dict, path: Path) -> None:
    """Raise ValueError naming the file and field when a result lacks a field or has a wrong value."""
    missing = [key for key in ("task", "family", "score", "strategy", "seed") if key not in result]
    if missing:
        raise ValueError(f"result file {path} lacks {missing}, so train.py did not write it; remove it from the run folder")
    problems = []
    if result["family"] not in FAMILIES:
        problems.append(f"family={result['family']!r} (expected one of {list(FAMILIES)})")
    if not _is_number(result["score"]) or not 0 <= result["score"] <= 1:
        problems.append(f"score={result['score']!r} (expected a number from 0 to 1)")
    if not isinstance(result["seed"], int) or isinstance(result["seed"], bool):
        problems.append(f"seed={result['seed']!r} (expected an integer)")
    fraction = result.get("train_fraction", 1.0)
    if not _is_number(fraction) or not 0 < fraction <= 1:
        problems.append(f"train_fraction={fraction!r} (expected a number in (0, 1])")
    if problems:
        raise ValueError(f"result file {path} has invalid values: {', '.join(problems)}; delete it or rerun its task")


def load_result_files(files: Iterable[Path]) -> list[dict]:
    """Read and check result files; a broken file raises ValueError naming it."""
    results = []
    for path in files:
        result = _read_json(path, "result file")
        check_result(result, path)
        result["_path"] = str(path)
        results.append(result)
    return results


def regime_of(result: dict) -> Regime:
    # Results written before data regimes existed used the whole training split.
    return Regime(result.get("downstream_mode", "lora"), float(result.get("train_fraction", 1.0)))


def task_cells(results: list[dict]) -> dict[Regime, dict[str, dict[str, Cell]]]:
    """Return ``{regime: {strategy: {task: Cell}}}``.

    Copies of one result (the same configuration hash) count once. Two results for the same
    regime, strategy, task and seed that were computed with different settings (a sweep over
    another setting, such as ``pretrain.mixing``) raise ValueError: one table cannot tell them apart.
    """
    cells: dict[Regime, dict[str, dict[str, Cell]]] = defaultdict(lambda: defaultdict(dict))
    first_file: dict[tuple, dict] = {}
    for result in results:
        regime = regime_of(result)
        key = (regime, result["strategy"], result["task"], result["seed"])
        if key in first_file:
            earlier = first_file[key]
            where = (f"{earlier['_path']} and {result['_path']} both contain strategy {result['strategy']}, task "
                     f"{result['task']}, seed {result['seed']} ({regime.title})")
            if earlier.get("config_hash") != result.get("config_hash"):
                raise ValueError(f"{where} but come from different settings; "
                                 "pass the runs of each setting to separate make_table.py calls")
            if earlier["score"] != result["score"]:
                raise ValueError(f"{where} with the same settings but different scores (a repeated or "
                                 "non-deterministic run); pass only one of the two run folders")
            continue
        first_file[key] = result
        cells[regime][result["strategy"]].setdefault(result["task"], Cell()).by_seed[result["seed"]] = result["score"]
    return {regime: {strategy: dict(tasks) for strategy, tasks in strategies.items()} for regime, strategies in cells.items()}


def add_individual_row(strategies: dict[str, dict[str, Cell]], families: dict[str, str]) -> None:
    """Compose the ``individual`` row from the NER tasks of ``ner`` and the TC tasks of ``tc``.

    Nothing is added when either row is missing, or when runs of strategy ``individual`` exist.
    """
    if "ner" not in strategies or "tc" not in strategies:
        return
    if INDIVIDUAL in strategies:
        log.warning("Runs of strategy individual are given, so the individual row shows them and is not "
                    "composed from the ner and tc rows")
        return
    strategies[INDIVIDUAL] = {
        task: cell
        for source in ("ner", "tc")
        for task, cell in strategies[source].items()
        if families[task] == source
    }


def family_cells(by_task: dict[str, Cell], families: dict[str, str], tasks: dict[str, list[str]]) -> dict[str, Cell]:
    """Return each family's mean over its tasks, per seed; a seed counts only when it has every task of the family."""
    cells = {}
    for family in FAMILIES:
        names = tasks.get(family, [])
        if not names or any(name not in by_task for name in names):
            continue
        seeds = set.intersection(*(set(by_task[name].by_seed) for name in names))
        if seeds:
            cells[family] = Cell({seed: statistics.fmean(by_task[name].by_seed[seed] for name in names) for seed in sorted(seeds)})
    return cells


def paired_delta(cell: Cell, baseline: Cell | None) -> Cell | None:
    """Return the per-seed differences against the baseline over the seeds both have, or None."""
    if baseline is None:
        return None
    seeds = sorted(set(cell.by_seed) & set(baseline.by_seed))
    if not seeds:
        return None
    return Cell({seed: cell.by_seed[seed] - baseline.by_seed[seed] for seed in seeds})


@dataclass
class RegimeTable:
    """Every number of one regime's tables."""

    regime: Regime
    tasks: dict[str, list[str]]
    strategies: dict[str, dict[str, Cell]]
    families: dict[str, dict[str, Cell]]

    def delta(self, strategy: str, name: str) -> Cell | None:
        """Delta of a task or family (``mean:<family>``) against ``none``; None for the ``none`` row itself."""
        if strategy == BASELINE:
            return None
        if name.startswith("mean:"):
            family = name.split(":", 1)[1]
            cell = self.families.get(strategy, {}).get(family)
            base = self.families.get(BASELINE, {}).get(family)
        else:
            cell = self.strategies[strategy].get(name)
            base = self.strategies.get(BASELINE, {}).get(name)
        return paired_delta(cell, base) if cell is not None else None


def strategy_order(names: Iterable[str]) -> list[str]:
    known = ["none", "ner", "tc", INDIVIDUAL, "naive", "tpl", "shared_lora", "tpl_frozen"]
    names = set(names)
    return [name for name in known if name in names] + sorted(names - set(known))


def build_tables(results: list[dict]) -> list[RegimeTable]:
    """Aggregate result dictionaries into one table per regime."""
    families = {result["task"]: result["family"] for result in results}
    tables = []
    for regime, strategies in sorted(task_cells(results).items()):
        add_individual_row(strategies, families)
        present = sorted({task for by_task in strategies.values() for task in by_task})
        tasks = {family: [task for task in present if families[task] == family] for family in FAMILIES}
        ordered = {name: strategies[name] for name in strategy_order(strategies)}
        family_scores = {name: family_cells(by_task, families, tasks) for name, by_task in ordered.items()}
        tables.append(RegimeTable(regime, tasks, ordered, family_scores))
    return tables


def _points(cell: Cell | None, signed: bool = False) -> str:
    if cell is None:
        return ""
    sign = "+" if signed else ""
    text = f"{100 * cell.mean:{sign}.2f}"
    return text + (f" ± {100 * cell.std:.2f}" if len(cell.by_seed) > 1 else "")


def _seeds(cells: Iterable[Cell]) -> str:
    seeds = sorted({seed for cell in cells for seed in cell.by_seed})
    return ",".join(str(seed) for seed in seeds)


def render_markdown(tables: list[RegimeTable]) -> str:
    """Render every regime as a family summary followed by per-task scores (points, 0-100)."""
    lines = [
        "Scores in points (0-100): entity F1 for NER, accuracy for TC; mean ± sample standard deviation over seeds.",
        "Δ: paired difference against `none` over the seeds both rows have. Unless runs of strategy `individual`",
        "are given, `individual` takes its NER tasks from the `ner` row and its TC tasks from the `tc` row.",
        "",
    ]
    for table in tables:
        lines += [f"## {table.regime.title}", ""]
        header = "| strategy | seeds |"
        rule = "|---|---|"
        for family in FAMILIES:
            count = len(table.tasks.get(family, []))
            if count:
                header += f" {family.upper()} mean ({count} tasks) | Δ {family.upper()} |"
                rule += "---:|---:|"
        lines += [header, rule]
        for strategy, by_task in table.strategies.items():
            row = f"| {strategy} | {_seeds(by_task.values())} |"
            for family in FAMILIES:
                if table.tasks.get(family):
                    cell = table.families[strategy].get(family)
                    row += f" {_points(cell)} | {_points(table.delta(strategy, f'mean:{family}'), signed=True)} |"
            lines.append(row)

        lines += ["", "| task | family | " + " | ".join(table.strategies) + " |", "|---|---|" + "---:|" * len(table.strategies)]
        for family in FAMILIES:
            for task in table.tasks.get(family, []):
                scores = " | ".join(_points(by_task.get(task)) for by_task in table.strategies.values())
                lines.append(f"| {task} | {family} | {scores} |")
        lines.append("")
    return "\n".join(lines)


CSV_COLUMNS = ["mode", "train_fraction", "strategy", "family", "task", "seeds", "mean", "std", "delta_vs_none", "delta_std"]


def render_csv(tables: list[RegimeTable]) -> str:
    """Render every number in long format: one row per regime, strategy and task or family mean (scores 0-1)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in tables:
        for strategy, by_task in table.strategies.items():
            rows = [(family, task, by_task[task]) for family in FAMILIES for task in table.tasks.get(family, []) if task in by_task]
            rows += [(family, f"mean:{family}", cell) for family, cell in table.families[strategy].items()]
            for family, name, cell in rows:
                delta = table.delta(strategy, name)
                writer.writerow([
                    table.regime.mode, table.regime.fraction, strategy, family, name, len(cell.by_seed),
                    f"{cell.mean:.6f}", f"{cell.std:.6f}",
                    f"{delta.mean:.6f}" if delta else "", f"{delta.std:.6f}" if delta else "",
                ])
    return buffer.getvalue()


def load_diagnostics(run_dirs: Iterable[Path]) -> list[dict]:
    """Read the interference measurements copied into each run folder, once per strategy and seed.

    Every job of a sweep that reuses one pre-finetuning artifact contains a copy of its measurements.
    """
    found: dict[tuple[str, int, str], dict] = {}
    for run_dir in run_dirs:
        for path in sorted(run_dir.rglob("pretrain/*/diagnostics.json")):
            record = _read_json(path, "diagnostics file")
            missing = [key for key in ("strategy", "seed", "steps") if key not in record]
            if missing:
                raise ValueError(f"diagnostics file {path} lacks {missing}; delete it or rerun its pre-finetuning")
            found.setdefault((record["strategy"], record["seed"], str(record.get("config_hash"))), record)
    return [found[key] for key in sorted(found)]
