"""Entry point: ``python train.py [overrides]`` or ``python train.py -m key=a,b`` for sweeps."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

REPO_DIR = Path(__file__).resolve().parent
os.environ.setdefault("PROJECT_ROOT", str(REPO_DIR))

log = logging.getLogger(__name__)


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> None:
    from lightning_modules.experiment import run_experiment
    from lightning_modules.run_info import git_commit

    git_commit(REPO_DIR)  # recorded now, while the checkout matches the imported code

    log.info("Configuration:\n%s", OmegaConf.to_yaml(cfg, resolve=True))
    run_experiment(cfg, REPO_DIR)


if __name__ == "__main__":
    main()
