"""Tokenization of examples into model features, with NER labels on the first sub-token of each word."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerBase

from datamodules.examples import NerExample, TcExample, TextPair

# Label id of positions that carry no label; the losses and metrics skip them.
IGNORE_INDEX = -100


@dataclass(frozen=True)
class WordAlignment:
    """For one NER example: which words kept a first sub-token after truncation, in order."""

    kept_words: tuple[int, ...]
    num_words: int


def encode_ner(
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[NerExample],
    label_to_id: dict[str, int],
    max_length: int,
) -> tuple[list[dict], list[WordAlignment]]:
    """Tokenize pre-split words and label the first sub-token of each word (others get -100).

    Returns the features (``input_ids``, ``attention_mask``, ``labels``, ``index``) and, per
    example, the words whose first sub-token survived truncation. A word that tokenizes to no
    sub-token at all (for example a lone control character) has no position either.
    """
    encoded = tokenizer(
        [list(example.tokens) for example in examples],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
    )

    features, alignments = [], []
    for index, example in enumerate(examples):
        labels, kept = [], []
        previous_word = None
        for word in encoded.word_ids(index):
            if word is None or word == previous_word:
                labels.append(IGNORE_INDEX)
            else:
                labels.append(label_to_id[example.tags[word]])
                kept.append(word)
            previous_word = word

        features.append({
            "input_ids": encoded["input_ids"][index],
            "attention_mask": encoded["attention_mask"][index],
            "labels": labels,
            "index": index,
        })
        alignments.append(WordAlignment(tuple(kept), len(example.tokens)))
    return features, alignments


def encode_tc(
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[TcExample],
    label_to_id: dict[str, int],
    max_length: int,
) -> list[dict]:
    """Tokenize single texts or text pairs; pairs are truncated longest-first."""
    has_pairs = any(example.text_pair is not None for example in examples)
    encoded = tokenizer(
        [example.text for example in examples],
        [example.text_pair or "" for example in examples] if has_pairs else None,
        truncation=True,
        max_length=max_length,
    )
    return [
        {
            "input_ids": encoded["input_ids"][index],
            "attention_mask": encoded["attention_mask"][index],
            "labels": label_to_id[example.label],
            "index": index,
        }
        for index, example in enumerate(examples)
    ]


def encode_pairs(tokenizer: PreTrainedTokenizerBase, pairs: Sequence[TextPair], max_length: int) -> list[dict]:
    """Tokenize both sides of each contrastive pair separately."""
    anchors = tokenizer([pair.anchor for pair in pairs], truncation=True, max_length=max_length)
    positives = tokenizer([pair.positive for pair in pairs], truncation=True, max_length=max_length)
    return [
        {
            "anchor": {"input_ids": anchors["input_ids"][i], "attention_mask": anchors["attention_mask"][i]},
            "positive": {"input_ids": positives["input_ids"][i], "attention_mask": positives["attention_mask"][i]},
        }
        for i in range(len(pairs))
    ]


class PairCollator:
    """Pad the anchor side and the positive side of a batch of pairs into two tensors dicts."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.tokenizer = tokenizer

    def __call__(self, features: list[dict]) -> dict[str, dict[str, torch.Tensor]]:
        return {
            side: self.tokenizer.pad([feature[side] for feature in features], return_tensors="pt")
            for side in ("anchor", "positive")
        }
