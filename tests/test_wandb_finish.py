"""A downstream job that fails still finishes its wandb run."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
from omegaconf import open_dict

from datamodules.tasks import TaskRegistry, load_task_splits, task_labels
from lightning_modules.backbone import load_tokenizer
from lightning_modules.downstream_stage import TaskData, run_task
from lightning_modules.strategies import get_strategy


def test_failed_task_finishes_wandb_run(compose_config, data_dir, tmp_path, monkeypatch):
    wandb = pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    cfg = compose_config(["debug=tiny", "logger.wandb.enabled=true", "trainer.precision=32-true"])
    with open_dict(cfg):
        cfg.paths.data_dir = str(data_dir)
        cfg.paths.cache_dir = str(tmp_path / "cache")
    spec = TaskRegistry(cfg.tasks_dir).get("trec")
    splits = load_task_splits(spec, data_dir)
    task = TaskData(spec, splits, task_labels(spec, splits))

    def failing_fit(self, *args, **kwargs):
        for logger in self.loggers:
            logger.experiment  # noqa: B018 - starts the wandb run, as training would
        assert wandb.run is not None
        raise RuntimeError("simulated failure during training")

    monkeypatch.setattr(pl.Trainer, "fit", failing_fit)
    with pytest.raises(RuntimeError, match="simulated failure"):
        run_task(cfg, task, load_tokenizer(cfg.backbone), get_strategy("none"), None, tmp_path / "run", tmp_path)

    assert wandb.run is None
    assert not (tmp_path / "run" / "results" / "trec.json").exists()
    assert list((tmp_path / "run" / "wandb").glob("offline-run-*"))
