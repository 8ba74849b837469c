"""Backbone loading: the bundled offline MiniLM, the tiny random BERT, and clear errors."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from lightning_modules.backbone import BackboneNotFoundError, find_package_folder, load_backbone, load_tokenizer


def test_bundled_minilm_loads_offline():
    cfg = OmegaConf.load("conf/backbone/minilm_l6.yaml")

    backbone = load_backbone(cfg)
    tokenizer = load_tokenizer(cfg)

    assert backbone.config.num_hidden_layers == 6
    assert backbone.config.hidden_size == 384
    assert sum(p.numel() for p in backbone.parameters()) == pytest.approx(22.7e6, rel=0.01)
    assert len(tokenizer) == 30522  # a full WordPiece vocabulary, not a few special tokens


def test_tiny_random_backbone_uses_bundled_tokenizer():
    cfg = OmegaConf.load("conf/backbone/tiny_random.yaml")

    backbone = load_backbone(cfg, seed=0)

    assert backbone.config.hidden_size == 32
    assert backbone.config.vocab_size == len(load_tokenizer(cfg))


def test_missing_package_names_install_command():
    with pytest.raises(BackboneNotFoundError, match="make install"):
        find_package_folder([{"package": "no_such_package_mtpf", "folder": "model"}])


def test_unloadable_hub_backbone_explains_offline_option(tmp_path):
    cfg = OmegaConf.create({"name": "x", "source": "hub", "hub_id": str(tmp_path / "missing"), "revision": None})

    with pytest.raises(BackboneNotFoundError, match="backbone=minilm_l6"):
        load_backbone(cfg)
