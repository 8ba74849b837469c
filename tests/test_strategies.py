"""Each strategy's trainable parameters during pre-finetuning and downstream, and its start points."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from omegaconf import open_dict

from lightning_modules import pretrain_stage
from lightning_modules.backbone import load_backbone, load_tokenizer
from lightning_modules.downstream_module import DownstreamModule
from lightning_modules.downstream_stage import TASK_ADAPTER, build_task_encoder
from lightning_modules.encoder import AdaptedEncoder, adapter_of, build_lora_config
from lightning_modules.pretrain_module import PretrainModule
from lightning_modules.pretrain_stage import StartPoint, start_points
from lightning_modules.strategies import STRATEGIES, get_strategy

# strategy: (backbone trained, trainable adapters, tagging head present)
EXPECTED = {
    "ner": (True, set(), True),
    "tc": (True, set(), False),
    "naive": (True, set(), True),
    "tpl": (True, {"ner", "tc"}, True),
    "shared_lora": (True, {"shared"}, True),
    "tpl_frozen": (False, {"ner", "tc"}, True),
}


@pytest.fixture()
def cfg(compose_config):
    return compose_config(["debug=tiny"])


def _pretrain_module(cfg, name: str) -> PretrainModule:
    strategy = get_strategy(name)
    backbone = load_backbone(cfg.backbone, seed=0)
    lora = build_lora_config(cfg.adapter, backbone.config.num_hidden_layers) if strategy.adapter_names else None
    return PretrainModule(AdaptedEncoder(backbone, strategy.adapter_names, lora), strategy, cfg.pretrain, num_silver_tags=5)


def _trainable_owners(encoder: AdaptedEncoder) -> tuple[bool, bool, set[str]]:
    """Return (every backbone parameter trainable, any backbone parameter trainable, adapters with trainable parameters)."""
    backbone = [p.requires_grad for p in encoder.backbone_parameters()]
    adapters = {adapter_of(name) for name, p in encoder.named_parameters() if p.requires_grad and adapter_of(name)}
    return all(backbone), any(backbone), adapters


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pretraining_trainable_parameters(cfg, name):
    module = _pretrain_module(cfg, name)
    train_backbone, adapters, has_head = EXPECTED[name]

    all_backbone, any_backbone, trainable_adapters = _trainable_owners(module.encoder)
    assert all_backbone is train_backbone
    assert any_backbone is train_backbone
    assert trainable_adapters == adapters
    assert (module.tagging_head is not None) is has_head


@pytest.mark.parametrize("name", ["tpl", "shared_lora", "tpl_frozen"])
def test_routing_keeps_trainable_set(cfg, name):
    module = _pretrain_module(cfg, name)
    before = _trainable_owners(module.encoder)
    inputs = {"input_ids": torch.tensor([[2, 5, 6, 3]]), "attention_mask": torch.ones(1, 4, dtype=torch.long)}
    for family in module.strategy.families:
        module._encode(family, inputs)
        assert _trainable_owners(module.encoder) == before


def test_expected_table_covers_strategies():
    with_stage = {name for name, strategy in STRATEGIES.items() if strategy.families}
    assert with_stage == set(EXPECTED)


def test_interference_needs_shared_trained_backbone():
    measurable = {name for name, strategy in STRATEGIES.items() if strategy.interference_measurable}
    assert measurable == {"naive", "tpl", "shared_lora"}


@pytest.mark.parametrize(
    ("mode", "all_backbone", "any_backbone", "adapters"),
    [("lora", False, False, {TASK_ADAPTER}), ("linear", False, False, set()), ("full", True, True, set())],
)
def test_downstream_mode_trainable_parameters(cfg, mode, all_backbone, any_backbone, adapters):
    with open_dict(cfg):
        cfg.downstream.mode = mode
    encoder = build_task_encoder(cfg, start=None)
    assert _trainable_owners(encoder) == (all_backbone, any_backbone, adapters)


def test_task_lora_starts_from_primary_adapter(cfg, tmp_path):
    pretrained = _pretrain_module(cfg, "tpl").encoder
    with torch.no_grad():
        for name, parameter in pretrained.named_parameters():
            if adapter_of(name):
                parameter.normal_(std=0.05)
    pretrained.save_backbone(tmp_path / "backbone")
    load_tokenizer(cfg.backbone).save_pretrained(tmp_path / "backbone")
    pretrained.save_adapters(tmp_path / "adapters")

    encoder = build_task_encoder(cfg, StartPoint(tmp_path, "key", "tc"))

    source = {name.replace(".tc.", "."): p for name, p in pretrained.named_parameters() if adapter_of(name) == "tc"}
    loaded = {name.replace(f".{TASK_ADAPTER}.", "."): p for name, p in encoder.named_parameters() if adapter_of(name) == TASK_ADAPTER}
    assert source.keys() == loaded.keys()
    for name in source:
        assert torch.equal(source[name], loaded[name]), name


def test_fresh_task_lora_has_zero_b(cfg):
    encoder = build_task_encoder(cfg, start=None)
    lora_b = [p for name, p in encoder.named_parameters() if ".lora_B." in name]
    assert lora_b
    assert all(torch.count_nonzero(p) == 0 for p in lora_b)


def test_individual_family_start_points(cfg, monkeypatch, tmp_path):
    calls = []

    def fake_run(source_cfg, strategy, tokenizer, run_dir, repo_dir):
        calls.append((source_cfg.pretrain.strategy, strategy.name))
        return Path(tmp_path / strategy.name)

    monkeypatch.setattr(pretrain_stage, "run_pretraining", fake_run)
    with open_dict(cfg):
        cfg.pretrain.strategy = "individual"
    points = start_points(cfg, get_strategy("individual"), None, tmp_path, tmp_path)

    assert calls == [("ner", "ner"), ("tc", "tc")]
    assert points["ner"].artifact == tmp_path / "ner"
    assert points["tc"].artifact == tmp_path / "tc"
    assert points["ner"].adapter is None
    assert points["ner"].pretrain_key != points["tc"].pretrain_key


def test_individual_reuses_source_artifacts(cfg):
    individual = pretrain_stage.source_config(cfg, "ner")
    with open_dict(cfg):
        cfg.pretrain.strategy = "ner"
    assert pretrain_stage.pretrain_key(individual) == pretrain_stage.pretrain_key(cfg)


def _key(cfg, strategy: str, *overrides: tuple[str, object]) -> str:
    changed = cfg.copy()
    with open_dict(changed):
        changed.pretrain.strategy = strategy
        for path, value in overrides:
            node = changed
            *parents, last = path.split(".")
            for part in parents:
                node = node[part]
            node[last] = value
    return pretrain_stage.pretrain_key(changed)


@pytest.mark.parametrize(
    ("strategy", "setting", "value", "changes"),
    [
        ("ner", "pretrain.tc.temperature", 0.1, False),
        ("ner", "pretrain.mixing", "proportional", False),
        ("ner", "adapter.rank", 4, False),
        ("ner", "pretrain.ner.max_sentences", 100, True),
        ("tc", "pretrain.ner.teacher", "other", False),
        ("tc", "pretrain.tc.temperature", 0.1, True),
        ("tpl", "pretrain.tc.temperature", 0.1, True),
        ("tpl", "pretrain.mixing", "proportional", True),
        ("tpl", "adapter.rank", 4, True),
        ("tpl_frozen", "pretrain.diagnostics.every_n_steps", 5, False),
        ("naive", "pretrain.diagnostics.every_n_steps", 5, True),
    ],
)
def test_pretrain_key_follows_relevant_settings(cfg, strategy, setting, value, changes):
    assert (_key(cfg, strategy) != _key(cfg, strategy, (setting, value))) is changes


@pytest.mark.parametrize(("mode", "group_lrs"), [("full", [5.0e-5, 2.0e-3]), ("lora", [2.0e-3]), ("linear", [2.0e-3])])
def test_downstream_learning_rate_groups(cfg, monkeypatch, mode, group_lrs):
    with open_dict(cfg):
        cfg.downstream.mode = mode
    encoder = build_task_encoder(cfg, start=None)
    adapter = TASK_ADAPTER if mode == "lora" else None
    module = DownstreamModule(encoder, "tc", ["a", "b"], cfg.downstream, adapter=adapter)
    monkeypatch.setattr(DownstreamModule, "trainer", SimpleNamespace(max_steps=10))

    optimizer = module.configure_optimizers()["optimizer"]

    assert [group["initial_lr"] for group in optimizer.param_groups] == group_lrs
    if mode == "full":
        backbone = {id(p) for p in encoder.backbone_parameters()}
        assert {id(p) for p in optimizer.param_groups[0]["params"]} == backbone
