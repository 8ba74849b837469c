"""Data module for one downstream task: tokenized train/dev/test splits and word-level references."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig
from torch.utils.data import DataLoader
from transformers import DataCollatorForTokenClassification, DataCollatorWithPadding, PreTrainedTokenizerBase
from transformers.trainer_pt_utils import LengthGroupedSampler

from datamodules.encoding import WordAlignment, encode_ner, encode_tc
from datamodules.feature_cache import load_or_build
from datamodules.sampling import fraction_sample

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")


class TaskDataModule(pl.LightningDataModule):
    """Serve one task's splits. NER evaluation reads gold tags from the full, untruncated words."""

    def __init__(
        self,
        family: str,
        splits: dict[str, list],
        labels: list[str],
        tokenizer: PreTrainedTokenizerBase,
        cfg: DictConfig,
        seed: int,
        cache_path: Path | None = None,
    ):
        super().__init__()
        self.family = family
        self.labels = list(labels)
        self.label_to_id = {label: i for i, label in enumerate(self.labels)}
        self.tokenizer = tokenizer
        self.cfg = cfg
        self.examples = {split: list(splits[split]) for split in SPLITS}
        label_of = (lambda example: example.label) if family == "tc" else None
        self.examples["train"] = fraction_sample(self.examples["train"], cfg.train_fraction, seed, label_of)
        # Seeded samples: a cap on training data, and a cap on the dev examples that model
        # selection scores (the test split is always complete).
        for split, cap in (("train", cfg.max_train_examples), ("dev", cfg.max_dev_examples)):
            if cap is not None and len(self.examples[split]) > cap:
                self.examples[split] = random.Random(seed).sample(self.examples[split], cap)
        self.cache_path = cache_path
        self.features: dict[str, list[dict]] = {}
        self.alignments: dict[str, list[WordAlignment]] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.features:
            return
        if self.cache_path is None:
            self.features, self.alignments = self._encode()
        else:
            self.features, self.alignments = load_or_build(self.cache_path, self._encode)

    def _encode(self) -> tuple[dict[str, list[dict]], dict[str, list[WordAlignment]]]:
        features, alignments = {}, {}
        for split, examples in self.examples.items():
            if self.family == "ner":
                features[split], alignments[split] = encode_ner(
                    self.tokenizer, examples, self.label_to_id, self.cfg.max_length, self.cfg.window_overlap
                )
            else:
                features[split] = encode_tc(self.tokenizer, examples, self.label_to_id, self.cfg.max_length)
        log.info("Tokenized %s", {split: len(split_features) for split, split_features in features.items()})
        return features, alignments

    def gold_tags(self, split: str) -> list[tuple[str, ...]]:
        """Word-level gold tags of every sentence of ``split`` (NER only)."""
        return [example.tags for example in self.examples[split]]

    def gold_label_ids(self, split: str) -> list[int]:
        """Gold label ids of ``split`` (TC only)."""
        return [self.label_to_id[example.label] for example in self.examples[split]]

    def _collator(self):
        if self.family == "ner":
            return DataCollatorForTokenClassification(self.tokenizer, return_tensors="pt")
        return DataCollatorWithPadding(self.tokenizer, return_tensors="pt")

    def train_dataloader(self) -> DataLoader:
        features = self.features["train"]
        # Batches of similar lengths pad less, which roughly halves a CPU step on NER data.
        sampler = LengthGroupedSampler(self.cfg.batch_size, lengths=[len(f["input_ids"]) for f in features])
        return DataLoader(features, batch_size=self.cfg.batch_size, sampler=sampler, collate_fn=self._collator())

    def _eval_loader(self, split: str) -> DataLoader:
        # Length-sorted batches pad less; predictions are matched back through each feature's index.
        ordered = sorted(self.features[split], key=lambda feature: len(feature["input_ids"]))
        return DataLoader(ordered, batch_size=self.cfg.eval_batch_size, collate_fn=self._collator())

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("dev")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
