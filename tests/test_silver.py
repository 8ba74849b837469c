"""Silver NER labelling with the spaCy teacher and its on-disk cache."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import spacy

from datamodules import silver
from datamodules.examples import NerExample
from datamodules.pretrain_text import collect_sentences
from datamodules.silver import (
    doc_to_example,
    load_teacher,
    resolve_teacher,
    silver_cache_key,
    silver_label,
    silver_tag_list,
    teacher_entity_types,
)

TEACHER = "en_core_web_sm"
OBVIOUS = "Barack Obama visited Paris."


@pytest.fixture(scope="module")
def teacher_installed() -> None:
    try:
        resolve_teacher(TEACHER)
    except OSError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def real_sentences(data_dir: Path) -> list[str]:
    return collect_sentences(data_dir, ["wikiann_en", "wikitext2", "nltk_corpora"], max_sentences=40, seed=3)


def _assert_valid_iob2(example: NerExample) -> None:
    previous = "O"
    for token, tag in zip(example.tokens, example.tags, strict=True):
        assert token.strip(), f"whitespace token in {example.tokens}"
        if tag.startswith("I-"):
            assert previous in (f"B-{tag[2:]}", f"I-{tag[2:]}"), f"{tag} after {previous} in {example}"
        else:
            assert tag == "O" or tag.startswith("B-"), f"invalid tag {tag!r}"
        previous = tag


def test_obvious_sentence_tags(teacher_installed, tmp_path):
    (example,) = silver_label([OBVIOUS], TEACHER, tmp_path)
    assert example.tokens == ("Barack", "Obama", "visited", "Paris", ".")
    assert example.tags == ("B-PERSON", "I-PERSON", "O", "B-GPE", "O")


def test_real_sentences_valid_iob2(teacher_installed, real_sentences, tmp_path):
    examples = silver_label(real_sentences, TEACHER, tmp_path, batch_size=16)
    assert len(examples) == len(real_sentences)
    for example in examples:
        _assert_valid_iob2(example)
    assert any(tag != "O" for example in examples for tag in example.tags)


def test_whitespace_tokens_dropped(teacher_installed, tmp_path):
    (example,) = silver_label(["Barack  Obama \t visited\nParis ."], TEACHER, tmp_path)
    assert example.tokens == ("Barack", "Obama", "visited", "Paris", ".")
    _assert_valid_iob2(example)


def test_entity_filter_turns_others_to_o(teacher_installed, tmp_path):
    (example,) = silver_label([OBVIOUS], TEACHER, tmp_path, entity_types=["PERSON"])
    assert example.tags == ("B-PERSON", "I-PERSON", "O", "O", "O")


def test_unknown_entity_type_rejected(teacher_installed, tmp_path):
    with pytest.raises(ValueError, match=r"\['PER'\].*choose from.*PERSON"):
        silver_label([OBVIOUS], TEACHER, tmp_path, entity_types=["PER", "GPE"])


def test_empty_entity_filter_rejected(teacher_installed, tmp_path):
    with pytest.raises(ValueError, match="pass None"):
        silver_label([OBVIOUS], TEACHER, tmp_path, entity_types=[])


def test_cache_reused_without_teacher(teacher_installed, real_sentences, tmp_path, monkeypatch):
    first = silver_label(real_sentences, TEACHER, tmp_path)
    assert len(list(tmp_path.glob("silver-*.jsonl.gz"))) == 1

    def fail_to_load(model_name: str) -> None:
        raise AssertionError(f"teacher {model_name} loaded despite a cache hit")

    monkeypatch.setattr(silver, "load_teacher", fail_to_load)
    second = silver_label(real_sentences, TEACHER, tmp_path)
    assert second == first


def test_cache_miss_for_new_input(teacher_installed, real_sentences, tmp_path):
    silver_label(real_sentences, TEACHER, tmp_path)
    silver_label(real_sentences, TEACHER, tmp_path, entity_types=["PERSON", "ORG"])
    silver_label(real_sentences[:-1], TEACHER, tmp_path)
    assert len(list(tmp_path.glob("silver-*.jsonl.gz"))) == 3


def test_corrupt_cache_relabelled(teacher_installed, tmp_path, caplog):
    (expected,) = silver_label([OBVIOUS], TEACHER, tmp_path)
    (cache_file,) = tmp_path.glob("silver-*.jsonl.gz")
    cache_file.write_bytes(b"not gzip")
    with caplog.at_level(logging.WARNING, logger="datamodules.silver"):
        (example,) = silver_label([OBVIOUS], TEACHER, tmp_path)
    assert example == expected
    assert "ignoring unreadable silver cache" in caplog.text


def test_interrupted_write_leaves_no_cache(teacher_installed, tmp_path, monkeypatch):
    written = []
    to_json = silver._example_to_json

    def interrupt_second_line(example: NerExample) -> str:
        if written:
            raise KeyboardInterrupt
        written.append(example)
        return to_json(example)

    monkeypatch.setattr(silver, "_example_to_json", interrupt_second_line)
    with pytest.raises(KeyboardInterrupt):
        silver_label([OBVIOUS, "Angela Merkel met Emmanuel Macron."], TEACHER, tmp_path)
    assert len(written) == 1
    assert list(tmp_path.iterdir()) == []


def test_cache_key_inputs():
    base = ("en_core_web_sm", "3.8.0", "3.8.18", None, ["a b c", "d e f"])
    key = silver_cache_key(*base)
    assert silver_cache_key(*base) == key
    assert silver_cache_key("en_core_web_md", *base[1:]) != key
    assert silver_cache_key(base[0], "3.7.1", *base[2:]) != key
    assert silver_cache_key(*base[:2], "3.7.5", *base[3:]) != key
    assert silver_cache_key(*base[:3], ["PERSON"], base[4]) != key
    assert silver_cache_key(*base[:4], ["a b", "c d e f"]) != key


def test_cache_key_ignores_type_order():
    sentences = ["a b c"]
    assert silver_cache_key("t", "1", "3", ["PERSON", "GPE"], sentences) == silver_cache_key("t", "1", "3", ["GPE", "PERSON"], sentences)


def test_load_teacher_keeps_only_ner(teacher_installed, caplog):
    with caplog.at_level(logging.INFO, logger="datamodules.silver"):
        nlp = load_teacher(TEACHER)
    assert nlp.pipe_names == ["ner"]
    assert resolve_teacher(TEACHER).package in caplog.text


def test_missing_teacher_names_pip_package():
    with pytest.raises(OSError, match=r"install the pip package 'en_core_web_zz'"):
        resolve_teacher("en_core_web_zz")


def test_teacher_entity_types(teacher_installed):
    types = teacher_entity_types(TEACHER)
    assert len(types) == 18
    assert {"PERSON", "GPE", "ORG", "DATE"} <= set(types)


def test_silver_tag_list_order():
    tags = silver_tag_list(["PERSON", "GPE", "PERSON"])
    assert tags == ["O", "B-GPE", "I-GPE", "B-PERSON", "I-PERSON"]


def test_doc_to_example_filters_types():
    nlp = spacy.blank("en")
    doc = nlp("Ada Lovelace lived in London")
    doc.ents = [doc.char_span(0, 12, label="PERSON"), doc.char_span(22, 28, label="GPE")]
    example = doc_to_example(doc, frozenset({"GPE"}))
    assert example.tags == ("O", "O", "O", "O", "B-GPE")
