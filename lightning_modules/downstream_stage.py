"""One downstream job: adapt the pre-finetuned backbone to a task, select on dev, score on test."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig
from pytorch_lightning.callbacks import ModelCheckpoint
from transformers import PreTrainedTokenizerBase

from datamodules.feature_cache import features_key
from datamodules.task_datamodule import TaskDataModule
from datamodules.tasks import TaskSpec, resolve_task_paths
from lightning_modules.backbone import load_backbone, load_saved_backbone
from lightning_modules.downstream_module import DownstreamModule
from lightning_modules.encoder import AdaptedEncoder, build_lora_config
from lightning_modules.loggers import build_loggers, finish_loggers
from lightning_modules.pretrain_stage import StartPoint
from lightning_modules.run_info import config_hash, git_commit, package_versions, write_json
from lightning_modules.strategies import Strategy

log = logging.getLogger(__name__)

DOWNSTREAM_MODES = ("lora", "linear", "full")
TASK_ADAPTER = "task"


def downstream_key(cfg: DictConfig, task: TaskSpec, pretrain_key: str | None) -> str:
    """Hash of everything that determines one task's result."""
    run = {"pretrain": pretrain_key, "seed": cfg.seed, "precision": str(cfg.trainer.precision)}
    return config_hash(cfg.downstream, cfg.adapter, task_record(task), run)


def task_record(task: TaskSpec) -> dict:
    """Return the task's settings without the location of its YAML file, which differs between checkouts."""
    return {key: value for key, value in dataclasses.asdict(task).items() if key != "record_path"}


def build_task_encoder(cfg: DictConfig, start: StartPoint | None) -> AdaptedEncoder:
    """Build the encoder of one task from its start point (None: the pretrained backbone).

    ``lora``: frozen backbone plus a LoRA, initialised from the start point's adapter when it has one
    and fresh (B = 0) otherwise; ``linear``: frozen backbone, only the head learns; ``full``: the
    whole backbone learns.
    """
    mode = cfg.downstream.mode
    if mode not in DOWNSTREAM_MODES:
        raise ValueError(f"downstream.mode={mode!r} is not one of {DOWNSTREAM_MODES}")
    backbone = load_saved_backbone(start.artifact / "backbone") if start else load_backbone(cfg.backbone, seed=cfg.seed)

    if mode != "lora":
        encoder = AdaptedEncoder(backbone)
        encoder.set_trainable(backbone=mode == "full", adapters=())
        return encoder

    encoder = AdaptedEncoder(backbone, [TASK_ADAPTER], build_lora_config(cfg.adapter, backbone.config.num_hidden_layers))
    if start and start.adapter:
        encoder.load_adapter_weights(start.artifact / "adapters" / start.adapter, into=TASK_ADAPTER)
    encoder.set_trainable(backbone=False, adapters=[TASK_ADAPTER])
    return encoder


def _previous_result(path: Path, key: str) -> dict | None:
    """Return the stored result when it was computed with configuration hash ``key``."""
    if not path.is_file():
        return None
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        log.warning("Ignoring unreadable result file %s (%s); the task runs again", path, error)
        return None
    if previous.get("config_hash") != key:
        log.warning(
            "Result file %s was computed with another configuration (hash %s, now %s); the task runs again "
            "and the file is replaced", path, previous.get("config_hash"), key,
        )
        return None
    log.info("Reusing result of %s from %s", previous.get("task"), path)
    return previous


def feature_cache_path(cfg: DictConfig, task: TaskSpec, tokenizer, labels: list[str]) -> Path:
    """Path of the tokenized-feature cache of one task under the current settings."""
    data_dir = Path(cfg.paths.data_dir)
    files = [path for key in task.files for path in resolve_task_paths(task, key, data_dir)]
    settings = {
        "task": task_record(task),
        "labels": labels,
        "max_length": cfg.downstream.max_length,
        "window_overlap": cfg.downstream.window_overlap,
        "train_fraction": cfg.downstream.train_fraction,
        "max_train_examples": cfg.downstream.max_train_examples,
        "max_dev_examples": cfg.downstream.max_dev_examples,
        "seed": cfg.seed,
    }
    return Path(cfg.paths.cache_dir) / "features" / f"{task.name}-{features_key(files, tokenizer, settings)}.pkl"


def training_steps(num_train_examples: int, downstream: DictConfig) -> int:
    """Return the step budget: ``max_steps``, or fewer when ``max_epochs`` passes over a small training set end first."""
    if downstream.max_epochs is None:
        return downstream.max_steps
    batches_per_epoch = math.ceil(num_train_examples / downstream.batch_size)
    return max(1, min(downstream.max_steps, downstream.max_epochs * batches_per_epoch))


