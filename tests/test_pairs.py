"""Contrastive text-pair sources and their mixing, on the real data mirror."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from datamodules.errors import DataFormatError
from datamodules.examples import TextPair
from datamodules.pairs import (
    PAIR_SOURCES,
    collect_pairs,
    dropout_pairs,
    pair_file,
    read_pair_source,
    wikitext_adjacent,
)
from datamodules.pretrain_text import read_wikitext_paragraphs

# Lower bounds well under the measured counts (206,957 / 48,339 / 1,610).
MIN_PAIRS = {
    "wordnet_term_definition": 200_000,
    "wordnet_definition_example": 45_000,
    "wikitext_adjacent": 1_000,
}


@pytest.fixture(scope="module")
def source_pairs(data_dir: Path) -> dict[str, list[TextPair]]:
    return {name: read(data_dir) for name, read in PAIR_SOURCES.items()}


def test_registry_names():
    assert set(PAIR_SOURCES) == set(MIN_PAIRS)


@pytest.mark.parametrize("name", sorted(MIN_PAIRS))
def test_source_pair_count(source_pairs, name):
    assert len(source_pairs[name]) >= MIN_PAIRS[name]


@pytest.mark.parametrize("name", sorted(MIN_PAIRS))
def test_source_pairs_differ(source_pairs, name):
    for pair in source_pairs[name]:
        assert pair.anchor.strip(), f"empty anchor in {name}: {pair}"
        assert pair.positive.strip(), f"empty positive in {name}: {pair}"
        assert pair.anchor != pair.positive, f"identical pair in {name}: {pair}"


def test_term_definition_content(source_pairs):
    pairs = set(source_pairs["wordnet_term_definition"])
    assert TextPair("physical entity", "an entity that has physical existence") in pairs
    assert TextPair("abstract entity", "a general concept formed by extracting common features from specific examples") in pairs
    assert not any("_" in pair.anchor for pair in pairs)


def test_definition_example_content(source_pairs):
    pairs = set(source_pairs["wordnet_definition_example"])
    gloss = "an assemblage of parts that is regarded as a single entity"
    assert TextPair(gloss, "how big is that part compared to the whole?") in pairs
    assert TextPair(gloss, "the team is a unit") in pairs


def test_wikitext_adjacent_are_neighbours(data_dir):
    paragraphs = read_wikitext_paragraphs(data_dir)
    neighbours = {(first, second) for paragraph in paragraphs for first, second in itertools.pairwise(paragraph)}
    pairs = wikitext_adjacent(data_dir)
    assert {(pair.anchor, pair.positive) for pair in pairs} <= neighbours
    assert not any("<unk>" in pair.anchor or "@-@" in pair.positive for pair in pairs)


def test_dropout_pairs_identical():
    pairs = dropout_pairs(["one sentence here", "", "another sentence"])
    assert pairs == [TextPair("one sentence here", "one sentence here"), TextPair("another sentence", "another sentence")]


def test_dropout_source_by_name(data_dir):
    pairs = read_pair_source(data_dir, "dropout:wordnet_examples")
    assert len(pairs) > 30_000
    assert all(pair.anchor == pair.positive for pair in pairs)


def test_pair_file_reads_columns(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("a cat\ta small feline\n\nthe  dog\ta loyal   canine\r\n", encoding="utf-8")
    assert pair_file(path) == [TextPair("a cat", "a small feline"), TextPair("the dog", "a loyal canine")]


@pytest.mark.parametrize(
    "bad_line",
    ["only one column", "three\tcolumns\there", "\tmissing anchor", "missing positive\t  "],
)
def test_pair_file_bad_line_named(tmp_path, bad_line):
    path = tmp_path / "pairs.tsv"
    path.write_text(f"a\tb\nc\td\n{bad_line}\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"pairs\.tsv, line 3: expected two non-empty tab-separated columns") as caught:
        pair_file(path)
    assert caught.value.line == 3
    assert caught.value.path == path


def test_pair_file_invalid_utf8_named(tmp_path):
    path = tmp_path / "latin.tsv"
    path.write_bytes("caf\u00e9\tcoffee house\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match=r"latin\.tsv, line 1: invalid UTF-8"):
        pair_file(path)


def test_pair_file_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.tsv"):
        pair_file(tmp_path / "absent.tsv")


def test_collect_pairs_deterministic(data_dir):
    sources = ["wordnet_term_definition", "wikitext_adjacent"]
    first = collect_pairs(data_dir, sources, max_pairs=600, seed=5)
    assert collect_pairs(data_dir, sources, max_pairs=600, seed=5) == first
    assert collect_pairs(data_dir, sources, max_pairs=600, seed=6) != first


def test_collect_pairs_no_repeated_text(data_dir):
    pairs = collect_pairs(data_dir, sorted(PAIR_SOURCES) + ["dropout:wikitext2"], max_pairs=20_000, seed=0)
    assert len(pairs) == 20_000
    anchors = Counter(pair.anchor.casefold() for pair in pairs)
    positives = Counter(pair.positive.casefold() for pair in pairs if pair.positive != pair.anchor)
    assert max(anchors.values()) == 1
    assert max(positives.values()) == 1
    assert not set(anchors) & set(positives)


def test_collect_pairs_equal_shares(data_dir, source_pairs):
    pairs = collect_pairs(data_dir, sorted(PAIR_SOURCES), max_pairs=3_000, seed=0)
    pair_sets = {name: set(members) for name, members in source_pairs.items()}
    shares = Counter(next(name for name, members in pair_sets.items() if pair in members) for pair in pairs)
    assert set(shares) == set(PAIR_SOURCES)
    assert all(900 <= count <= 1_100 for count in shares.values()), shares


def test_collect_pairs_exhausted_source(data_dir, tmp_path):
    small = tmp_path / "small.tsv"
    small.write_text("alpha term\tthe first letter\nbeta term\tthe second letter\n", encoding="utf-8")
    pairs = collect_pairs(data_dir, [f"pair_file:{small}", "wikitext_adjacent"], max_pairs=500, seed=0)
    assert len(pairs) == 500
    assert TextPair("alpha term", "the first letter") in pairs
    assert TextPair("beta term", "the second letter") in pairs


def test_collect_pairs_rejects_unknown_source(data_dir):
    with pytest.raises(ValueError, match=r"unknown pair source 'wordnet'.*wordnet_term_definition.*dropout:"):
        collect_pairs(data_dir, ["wikitext_adjacent", "wordnet"], max_pairs=10, seed=0)
    with pytest.raises(ValueError, match=r"unknown text .*'wiki'.*valid names are"):
        collect_pairs(data_dir, ["dropout:wiki"], max_pairs=10, seed=0)


@pytest.mark.parametrize("sources, max_pairs", [([], 10), (["wikitext_adjacent"], 0)])
def test_collect_pairs_rejects_invalid_arguments(data_dir, sources, max_pairs):
    with pytest.raises(ValueError):
        collect_pairs(data_dir, sources, max_pairs=max_pairs, seed=0)
