"""Label alignment with the real bundled tokenizer: first sub-token labels, truncation bookkeeping."""

from __future__ import annotations

import itertools

import pytest
from omegaconf import OmegaConf

from datamodules.encoding import IGNORE_INDEX, encode_ner, encode_tc, merge_word_predictions, plan_windows
from datamodules.examples import NerExample, TcExample
from lightning_modules.backbone import load_tokenizer

TAGS = {"O": 0, "B-Disease": 1, "I-Disease": 2}


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(OmegaConf.load("conf/backbone/minilm_l6.yaml"))


def test_first_subtoken_gets_the_label(tokenizer):
    example = NerExample(("Hyperlipoproteinemia", "type", "x"), ("B-Disease", "I-Disease", "O"))

    (feature,), (alignment,) = encode_ner(tokenizer, [example], TAGS, max_length=32)

    word_ids = tokenizer(list(example.tokens), is_split_into_words=True).word_ids()
    assert word_ids.count(0) > 1  # the first word splits into several sub-tokens
    labelled = [label for label in feature["labels"] if label != IGNORE_INDEX]
    assert labelled == [1, 2, 0]
    assert feature["labels"][0] == IGNORE_INDEX  # [CLS]
    assert feature["labels"][2] == IGNORE_INDEX  # second sub-token of the first word
    assert alignment.sources == ((0, 0), (0, 1), (0, 2))


def _oracle_predictions(features: list[dict]) -> dict[int, list[int]]:
    """Predict each feature's gold label ids at its labelled positions."""
    return {f["index"]: [label for label in f["labels"] if label != IGNORE_INDEX] for f in features}


def test_long_sentence_is_evaluated_on_all_words(tokenizer):
    # Every seventh word starts a two-word disease mention and splits into several sub-tokens.
    words, tags = [], []
    for i in range(300):
        words.append(f"hyperlipoproteinemia{i}" if i % 7 == 0 else f"word{i}")
        tags.append({0: "B-Disease", 1: "I-Disease"}.get(i % 7, "O"))
    example = NerExample(tuple(words), tuple(tags))

    features, (alignment,) = encode_ner(tokenizer, [example], TAGS, max_length=32, window_overlap=8)

    assert len(features) > 10
    assert all(len(f["input_ids"]) <= 32 for f in features)
    assert alignment.num_words == 300
    assert all(source is not None for source in alignment.sources)
    labels = list(TAGS)
    assert merge_word_predictions(alignment, _oracle_predictions(features), labels) == tags


def test_windows_overlap_and_cover_sentence():
    windows = plan_windows([3] * 20, budget=12, overlap=6)

    assert windows[0] == (0, 4)
    assert windows[-1][1] == 20
    assert all(later[0] < earlier[1] for earlier, later in itertools.pairwise(windows))  # consecutive windows overlap
    assert all(later[0] > earlier[0] for earlier, later in itertools.pairwise(windows))  # and always move on


def test_short_sentence_is_one_window():
    assert plan_windows([1, 2, 3], budget=6, overlap=2) == [(0, 3)]


def test_word_longer_than_budget_gets_own_window():
    assert plan_windows([1, 50, 1], budget=10, overlap=0) == [(0, 1), (1, 2), (2, 3)]


def test_merge_prefers_central_window(tokenizer):
    words = tuple(f"w{i}" for i in range(60))
    features, (alignment,) = encode_ner(tokenizer, [NerExample(words, ("O",) * 60)], TAGS, max_length=24, window_overlap=10)

    feature_of_word = [source[0] for source in alignment.sources]
    assert len(set(feature_of_word)) == len(features)
    assert feature_of_word == sorted(feature_of_word)  # ownership moves forward through the windows


def test_text_pair_is_one_sequence(tokenizer):
    examples = [TcExample("A man sleeps.", "entailment", text_pair="Someone rests.")]

    (feature,) = encode_tc(tokenizer, examples, {"entailment": 0}, max_length=32)

    assert feature["input_ids"].count(tokenizer.sep_token_id) == 2
    assert feature["labels"] == 0