def majority_baseline(family: str, splits: dict[str, list]) -> float | None:
    """Test accuracy of always predicting the most frequent training label (TC only)."""
    if family != "tc":
        return None
    majority, _ = Counter(example.label for example in splits["train"]).most_common(1)[0]
    return sum(example.label == majority for example in splits["test"]) / len(splits["test"])


@dataclass(frozen=True)
class TaskData:
    """A task record with its loaded splits and label list."""

    spec: TaskSpec
    splits: dict[str, list]
    labels: list[str]


def run_task(
    cfg: DictConfig,
    data: TaskData,
    tokenizer: PreTrainedTokenizerBase,
    strategy: Strategy,
    start: StartPoint | None,
    run_dir: Path,
    repo_dir: Path,
) -> dict:
    """Train and evaluate one task; write ``results/<task>.json`` and return its content.

    A result file with the same configuration hash is reused, so rerunning a run folder resumes it.
    """
    task, splits, labels = data.spec, data.splits, data.labels
    result_path = run_dir / "results" / f"{task.name}.json"
    pretrain_key = start.pretrain_key if start else None
    key = downstream_key(cfg, task, pretrain_key)
    previous = _previous_result(result_path, key)
    if previous is not None:
        return previous

    started = time.perf_counter()
    cache_path = feature_cache_path(cfg, task, tokenizer, labels)
    datamodule = TaskDataModule(task.family, splits, labels, tokenizer, cfg.downstream, seed=cfg.seed, cache_path=cache_path)
    encoder = build_task_encoder(cfg, start)
    adapter = TASK_ADAPTER if cfg.downstream.mode == "lora" else None
    module = DownstreamModule(encoder, task.family, labels, cfg.downstream, adapter=adapter)
    log.info("Task %s (%s) starts: %s examples, %d labels", task.name, task.family,
             {split: len(examples) for split, examples in datamodule.examples.items()}, len(labels))

    metric = task.metric
    checkpoint = ModelCheckpoint(
        dirpath=str(run_dir / "checkpoints" / task.name), monitor=f"dev/{metric}", mode="max",
        save_top_k=1, save_weights_only=True, filename="best",
    )
    tags = [
        f"strategy:{strategy.name}", f"task:{task.name}", f"family:{task.family}", f"seed:{cfg.seed}",
        f"fraction:{cfg.downstream.train_fraction}", f"mode:{cfg.downstream.mode}",
    ]
    loggers = build_loggers(cfg, run_dir, task.name, "downstream", tags)
    try:
        max_steps = training_steps(len(datamodule.examples["train"]), cfg.downstream)
        trainer = pl.Trainer(
            **cfg.trainer, max_steps=max_steps, logger=loggers, callbacks=[checkpoint],
            val_check_interval=min(cfg.downstream.val_check_interval, max_steps), check_val_every_n_epoch=None,
            num_sanity_val_steps=0, default_root_dir=str(run_dir),
        )
        trainer.fit(module, datamodule=datamodule)
        fit_seconds = time.perf_counter() - started
        trainer.test(module, datamodule=datamodule, ckpt_path="best")
    finally:
        finish_loggers(loggers)

    result = {
        "task": task.name,
        "family": task.family,
        "metric": metric,
        "score": module.scores["test"][metric],
        "test": module.scores["test"],
        "dev_best": round(float(checkpoint.best_model_score), 6) if checkpoint.best_model_score is not None else None,
        "majority_baseline": majority_baseline(task.family, splits),
        "strategy": strategy.name,
        "downstream_mode": cfg.downstream.mode,
        "train_fraction": cfg.downstream.train_fraction,
        "initial_adapter": start.adapter if start and cfg.downstream.mode == "lora" else None,
        "precision": str(cfg.trainer.precision),
        "seed": cfg.seed,
        "backbone": cfg.backbone.name,
        "sizes": {
            **{f"{split}_examples": len(examples) for split, examples in datamodule.examples.items()},
            "labels": len(labels),
            "trainable_parameters": sum(p.numel() for p in module.parameters() if p.requires_grad),
            "total_parameters": sum(p.numel() for p in module.parameters()),
        },
        "training_steps": max_steps,
        "timings": {"fit_seconds": round(fit_seconds, 1), "total_seconds": round(time.perf_counter() - started, 1)},
        "config_hash": key,
        "pretrain_config_hash": pretrain_key,
        "git_commit": git_commit(repo_dir),
        "packages": package_versions(),
    }
    write_json(result_path, result)
    log.info("Task %s done in %.0f s: test %s = %.4f", task.name, result["timings"]["total_seconds"], metric, result["score"])
    return result
