"""Configuration checks that run before any stage: each bad value is named with its key."""

from __future__ import annotations

import pytest

from lightning_modules.config_checks import ConfigError, check_config, check_strategy
from lightning_modules.pretrain_stage import check_objectives
from lightning_modules.strategies import get_strategy


def test_unknown_objective_is_rejected(compose_config):
    cfg = compose_config(["pretrain.ner.objective=distillation"])

    with pytest.raises(ValueError, match="pretrain.ner.objective='distillation'"):
        check_objectives(cfg, get_strategy("tpl"))


def test_default_config_passes(compose_config):
    check_config(compose_config(), get_strategy("tpl"))


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("downstream.mode=foo", "downstream.mode"),
        ("downstream.max_steps=0", "downstream.max_steps"),
        ("downstream.batch_size=0", "downstream.batch_size"),
        ("downstream.val_check_interval=0", "downstream.val_check_interval"),
        ("downstream.max_train_examples=0", "downstream.max_train_examples"),
        ("downstream.lr=-1", "downstream.lr"),
        ("downstream.window_overlap=500", "downstream.window_overlap"),
        ("pretrain.max_steps=0", "pretrain.max_steps"),
        ("pretrain.tc.temperature=0", "pretrain.tc.temperature"),
        ("pretrain.loss_weights.ner=-1", "pretrain.loss_weights.ner"),
        ("pretrain.mixing=foo", "pretrain.mixing"),
        ("adapter.rank=0", "adapter.rank"),
        ("seed=abc", "seed"),
        ("logger.wandb.mode=foo", "logger.wandb.mode"),
        ("suite.tasks=[]", "suite.tasks"),
        ("suite.tasks=[trec,trec]", "suite.tasks"),
        ("trainer.precision=bogus", "trainer.precision"),
        ("pretrain.loss_weights.ner=true", "pretrain.loss_weights.ner"),
        ("downstream.train_fraction=0", "downstream.train_fraction"),
        ("downstream.train_fraction=1.5", "downstream.train_fraction"),
        ("downstream.lr_backbone=0", "downstream.lr_backbone"),
        ("pretrain.diagnostics.every_n_steps=0", "pretrain.diagnostics.every_n_steps"),
    ],
)
def test_invalid_value_names_its_key(compose_config, override, key):
    cfg = compose_config([override])

    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        check_config(cfg, get_strategy("tpl"))


def test_strategy_none_skips_pretrain_checks(compose_config):
    check_config(compose_config(["pretrain.max_steps=0"]), get_strategy("none"))


def test_all_zero_loss_weights_are_rejected(compose_config):
    cfg = compose_config(["pretrain.loss_weights.ner=0", "pretrain.loss_weights.tc=0"])

    with pytest.raises(ConfigError, match="pretrain.loss_weights.*at least one positive weight"):
        check_config(cfg, get_strategy("tpl"))


def test_unused_family_weight_accepted(compose_config):
    check_config(compose_config(["pretrain.loss_weights.tc=0"]), get_strategy("ner"))


def test_unknown_strategy_lists_valid_names():
    with pytest.raises(ConfigError, match=r"pretrain.strategy='foo'.*individual.*tpl_frozen"):
        check_strategy("foo")


@pytest.mark.parametrize("precision", ["auto", "bf16-mixed", "32-true", 32, "16-mixed"])
def test_known_precisions_are_accepted(compose_config, precision):
    check_config(compose_config([f"trainer.precision={precision}"]), get_strategy("tpl"))
