"""Checks of the composed configuration, run before any model is loaded or any stage starts.

A bad value found here costs seconds; found after pre-finetuning it would cost the whole stage.
"""

from __future__ import annotations

from collections import Counter

from omegaconf import DictConfig

from datamodules.mixing import MIXING_MODES
from lightning_modules.downstream_stage import DOWNSTREAM_MODES
from lightning_modules.precision import PRECISIONS
from lightning_modules.pretrain_stage import check_objectives
from lightning_modules.strategies import STRATEGIES, Strategy, get_strategy

WANDB_MODES = ("offline", "online", "disabled")


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key, the value and the valid range."""


def _require(condition: bool, key: str, value: object, expected: str) -> None:
    if not condition:
        raise ConfigError(f"{key}={value!r} is invalid: expected {expected}")


def _positive_int(cfg: DictConfig, key: str) -> None:
    value = _select(cfg, key)
    _require(isinstance(value, int) and not isinstance(value, bool) and value > 0, key, value, "a positive integer")


def _positive_number(cfg: DictConfig, key: str) -> None:
    value = _select(cfg, key)
    _require(isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0, key, value, "a positive number")


def _select(cfg: DictConfig, key: str) -> object:
    node = cfg
    for part in key.split("."):
        node = node[part]
    return node


def check_suite(cfg: DictConfig) -> None:
    """The suite must name at least one task, each once."""
    tasks = list(cfg.suite.tasks)
    _require(len(tasks) > 0, "suite.tasks", tasks, "at least one task name")
    repeated = sorted(name for name, count in Counter(tasks).items() if count > 1)
    _require(not repeated, "suite.tasks", tasks, f"each task once (repeated: {repeated})")


def check_pretrain(cfg: DictConfig, strategy: Strategy) -> None:
    """Validate the pre-finetuning settings that the strategy uses."""
    if strategy.sources:
        for source in dict.fromkeys(strategy.sources.values()):
            check_pretrain(cfg, get_strategy(source))
        return
    if not strategy.families:
        return
    check_objectives(cfg, strategy)
    for key in ("pretrain.max_steps", "pretrain.max_length"):
        _positive_int(cfg, key)
    for key in ("pretrain.lr_backbone", "pretrain.lr_adapters", "pretrain.tc.temperature"):
        _positive_number(cfg, key)
    _require(cfg.pretrain.mixing in MIXING_MODES, "pretrain.mixing", cfg.pretrain.mixing, f"one of {list(MIXING_MODES)}")
    if cfg.pretrain.mixing == "temperature":
        _positive_number(cfg, "pretrain.mixing_temperature")
    if cfg.pretrain.diagnostics.enabled:
        _positive_int(cfg, "pretrain.diagnostics.every_n_steps")
    for family in strategy.families:
        _positive_int(cfg, f"pretrain.{family}.batch_size")
        weight = cfg.pretrain.loss_weights[family]
        _require(isinstance(weight, (int, float)) and not isinstance(weight, bool) and weight >= 0,
                 f"pretrain.loss_weights.{family}", weight, "a number >= 0")
    weights = {family: cfg.pretrain.loss_weights[family] for family in strategy.families}
    _require(any(weight > 0 for weight in weights.values()), "pretrain.loss_weights", weights,
             "at least one positive weight among the families in use, otherwise pre-finetuning learns nothing")


def check_downstream(cfg: DictConfig) -> None:
    """Validate the downstream adaptation settings shared by every task."""
    mode = cfg.downstream.mode
    _require(mode in DOWNSTREAM_MODES, "downstream.mode", mode, f"one of {list(DOWNSTREAM_MODES)}")
    for key in ("max_steps", "batch_size", "eval_batch_size", "val_check_interval", "max_length"):
        _positive_int(cfg, f"downstream.{key}")
    for key in ("lr", "lr_backbone"):
        _positive_number(cfg, f"downstream.{key}")
    fraction = cfg.downstream.train_fraction
    _require(isinstance(fraction, (int, float)) and not isinstance(fraction, bool) and 0 < fraction <= 1,
             "downstream.train_fraction", fraction, "a number in (0, 1], e.g. 1.0, 0.1 or 0.01")
    for key in ("max_train_examples", "max_dev_examples", "max_epochs"):
        if cfg.downstream[key] is not None:
            _positive_int(cfg, f"downstream.{key}")
    overlap = cfg.downstream.window_overlap
    _require(isinstance(overlap, int) and 0 <= overlap < cfg.downstream.max_length - 2, "downstream.window_overlap",
             overlap, f"an integer from 0 to {cfg.downstream.max_length - 3} (below downstream.max_length)")


def check_strategy(name: str) -> Strategy:
    """Return the strategy called ``name``, or raise ConfigError listing the valid names."""
    _require(name in STRATEGIES, "pretrain.strategy", name, f"one of {sorted(STRATEGIES)}")
    return get_strategy(name)


def check_config(cfg: DictConfig, strategy: Strategy) -> None:
    """Run every check; raise ConfigError on the first invalid value."""
    precision = cfg.trainer.precision
    _require(precision in PRECISIONS, "trainer.precision", precision, f"one of {list(PRECISIONS)}")
    _require(isinstance(cfg.seed, int) and not isinstance(cfg.seed, bool), "seed", cfg.seed, "an integer")
    _positive_int(cfg, "adapter.rank")
    _positive_number(cfg, "adapter.alpha")
    if cfg.logger.wandb.enabled:
        mode = cfg.logger.wandb.mode
        _require(mode in WANDB_MODES, "logger.wandb.mode", mode, f"one of {list(WANDB_MODES)}")
    check_suite(cfg)
    check_pretrain(cfg, strategy)
    check_downstream(cfg)
