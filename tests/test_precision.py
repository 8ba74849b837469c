"""Resolution of trainer.precision=auto against the hardware."""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from lightning_modules import precision
from lightning_modules.losses import info_nce


@pytest.mark.parametrize(
    ("value", "accelerator", "expected"),
    [("32-true", "cpu", "32-true"), ("bf16-mixed", "cpu", "bf16-mixed"), (32, "cpu", "32-true"),
     ("bf16", "cpu", "bf16-mixed"), (16, "cpu", "bf16-mixed"), ("16-mixed", "cpu", "bf16-mixed"),
     ("16-mixed", "gpu", "16-mixed"), ("16", "gpu", "16-mixed")],
)
def test_explicit_precision_gets_lightning_name(value, accelerator, expected):
    assert precision.resolve_precision(value, accelerator) == expected


@pytest.mark.parametrize(("bf16", "expected"), [(True, "bf16-mixed"), (False, "32-true")])
def test_auto_on_cpu_follows_bf16_support(monkeypatch, bf16, expected):
    monkeypatch.setattr(precision, "cpu_supports_bf16", lambda: bf16)
    assert precision.resolve_precision("auto", "cpu") == expected


@pytest.mark.parametrize(("bf16", "expected"), [(True, "bf16-mixed"), (False, "16-mixed")])
def test_auto_on_gpu_follows_bf16_support(monkeypatch, bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16)
    assert precision.resolve_precision("auto", "gpu") == expected


def test_resolution_is_written_into_the_config(monkeypatch):
    monkeypatch.setattr(precision, "cpu_supports_bf16", lambda: False)
    cfg = OmegaConf.create({"trainer": {"accelerator": "cpu", "precision": "auto"}})
    OmegaConf.set_struct(cfg, True)
    assert precision.resolve_trainer_precision(cfg) == "32-true"
    assert cfg.trainer.precision == "32-true"


def test_info_nce_stays_float32_under_autocast():
    generator = torch.Generator().manual_seed(0)
    anchors, positives = torch.randn(8, 16, generator=generator), torch.randn(8, 16, generator=generator)
    reference = info_nce(anchors, positives, temperature=0.05)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = info_nce(anchors, positives, temperature=0.05)
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, reference)
