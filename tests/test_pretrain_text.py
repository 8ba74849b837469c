"""Raw-text sources for pre-finetuning, read from the real data mirror."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from datamodules.pretrain_text import (
    TEXT_SOURCES,
    collect_sentences,
    detokenize,
    read_nltk_corpora,
    read_wikitext2,
    read_wikitext_paragraphs,
    split_sentences,
)

# Lower bounds well under the measured counts, so a reader that silently loses most of a
# source fails while small format fixes do not.
MIN_SENTENCES = {
    "wikitext2": 4_000,
    "wordnet_examples": 34_000,
    "wordnet_glosses": 110_000,
    "nltk_corpora": 100_000,
    "wikiann_en": 20_000,
}
WIKITEXT_MARKERS = ("@-@", "@,@", "@.@", "<unk>")
HEADING = re.compile(r"^\s*=.*=\s*$")
POS_TAGGED_WORD = re.compile(r"\S_(?:NNP?S?|VB[DGNPZ]?|DT|IN|JJ)\b")


@pytest.fixture(scope="module")
def source_sentences(data_dir: Path) -> dict[str, list[str]]:
    return {name: read(data_dir) for name, read in TEXT_SOURCES.items()}


def test_registry_has_every_mirror_source():
    assert set(TEXT_SOURCES) == set(MIN_SENTENCES)


@pytest.mark.parametrize("name", sorted(MIN_SENTENCES))
def test_source_sentence_count(source_sentences, name):
    assert len(source_sentences[name]) >= MIN_SENTENCES[name]


@pytest.mark.parametrize("name", sorted(MIN_SENTENCES))
def test_source_sentences_are_clean_lines(source_sentences, name):
    for sentence in source_sentences[name]:
        assert sentence, f"empty sentence in {name}"
        assert sentence == " ".join(sentence.split()), f"unnormalised whitespace in {name}: {sentence!r}"
        assert not HEADING.match(sentence), f"heading line in {name}: {sentence!r}"
        for marker in WIKITEXT_MARKERS:
            assert marker not in sentence, f"{marker} in {name}: {sentence!r}"


def test_wikiann_reads_train_split_only(source_sentences):
    # The train split has 20,000 sentences, and dev and test have 10,000 each.
    assert len(source_sentences["wikiann_en"]) == 20_000


def test_wikiann_drops_wiki_markup(source_sentences):
    assert not any("''" in sentence for sentence in source_sentences["wikiann_en"])
    assert not any("==" in sentence for sentence in source_sentences["wikiann_en"])


def test_wikitext_joins_hyphen_markers(source_sentences):
    assert any("Franco-Prussian War" in sentence for sentence in source_sentences["wikitext2"])


def test_wikitext_paragraphs_match_sentences(data_dir):
    paragraphs = read_wikitext_paragraphs(data_dir)
    assert all(paragraphs), "empty paragraph"
    assert [sentence for paragraph in paragraphs for sentence in paragraph] == read_wikitext2(data_dir)
    assert sum(len(paragraph) >= 2 for paragraph in paragraphs) > 500


def test_masc_tags_removed(source_sentences):
    sentences = source_sentences["nltk_corpora"]
    assert not [sentence for sentence in sentences if POS_TAGGED_WORD.search(sentence)][:5]
    expected = "We don't know who is winning the drug war in Latin America, but we know who's losing it -- the press."
    assert expected in sentences


def test_speeches_split_into_sentences(data_dir):
    sentences = read_nltk_corpora(data_dir)
    assert "Only yesterday, we laid to rest the mortal remains of our beloved President, Franklin Delano Roosevelt." in sentences
    assert "At a time like this, words are inadequate." in sentences


def test_speeches_repair_big5_punctuation(source_sentences):
    # inaugural/2005-Bush.txt encodes the em dash as the Big5 bytes A1 58.
    assert any("sabbatical—and then there came a day of fire" in sentence for sentence in source_sentences["nltk_corpora"])
    assert not any("¡" in sentence for sentence in source_sentences["nltk_corpora"])


def test_split_sentences_keeps_abbreviations():
    text = 'Mr. Smith met J. F. Kennedy in the U.S. Senate. "Why?" he asked. Then 1945 came!'
    assert split_sentences(text) == ["Mr. Smith met J. F. Kennedy in the U.S. Senate.", '"Why?" he asked.', "Then 1945 came!"]


def test_split_sentences_without_boundary():
    assert split_sentences("no capital letter follows. so this stays one") == ["no capital letter follows. so this stays one"]


def test_detokenize_treebank_tokens():
    tokens = 'He said " hello , world . " and left ( quickly ) . I do n\'t know , it \'s 5 % .'.split()
    assert detokenize(tokens) == 'He said "hello, world." and left (quickly). I don\'t know, it\'s 5%.'


def test_collect_sentences_deterministic(data_dir):
    first = collect_sentences(data_dir, ["wikitext2", "wordnet_examples"], max_sentences=500, seed=7)
    second = collect_sentences(data_dir, ["wikitext2", "wordnet_examples"], max_sentences=500, seed=7)
    other_seed = collect_sentences(data_dir, ["wikitext2", "wordnet_examples"], max_sentences=500, seed=8)
    assert first == second
    assert first != other_seed


def test_collect_sentences_limits(data_dir):
    sentences = collect_sentences(data_dir, ["wikiann_en", "wordnet_examples"], max_sentences=1_000, seed=0, min_words=4, max_words=12)
    assert len(sentences) == 1_000
    assert len(set(sentences)) == len(sentences)
    assert all(4 <= len(sentence.split()) <= 12 for sentence in sentences)


def test_collect_sentences_fewer_than_max(data_dir):
    sentences = collect_sentences(data_dir, ["wikitext2"], max_sentences=10**7, seed=0)
    assert 4_000 < len(sentences) < 10**7


def test_collect_sentences_rejects_unknown_source(data_dir):
    with pytest.raises(ValueError, match=r"unknown text source.*'wiki'.*valid names are.*wikitext2"):
        collect_sentences(data_dir, ["wikitext2", "wiki"], max_sentences=10, seed=0)


@pytest.mark.parametrize(
    "arguments",
    [
        {"sources": [], "max_sentences": 10},
        {"sources": ["wikitext2"], "max_sentences": 0},
        {"sources": ["wikitext2"], "max_sentences": 10, "min_words": 5, "max_words": 4},
    ],
)
def test_collect_sentences_rejects_invalid_arguments(data_dir, arguments):
    with pytest.raises(ValueError):
        collect_sentences(data_dir, seed=0, **arguments)


def test_missing_mirror_file_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="wikitext2_raw_text"):
        read_wikitext2(tmp_path)
