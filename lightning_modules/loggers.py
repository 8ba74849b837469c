"""Experiment loggers for one job (a pre-finetuning stage or one downstream task)."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger, Logger, WandbLogger

log = logging.getLogger(__name__)


def build_loggers(cfg: DictConfig, run_dir: Path, job_name: str, job_type: str, tags: list[str]) -> list[Logger]:
    """Create the CSV logger and the wandb run of one job, grouped by experiment name."""
    loggers: list[Logger] = []
    if cfg.logger.csv.enabled:
        loggers.append(CSVLogger(save_dir=str(run_dir / "csv"), name=job_name, version=""))
    if cfg.logger.wandb.enabled:
        log.info("Instantiating wandb run %s (mode %s)", job_name, cfg.logger.wandb.mode)
        loggers.append(
            WandbLogger(
                project=cfg.logger.wandb.project,
                entity=cfg.logger.wandb.entity,
                name=f"{cfg.experiment_name}/{job_name}",
                group=cfg.experiment_name,
                job_type=job_type,
                tags=tags,
                mode=cfg.logger.wandb.mode,
                save_dir=str(run_dir),
                reinit="finish_previous",
            )
        )
    return loggers


def finish_loggers(loggers: list[Logger]) -> None:
    """Close every logger of a job; called in ``finally`` so a failed job still closes its wandb run."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            import wandb

            wandb.finish()
        else:
            logger.finalize("success")
