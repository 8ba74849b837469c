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
    """Prediction source of each word of one NER sentence.

    ``sources[w]`` is ``(feature number, rank)``: the word's first sub-token is the ``rank``-th
    labelled position of that feature (window). It is None for a word with no sub-token at all
    (for example a lone control character), which is then predicted as ``O``.
    """

    sources: tuple[tuple[int, int] | None, ...]

    @property
    def num_words(self) -> int:
        return len(self.sources)


def plan_windows(word_lengths: Sequence[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Split a sentence into word windows ``[start, end)`` of at most ``budget`` sub-tokens.

    Consecutive windows share trailing words worth up to ``overlap`` sub-tokens, so every word
    also appears with context on both sides in some window. A single word longer than the budget
    gets a window of its own (the tokenizer truncates it, keeping its first sub-token).
    """
    if sum(word_lengths) <= budget:
        return [(0, len(word_lengths))]

    windows, start = [], 0
    while True:
        end, used = start, 0
        while end < len(word_lengths) and (used + word_lengths[end] <= budget or end == start):
            used += word_lengths[end]
            end += 1
        windows.append((start, end))
        if end >= len(word_lengths):
            return windows

        next_start, shared = end, 0
        while next_start - 1 > start and shared + word_lengths[next_start - 1] <= overlap:
            next_start -= 1
            shared += word_lengths[next_start]
        start = next_start


def _owner_window(word: int, windows: Sequence[tuple[int, int]]) -> int:
    """Pick the window in which ``word`` sits farthest from an edge (the earliest on ties)."""
    best, best_margin = 0, -1
    for number, (start, end) in enumerate(windows):
        if start <= word < end:
            margin = min(word - start, end - 1 - word)
            if margin > best_margin:
                best, best_margin = number, margin
    return best


def _word_lengths(tokenizer: PreTrainedTokenizerBase, examples: Sequence[NerExample]) -> list[list[int]]:
    """Count the sub-tokens of every word (special tokens excluded)."""
    encoded = tokenizer([list(e.tokens) for e in examples], is_split_into_words=True, add_special_tokens=False)
    lengths = []
    for index, example in enumerate(examples):
        counts = [0] * len(example.tokens)
        for word in encoded.word_ids(index):
            counts[word] += 1
        lengths.append(counts)
    return lengths


def encode_ner(
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[NerExample],
    label_to_id: dict[str, int],
    max_length: int,
    window_overlap: int = 0,
) -> tuple[list[dict], list[WordAlignment]]:
    """Tokenize pre-split words and label the first sub-token of each word (others get -100).

    A sentence longer than ``max_length`` sub-tokens is split into overlapping word windows, one
    feature each, so no word loses its label to truncation. Returns the features (``input_ids``,
    ``attention_mask``, ``labels``, ``index`` = feature number) and one alignment per sentence
    for merging window predictions back into word-level tags (see ``merge_word_predictions``).
    """
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=False)
    plans = [plan_windows(lengths, budget, window_overlap) for lengths in _word_lengths(tokenizer, examples)]
    windows = [(index, start, end) for index, plan in enumerate(plans) for start, end in plan]
    encoded = tokenizer(
        [list(examples[index].tokens[start:end]) for index, start, end in windows],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
    )

    features, ranks = [], []
    for number, (index, start, _) in enumerate(windows):
        labels, rank_of_word, previous = [], {}, None
        for word in encoded.word_ids(number):
            if word is None or word == previous:
                labels.append(IGNORE_INDEX)
            else:
                rank_of_word[start + word] = len(rank_of_word)
                labels.append(label_to_id[examples[index].tags[start + word]])
            previous = word
        features.append({
            "input_ids": encoded["input_ids"][number],
            "attention_mask": encoded["attention_mask"][number],
            "labels": labels,
            "index": number,
        })
        ranks.append(rank_of_word)

    return features, _alignments(examples, plans, ranks)


def _alignments(examples, plans, ranks) -> list[WordAlignment]:
    alignments, first_feature = [], 0
    for example, plan in zip(examples, plans, strict=True):
        sources = []
        for word in range(len(example.tokens)):
            feature = first_feature + _owner_window(word, plan)
            rank = ranks[feature].get(word)
            sources.append(None if rank is None else (feature, rank))
        alignments.append(WordAlignment(tuple(sources)))
        first_feature += len(plan)
    return alignments


def merge_word_predictions(alignment: WordAlignment, predictions: dict[int, list[int]], labels: Sequence[str]) -> list[str]:
    """Return word-level tags of one sentence from per-feature predictions at labelled positions."""
    return [labels[predictions[source[0]][source[1]]] if source else "O" for source in alignment.sources]


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
