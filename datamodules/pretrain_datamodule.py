"""Multi-task data module for pre-finetuning: silver-tagged sentences (NER) and text pairs (TC)."""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig
from torch.utils.data import DataLoader
from transformers import DataCollatorForTokenClassification, PreTrainedTokenizerBase
from transformers.trainer_pt_utils import LengthGroupedSampler

from datamodules.encoding import PairCollator, encode_ner, encode_pairs
from datamodules.mixing import MixedFamilyLoader, family_schedule
from datamodules.pairs import collect_pairs
from datamodules.pretrain_text import collect_sentences
from datamodules.silver import silver_label, silver_tag_list

log = logging.getLogger(__name__)


class PretrainDataModule(pl.LightningDataModule):
    """Feed the pre-finetuning stage with batches of one family per step.

    ``families`` selects the objectives in use (``ner``, ``tc`` or both). ``setup`` reads the raw
    text, runs the silver teacher (cached on disk) and tokenizes everything once.
    """

    def __init__(
        self,
        cfg: DictConfig,
        families: list[str],
        tokenizer: PreTrainedTokenizerBase,
        data_dir: Path,
        cache_dir: Path,
        seed: int,
    ):
        super().__init__()
        self.cfg = cfg
        self.families = list(families)
        self.tokenizer = tokenizer
        self.data_dir = Path(data_dir)
        self.cache_dir = Path(cache_dir)
        self.seed = seed
        self.silver_tags: list[str] = []
        self.features: dict[str, list[dict]] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.features:
            return
        started = time.perf_counter()
        if "ner" in self.families:
            self.features["ner"] = self._silver_features()
        if "tc" in self.families:
            self.features["tc"] = self._pair_features()
        sizes = {family: len(features) for family, features in self.features.items()}
        log.info("Pre-finetuning data ready in %.1f s: %s", time.perf_counter() - started, sizes)

    def _silver_features(self) -> list[dict]:
        ner = self.cfg.ner
        sentences = collect_sentences(
            self.data_dir,
            list(ner.text_sources),
            max_sentences=ner.max_sentences,
            seed=self.seed,
            min_words=ner.min_words,
            max_words=ner.max_words,
        )
        entity_types = list(ner.entity_types) if ner.entity_types else None
        examples = silver_label(sentences, ner.teacher, self.cache_dir / "silver", entity_types=entity_types)

        found_types = {tag[2:] for example in examples for tag in example.tags if tag != "O"}
        self.silver_tags = silver_tag_list(sorted(found_types))
        label_to_id = {tag: i for i, tag in enumerate(self.silver_tags)}
        features, _ = encode_ner(self.tokenizer, examples, label_to_id, self.cfg.max_length, self.cfg.window_overlap)
        return features

    def _pair_features(self) -> list[dict]:
        tc = self.cfg.tc
        pairs = collect_pairs(self.data_dir, list(tc.pair_sources), max_pairs=tc.max_pairs, seed=self.seed)
        return encode_pairs(self.tokenizer, pairs, self.cfg.max_length)

    def _collators(self) -> dict:
        return {
            "ner": DataCollatorForTokenClassification(self.tokenizer, return_tensors="pt"),
            "tc": PairCollator(self.tokenizer),
        }

    def probe_batches(self) -> dict[str, dict]:
        """Return one fixed, seeded batch per family, used to compare the families' gradients."""
        collators = self._collators()
        batches = {}
        for family, features in self.features.items():
            size = min(self.cfg[family].batch_size, len(features))
            sample = random.Random(self.seed).sample(features, size)
            batches[family] = collators[family](sample)
        return batches

    def train_dataloader(self) -> MixedFamilyLoader:
        collators = self._collators()
        loaders = {
            family: DataLoader(
                features,
                batch_size=self.cfg[family].batch_size,
                sampler=LengthGroupedSampler(self.cfg[family].batch_size, lengths=[_length(f) for f in features]),
                drop_last=True,
                collate_fn=collators[family],
            )
            for family, features in self.features.items()
        }
        sizes = {family: len(features) for family, features in self.features.items()}
        schedule = family_schedule(
            sizes, self.cfg.mixing, self.cfg.max_steps, seed=self.seed, temperature=self.cfg.mixing_temperature
        )
        return MixedFamilyLoader(loaders, schedule)


def _length(feature: dict) -> int:
    """Sub-token length of a feature; for a pair, the longer side."""
    if "input_ids" in feature:
        return len(feature["input_ids"])
    return max(len(feature["anchor"]["input_ids"]), len(feature["positive"]["input_ids"]))
