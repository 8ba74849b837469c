"""Label alignment with the real bundled tokenizer: first sub-token labels, truncation bookkeeping."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from datamodules.encoding import IGNORE_INDEX, encode_ner, encode_tc
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
    assert alignment.kept_words == (0, 1, 2)


def test_truncation_records_kept_words(tokenizer):
    words = tuple(f"word{i}" for i in range(40))
    example = NerExample(words, ("O",) * 40)

    (feature,), (alignment,) = encode_ner(tokenizer, [example], TAGS, max_length=16)

    assert len(feature["input_ids"]) == 16
    assert alignment.num_words == 40
    assert 0 < len(alignment.kept_words) < 40
    assert alignment.kept_words == tuple(range(len(alignment.kept_words)))


def test_text_pair_is_one_sequence(tokenizer):
    examples = [TcExample("A man sleeps.", "entailment", text_pair="Someone rests.")]

    (feature,) = encode_tc(tokenizer, examples, {"entailment": 0}, max_length=32)

    assert feature["input_ids"].count(tokenizer.sep_token_id) == 2
    assert feature["labels"] == 0
