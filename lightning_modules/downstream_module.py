"""LightningModule for one downstream task: frozen backbone, one trainable adapter (or none) and a head."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig
from transformers import get_linear_schedule_with_warmup

from datamodules.encoding import merge_word_predictions
from lightning_modules.encoder import AdaptedEncoder
from lightning_modules.heads import SequenceClassificationHead, TokenTaggingHead
from lightning_modules.losses import IGNORE_INDEX, token_cross_entropy
from lightning_modules.metrics import ner_scores, tc_scores


class DownstreamModule(pl.LightningModule):
    """Train an adapter and a head on one task; evaluate with word-level NER or sentence-level TC metrics.

    Checkpoints hold only the trainable parameters (the adapter and the head), so ``strict_loading``
    is off: the frozen backbone is rebuilt from the pre-finetuning artifact, not from checkpoints.
    """

    def __init__(self, encoder: AdaptedEncoder, family: str, labels: list[str], cfg: DictConfig, adapter: str | None):
        super().__init__()
        self.encoder = encoder
        self.family = family
        self.labels = list(labels)
        self.cfg = cfg
        self.adapter = adapter
        self.strict_loading = False

        if family == "ner":
            self.head = TokenTaggingHead(encoder.hidden_size, len(labels))
        else:
            self.head = SequenceClassificationHead(encoder.hidden_size, len(labels), pooling=cfg.tc_pooling)
        self._predictions: dict[int, list[int] | int] = {}
        self.scores: dict[str, dict[str, float]] = {}
        # from_pretrained returns the backbone in eval mode and Lightning keeps each module's mode,
        # so switch dropout (backbone and LoRA) on for training explicitly.
        self.train()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids, attention_mask, adapter=self.adapter)
        if self.family == "ner":
            return self.head(hidden)
        return self.head(hidden, attention_mask)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        logits = self(batch["input_ids"], batch["attention_mask"])
        if self.family == "ner":
            loss = token_cross_entropy(logits, batch["labels"])
        else:
            loss = torch.nn.functional.cross_entropy(logits, batch["labels"])
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training loss is {loss.item()} at step {self.global_step}; lower downstream.lr")
        self.log("train/loss", loss, prog_bar=True, batch_size=batch["input_ids"].shape[0])
        return loss

    def _collect(self, batch: dict) -> None:
        predicted = self(batch["input_ids"], batch["attention_mask"]).argmax(dim=-1)
        for row, index in enumerate(batch["index"].tolist()):
            if self.family == "ner":
                # Labelled positions are the first sub-tokens of the window's words, in word order.
                positions = batch["labels"][row] != IGNORE_INDEX
                self._predictions[index] = predicted[row][positions].tolist()
            else:
                self._predictions[index] = int(predicted[row])

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._collect(batch)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._collect(batch)

    def on_validation_epoch_end(self) -> None:
        self._score("dev")

    def on_test_epoch_end(self) -> None:
        self._score("test")

    def _score(self, split: str) -> None:
        if self.trainer.sanity_checking:
            self._predictions = {}
            return
        datamodule = self.trainer.datamodule
        if self.family == "ner":
            gold = datamodule.gold_tags(split)
            predicted = [
                merge_word_predictions(alignment, self._predictions, self.labels)
                for alignment in datamodule.alignments[split]
            ]
            scores = ner_scores(gold, predicted)
        else:
            gold = torch.tensor(datamodule.gold_label_ids(split))
            predicted = torch.tensor([self._predictions[i] for i in range(len(gold))])
            scores = tc_scores(gold, predicted, num_labels=len(self.labels))

        self._predictions = {}
        self.scores[split] = {name: round(value, 6) for name, value in scores.items()}
        self.log_dict({f"{split}/{name}": value for name, value in scores.items()})

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        trainable = {name for name, parameter in self.named_parameters() if parameter.requires_grad}
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in trainable}

    def configure_optimizers(self):
        # The backbone (trainable in full mode only) learns at lr_backbone, adapters and head at lr.
        backbone_ids = {id(p) for p in self.encoder.backbone_parameters()}
        trainable = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in trainable if id(p) in backbone_ids], "lr": self.cfg.lr_backbone},
            {"params": [p for p in trainable if id(p) not in backbone_ids], "lr": self.cfg.lr},
        ]
        optimizer = torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=self.cfg.weight_decay)
        max_steps = self.trainer.max_steps
        scheduler = get_linear_schedule_with_warmup(optimizer, int(self.cfg.warmup_ratio * max_steps), max_steps)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
