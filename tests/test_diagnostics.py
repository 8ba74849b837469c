"""Interference diagnostics: gradient cosine and conflict share between two families."""

from __future__ import annotations

import math

import pytest
import pytorch_lightning as pl
import torch

from datamodules.mixing import MixedFamilyLoader
from lightning_modules.backbone import load_backbone, load_tokenizer
from lightning_modules.diagnostics import gradient_agreement, layer_group, parameter_gradients
from lightning_modules.pretrain_module import PretrainModule
from tests.test_encoder_routing import _one_family_loader, _tpl_module


def _gradients(scale: float = 1.0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    names = ["bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.output.dense.weight",
             "bert.encoder.layer.1.output.dense.weight"]
    return {name: scale * torch.randn(4, 3, generator=generator) for name in names}


def test_identical_gradients_have_cosine_one():
    agreement = gradient_agreement(_gradients(), _gradients())
    assert agreement["cosine"] == pytest.approx(1.0)
    assert agreement["conflict_share"] == 0.0
    assert all(value == pytest.approx(1.0) for value in agreement["layers"].values())


def test_opposite_gradients_have_cosine_minus_one():
    agreement = gradient_agreement(_gradients(), _gradients(scale=-1.0))
    assert agreement["cosine"] == pytest.approx(-1.0)
    assert agreement["conflict_share"] == 1.0
    assert set(agreement["layers"]) == {"embeddings", "layer_0", "layer_1"}


def test_conflict_share_counts_tensors():
    first = _gradients()
    second = {name: (-g if "layer.1." in name else g) for name, g in first.items()}
    agreement = gradient_agreement(first, second)
    assert agreement["conflict_share"] == pytest.approx(1 / 3)
    assert agreement["layers"]["layer_1"] == pytest.approx(-1.0)
    assert agreement["layers"]["layer_0"] == pytest.approx(1.0)


def test_zero_gradient_gives_nan_cosine():
    zero = {name: torch.zeros_like(g) for name, g in _gradients().items()}
    agreement = gradient_agreement(_gradients(), zero)
    assert math.isnan(agreement["cosine"])
    assert agreement["tensors"] == 0


def test_disjoint_gradients_are_rejected():
    with pytest.raises(ValueError, match="share no parameter"):
        gradient_agreement({"a": torch.ones(2)}, {"b": torch.ones(2)})


@pytest.mark.parametrize(("name", "group"), [
    ("base_model.model.encoder.layer.11.attention.self.query.base_layer.weight", "layer_11"),
    ("transformer.layer.3.ffn.lin1.weight", "layer_3"),
    ("embeddings.LayerNorm.weight", "embeddings"),
    ("pooler.dense.bias", "other"),
])
def test_layer_group(name, group):
    assert layer_group(name) == group


@pytest.mark.parametrize(("sign", "expected"), [(1.0, 1.0), (-1.0, -1.0)])
def test_real_backbone_losses(compose_config, sign, expected):
    backbone = load_backbone(compose_config(["debug=tiny"]).backbone, seed=0).eval()  # no dropout: both losses equal
    parameters = dict(backbone.named_parameters())
    input_ids = torch.tensor([[2, 7, 8, 9, 3]])

    def loss() -> torch.Tensor:
        return backbone(input_ids=input_ids).last_hidden_state.pow(2).mean()

    first = parameter_gradients(loss(), parameters)
    second = parameter_gradients(sign * loss(), parameters)
    agreement = gradient_agreement(first, second)

    assert agreement["cosine"] == pytest.approx(expected, abs=1e-6)
    assert agreement["tensors"] > 10
    assert all(p.grad is None for p in backbone.parameters())


class _ProbeData(pl.LightningDataModule):
    """Two-family training data plus the fixed probe batches that the diagnostics read."""

    def __init__(self, loaders: dict, probes: dict):
        super().__init__()
        self.loaders, self.probes = loaders, probes

    def train_dataloader(self):
        return MixedFamilyLoader(self.loaders, ["ner", "tc", "ner", "tc"])

    def probe_batches(self) -> dict:
        return self.probes


def _train_tpl(compose_config, diagnostics: bool) -> PretrainModule:
    cfg = compose_config(["debug=tiny", f"pretrain.diagnostics.enabled={str(diagnostics).lower()}",
                          "pretrain.diagnostics.every_n_steps=1"])
    tokenizer = load_tokenizer(cfg.backbone)
    pl.seed_everything(0)
    module = _tpl_module(cfg)
    loaders = {family: _one_family_loader(family, tokenizer).loaders[family] for family in ("ner", "tc")}
    probes = {family: next(iter(loader)) for family, loader in loaders.items()}
    trainer = pl.Trainer(max_steps=4, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module, datamodule=_ProbeData(loaders, probes))
    return module


def test_diagnostics_leave_training_unchanged(compose_config):
    measured = _train_tpl(compose_config, diagnostics=True)
    plain = _train_tpl(compose_config, diagnostics=False)

    assert [point["step"] for point in measured.diagnostics_history] == [0, 1, 2, 3]
    assert plain.diagnostics_history == []
    assert all(-1.0 <= point["cosine"] <= 1.0 for point in measured.diagnostics_history)
    for (name, first), (_, second) in zip(measured.named_parameters(), plain.named_parameters(), strict=True):
        assert torch.equal(first, second), name
