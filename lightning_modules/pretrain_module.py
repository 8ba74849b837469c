"""LightningModule for multi-task pre-finetuning: silver tagging (NER) and in-batch InfoNCE (TC)."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig
from transformers import get_linear_schedule_with_warmup

from datamodules.mixing import SUM_STEP
from lightning_modules.diagnostics import gradient_agreement, parameter_gradients
from lightning_modules.encoder import AdaptedEncoder
from lightning_modules.heads import TokenTaggingHead, mean_pool
from lightning_modules.losses import info_nce, token_cross_entropy
from lightning_modules.strategies import Strategy

log = logging.getLogger(__name__)


class PretrainModule(pl.LightningModule):
    """Train one backbone on the families of ``strategy``, one family per batch.

    A batch is ``(family, inputs)``. With task-primary adapters, family ``f`` runs with adapter
    ``strategy.adapters[f]`` active, so its loss reaches the backbone and that adapter only.
    The tagging head exists only during pre-finetuning.
    """

    def __init__(self, encoder: AdaptedEncoder, strategy: Strategy, cfg: DictConfig, num_silver_tags: int):
        super().__init__()
        self.encoder = encoder
        self.strategy = strategy
        self.cfg = cfg
        self.tagging_head = TokenTaggingHead(encoder.hidden_size, num_silver_tags) if "ner" in strategy.families else None
        self.encoder.set_trainable(backbone=strategy.train_backbone, adapters=strategy.adapter_names)
        self.steps_per_family: Counter[str] = Counter()
        every = cfg.diagnostics.every_n_steps if cfg.diagnostics.enabled else None
        self.diagnostics_every: int | None = every if strategy.interference_measurable else None
        self.diagnostics_history: list[dict] = []
        self.diagnostics_seconds = 0.0
        self._probe_batches: dict[str, dict] | None = None
        # from_pretrained returns the backbone in eval mode and Lightning keeps each module's mode,
        # so switch dropout (backbone and LoRA) on for training explicitly.
        self.train()

    def training_step(self, batch: tuple[str, dict], batch_idx: int) -> torch.Tensor:
        family, inputs = batch
        if self.diagnostics_every and self.global_step % self.diagnostics_every == 0:
            self._measure_interference()
        # A step of the "sum" mixing mode carries one batch per family and adds their losses.
        parts = inputs.items() if family == SUM_STEP else [(family, inputs)]
        total = None
        for name, part in parts:
            loss = self._family_loss(name, part)
            if not torch.isfinite(loss):
                # Stopping here keeps a diverged backbone from being saved and reused as an artifact.
                raise FloatingPointError(
                    f"pre-finetuning {name} loss is {loss.item()} at step {self.global_step}; lower "
                    f"pretrain.lr_backbone / pretrain.lr_adapters or check the pretrain.{name} settings"
                )
            self.steps_per_family[name] += 1
            batch_size = part["labels"].shape[0] if name == "ner" else part["anchor"]["input_ids"].shape[0]
            self.log(f"pretrain/{name}_loss", loss, prog_bar=True, batch_size=batch_size)
            self.log(f"pretrain/{name}_steps", float(self.steps_per_family[name]), batch_size=batch_size)
            weighted = self.cfg.loss_weights[name] * loss
            total = weighted if total is None else total + weighted
        return total

    def _family_loss(self, family: str, inputs: dict) -> torch.Tensor:
        if family == "ner":
            return self._silver_tagging_loss(inputs)
        if family == "tc":
            return self._contrastive_loss(inputs)
        raise ValueError(f"batch of unknown family {family!r}")

    def on_train_start(self) -> None:
        if not self.diagnostics_every:
            return
        # Fixed probe batches, one per family, so measurements at different steps are comparable.
        probe_batches = getattr(self.trainer.datamodule, "probe_batches", None)
        if probe_batches is None:
            log.warning("Interference diagnostics are off: the training data comes without a PretrainDataModule")
            self.diagnostics_every = None
            return
        probes = probe_batches()
        self._probe_batches = {family: _to_device(batch, self.device) for family, batch in probes.items()}

    def _measure_interference(self) -> None:
        """Log how the families' gradients on the shared backbone agree, on the fixed probe batches.

        The gradients are taken in eval mode (no dropout), so measurements differ only because the
        weights changed, and inside a forked random state, so training runs the same with or without them.
        """
        started = time.perf_counter()
        parameters = {name: p for name, p in self.encoder.named_backbone_parameters() if p.requires_grad}
        self.eval()
        try:
            with torch.random.fork_rng(devices=[]):
                gradients = {
                    family: parameter_gradients(self._family_loss(family, batch), parameters)
                    for family, batch in self._probe_batches.items()
                }
        finally:
            self.train()
        agreement = gradient_agreement(gradients["ner"], gradients["tc"])
        self.diagnostics_seconds += time.perf_counter() - started

        self.diagnostics_history.append({"step": self.global_step, **agreement})
        metrics = {"diagnostics/grad_cosine": agreement["cosine"], "diagnostics/conflict_share": agreement["conflict_share"]}
        metrics.update({f"diagnostics/grad_cosine_{group}": value for group, value in agreement["layers"].items()})
        finite = {name: value for name, value in metrics.items() if not math.isnan(value)}
        self.log_dict(finite, batch_size=1)

    def _encode(self, family: str, inputs: dict) -> torch.Tensor:
        adapter = self.strategy.adapters.get(family)
        return self.encoder(inputs["input_ids"], inputs["attention_mask"], adapter=adapter)

    def _silver_tagging_loss(self, inputs: dict) -> torch.Tensor:
        logits = self.tagging_head(self._encode("ner", inputs))
        return token_cross_entropy(logits, inputs["labels"])

    def _contrastive_loss(self, inputs: dict) -> torch.Tensor:
        anchors = self._sentence_embedding(inputs["anchor"])
        positives = self._sentence_embedding(inputs["positive"])
        return info_nce(anchors, positives, temperature=self.cfg.tc.temperature, symmetric=self.cfg.tc.symmetric)

    def _sentence_embedding(self, inputs: dict) -> torch.Tensor:
        hidden = self._encode("tc", inputs)
        if self.cfg.tc.pooling == "mean":
            return mean_pool(hidden, inputs["attention_mask"])
        if self.cfg.tc.pooling == "cls":
            return hidden[:, 0]
        raise ValueError(f"pretrain.tc.pooling={self.cfg.tc.pooling!r} is not one of mean, cls")

    def configure_optimizers(self):
        backbone = [p for p in self.encoder.backbone_parameters() if p.requires_grad]
        backbone_ids = {id(p) for p in backbone}
        others = [p for p in self.parameters() if p.requires_grad and id(p) not in backbone_ids]
        groups = [
            {"params": backbone, "lr": self.cfg.lr_backbone},
            {"params": others, "lr": self.cfg.lr_adapters},
        ]
        optimizer = torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=self.cfg.weight_decay)
        scheduler = get_linear_schedule_with_warmup(
            optimizer, int(self.cfg.warmup_ratio * self.cfg.max_steps), self.cfg.max_steps
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def _to_device(batch: dict, device: torch.device) -> dict:
    return {key: _to_device(value, device) if isinstance(value, dict) else value.to(device) for key, value in batch.items()}
