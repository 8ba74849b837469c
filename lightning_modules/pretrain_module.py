"""LightningModule for multi-task pre-finetuning: silver tagging (NER) and in-batch InfoNCE (TC)."""

from __future__ import annotations

from collections import Counter

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig
from transformers import get_linear_schedule_with_warmup

from lightning_modules.encoder import AdaptedEncoder
from lightning_modules.heads import TokenTaggingHead, mean_pool
from lightning_modules.losses import info_nce, token_cross_entropy
from lightning_modules.strategies import Strategy


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
        # from_pretrained returns the backbone in eval mode and Lightning keeps each module's mode,
        # so switch dropout (backbone and LoRA) on for training explicitly.
        self.train()

    def training_step(self, batch: tuple[str, dict], batch_idx: int) -> torch.Tensor:
        family, inputs = batch
        if family == "ner":
            loss = self._silver_tagging_loss(inputs)
        elif family == "tc":
            loss = self._contrastive_loss(inputs)
        else:
            raise ValueError(f"batch of unknown family {family!r}")

        if not torch.isfinite(loss):
            # Stopping here keeps a diverged backbone from being saved and reused as an artifact.
            raise FloatingPointError(
                f"pre-finetuning {family} loss is {loss.item()} at step {self.global_step}; lower "
                f"pretrain.lr_backbone / pretrain.lr_adapters or check the pretrain.{family} settings"
            )
        self.steps_per_family[family] += 1
        batch_size = inputs["labels"].shape[0] if family == "ner" else inputs["anchor"]["input_ids"].shape[0]
        self.log(f"pretrain/{family}_loss", loss, prog_bar=True, batch_size=batch_size)
        self.log(f"pretrain/{family}_steps", float(self.steps_per_family[family]), batch_size=batch_size)
        return self.cfg.loss_weights[family] * loss

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
