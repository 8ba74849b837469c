"""The main job: pre-finetuning, then the downstream fan-out over the suite, then the summary table."""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig

from datamodules.tasks import TaskRegistry, load_task_splits, task_labels
from lightning_modules.backbone import load_tokenizer
from lightning_modules.config_checks import check_config, check_strategy
from lightning_modules.downstream_stage import TaskData, run_task
from lightning_modules.precision import resolve_trainer_precision
from lightning_modules.pretrain_stage import start_points
from lightning_modules.results import summary_markdown

log = logging.getLogger(__name__)


class ExperimentError(RuntimeError):
    """One or more downstream tasks failed; the others' results are kept in the run folder."""


def check_data_dir(cfg: DictConfig) -> Path:
    """Return the data mirror folder, or raise FileNotFoundError explaining how to set it."""
    if cfg.paths.data_dir is None:
        raise FileNotFoundError(
            "the data mirror location is not set: export MTPF_DATA_DIR=/path/to/data (the folder with the "
            "task data sets) or pass paths.data_dir=/path/to/data"
        )
    path = Path(cfg.paths.data_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"paths.data_dir={path} is not a folder; set MTPF_DATA_DIR to the data mirror folder")
    return path


def load_suite(cfg: DictConfig) -> list[TaskData]:
    """Read every task of the suite before training, so a bad file or record fails in seconds."""
    registry = TaskRegistry(Path(cfg.tasks_dir))
    suite = []
    for name in cfg.suite.tasks:
        spec = registry.get(name)
        splits = load_task_splits(spec, Path(cfg.paths.data_dir))
        suite.append(TaskData(spec, splits, task_labels(spec, splits)))
    log.info("Loaded %d tasks: %s", len(suite), ", ".join(task.spec.name for task in suite))
    return suite


def run_experiment(cfg: DictConfig, repo_dir: Path) -> list[dict]:
    """Run pre-finetuning and every downstream task; return the per-task results."""
    started = time.perf_counter()
    check_data_dir(cfg)
    strategy = check_strategy(cfg.pretrain.strategy)
    check_config(cfg, strategy)
    log.info("Numeric precision: %s", resolve_trainer_precision(cfg))
    run_dir = Path(cfg.paths.output_dir)
    tokenizer = load_tokenizer(cfg.backbone)
    suite = load_suite(cfg)
    pl.seed_everything(cfg.seed, workers=True)

    starts = start_points(cfg, strategy, tokenizer, run_dir, repo_dir)

    results, failures = [], []
    for task in suite:
        pl.seed_everything(cfg.seed, workers=True)
        try:
            results.append(run_task(cfg, task, tokenizer, strategy, starts.get(task.spec.family), run_dir, repo_dir))
        except Exception as error:  # one failed task must not discard the results of the others
            log.error("Task %s failed: %s\n%s", task.spec.name, error, traceback.format_exc())
            failures.append(task.spec.name)

    title = f"{cfg.experiment_name} (strategy {strategy.name}, backbone {cfg.backbone.name}, seed {cfg.seed})"
    table = summary_markdown(results, title)
    (run_dir / "summary.md").write_text(table, encoding="utf-8")
    print("\n" + table)
    log.info("Experiment done in %.0f s; run folder %s", time.perf_counter() - started, run_dir)

    if failures:
        kept = f"results of the {len(results)} finished tasks are in {run_dir}" if results else "no task finished"
        raise ExperimentError(f"tasks {failures} failed (see the log above); {kept}")
    return results
