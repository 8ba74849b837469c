"""Task-primary LoRA routing: a batch of one family updates the backbone and that family's adapter only."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader
from transformers import DataCollatorForTokenClassification

from datamodules.encoding import PairCollator, encode_ner, encode_pairs
from datamodules.examples import NerExample, TextPair
from datamodules.mixing import SUM_STEP, MixedFamilyLoader
from lightning_modules.backbone import load_backbone, load_tokenizer
from lightning_modules.encoder import AdaptedEncoder, adapted_layer_indices, adapter_of, build_lora_config
from lightning_modules.pretrain_module import PretrainModule
from lightning_modules.strategies import get_strategy

TAGS = ["O", "B-PERSON", "I-PERSON", "B-GPE", "I-GPE"]


@pytest.fixture()
def cfg(compose_config):
    return compose_config(["debug=tiny", "adapter.dropout=0.0"])


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: parameter.detach().clone() for name, parameter in module.named_parameters()}


def _changed(before: dict, after: dict, names: list[str]) -> list[str]:
    return [name for name in names if not torch.equal(before[name], after[name])]


def _group(module: torch.nn.Module, owner: str | None) -> list[str]:
    return [name for name, _ in module.encoder.named_parameters() if adapter_of(name) == owner]


def _one_family_loader(family: str, tokenizer) -> MixedFamilyLoader:
    if family == "ner":
        examples = [NerExample(("Barack", "Obama", "visited", "Paris", "."), ("B-PERSON", "I-PERSON", "O", "B-GPE", "O"))] * 4
        features, _ = encode_ner(tokenizer, examples, {t: i for i, t in enumerate(TAGS)}, max_length=32)
        loader = DataLoader(features, batch_size=4, collate_fn=DataCollatorForTokenClassification(tokenizer))
    else:
        pairs = [TextPair(f"term {i}", f"a definition of term number {i}") for i in range(4)]
        loader = DataLoader(encode_pairs(tokenizer, pairs, max_length=32), batch_size=4, collate_fn=PairCollator(tokenizer))
    return MixedFamilyLoader({family: loader}, [family])


def _tpl_module(cfg) -> PretrainModule:
    backbone = load_backbone(cfg.backbone, seed=0)
    strategy = get_strategy("tpl")
    lora = build_lora_config(cfg.adapter, backbone.config.num_hidden_layers)
    encoder = AdaptedEncoder(backbone, strategy.adapter_names, lora)
    # LoRA starts with B = 0, which would hide a wrong gradient path; give B non-zero values.
    with torch.no_grad():
        for name, parameter in encoder.named_parameters():
            if ".lora_B." in name:
                parameter.normal_(std=0.02)
    return PretrainModule(encoder, strategy, cfg.pretrain, num_silver_tags=len(TAGS))


def _fit_one_step(module: PretrainModule, loader: MixedFamilyLoader) -> tuple[dict, dict]:
    """Train one step and return the parameters before and after it."""
    before = _snapshot(module)
    trainer = pl.Trainer(max_steps=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module, train_dataloaders=loader)
    return before, _snapshot(module)


def _train_one_step(cfg, family: str):
    module = _tpl_module(cfg)
    before, after = _fit_one_step(module, _one_family_loader(family, load_tokenizer(cfg.backbone)))
    return module, before, after


@pytest.mark.parametrize(("family", "other"), [("ner", "tc"), ("tc", "ner")])
def test_step_updates_own_adapter_only(cfg, family, other):
    module, before, after = _train_one_step(cfg, family)
    prefixed = lambda names: [f"encoder.{name}" for name in names]  # noqa: E731

    assert _changed(before, after, prefixed(_group(module, other))) == []
    assert _changed(before, after, prefixed(_group(module, family)))
    assert _changed(before, after, prefixed(_group(module, None)))


def test_routing_keeps_both_adapters_trainable(cfg):
    module, _, _ = _train_one_step(cfg, "ner")
    for adapter in ("ner", "tc"):
        assert all(p.requires_grad for p in module.encoder.adapter_parameters(adapter)), adapter
    assert all(p.requires_grad for p in module.encoder.backbone_parameters())


def test_adapters_cover_last_third_of_layers(cfg):
    backbone = load_backbone(cfg.backbone, seed=0)
    encoder = AdaptedEncoder(backbone, ["ner"], build_lora_config(cfg.adapter, 3))
    layers = {int(name.split(".layer.")[1].split(".")[0]) for name, _ in encoder.named_parameters() if adapter_of(name)}
    modules = {name.split(".lora_")[0].split(".layer.2.")[1] for name, _ in encoder.named_parameters() if adapter_of(name)}

    assert layers == {2}
    assert modules == {"attention.self.query", "attention.self.key", "attention.self.value",
                       "attention.output.dense", "intermediate.dense", "output.dense"}


@pytest.mark.parametrize(("layers", "requested", "expected"), [(6, None, [4, 5]), (12, None, [8, 9, 10, 11]),
                                                                (2, None, [1]), (6, 1, [5]), (6, 6, list(range(6)))])
def test_adapted_layer_indices(layers, requested, expected):
    assert adapted_layer_indices(layers, requested) == expected


@pytest.mark.parametrize("requested", [0, 7])
def test_adapted_layer_indices_rejects_out_of_range(requested):
    with pytest.raises(ValueError, match="adapter.num_layers"):
        adapted_layer_indices(6, requested)


def test_non_finite_loss_stops_pretraining(cfg):
    tokenizer = load_tokenizer(cfg.backbone)
    strategy = get_strategy("tpl")
    backbone = load_backbone(cfg.backbone, seed=0)
    encoder = AdaptedEncoder(backbone, strategy.adapter_names, build_lora_config(cfg.adapter, 3))
    module = PretrainModule(encoder, strategy, cfg.pretrain, num_silver_tags=len(TAGS))
    with torch.no_grad():
        module.tagging_head.classifier.weight.fill_(float("nan"))
    trainer = pl.Trainer(max_steps=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)

    with pytest.raises(FloatingPointError, match="pre-finetuning ner loss is nan"):
        trainer.fit(module, train_dataloaders=_one_family_loader("ner", tokenizer))


def test_sum_step_updates_both_adapters(cfg):
    tokenizer = load_tokenizer(cfg.backbone)
    module = _tpl_module(cfg)
    loaders = {family: _one_family_loader(family, tokenizer).loaders[family] for family in ("ner", "tc")}

    before, after = _fit_one_step(module, MixedFamilyLoader(loaders, [SUM_STEP]))

    assert module.steps_per_family == {"ner": 1, "tc": 1}
    for family in ("ner", "tc"):
        assert _changed(before, after, [f"encoder.{name}" for name in _group(module, family)]), family
