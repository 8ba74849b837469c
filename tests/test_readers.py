"""Readers on the real files of the data mirror and on small malformed files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from datamodules.errors import DataFormatError
from datamodules.examples import NerExample, TcExample
from datamodules.readers import (
    READERS,
    AllowedLabels,
    ReadStats,
    convert_iob1_to_iob2,
    read_class_files,
    read_conll,
    read_csv,
    read_jsonl,
    read_label_mapping,
    read_label_text,
    read_text_label_lines,
    read_trec,
    read_tsv,
)

SST2_LABELS = {"0": "negative", "1": "positive"}
MRPC_HEADER = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]
RTE_HEADER = ["index", "sentence1", "sentence2", "label"]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def assert_names_file_and_line(error: pytest.ExceptionInfo[DataFormatError], path: Path, line: int) -> None:
    message = str(error.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert error.value.line == line


def entity_tags_are_iob2(examples: list[NerExample]) -> bool:
    for example in examples:
        previous = "O"
        for tag in example.tags:
            if tag.startswith("I-") and previous[2:] != tag[2:]:
                return False
            previous = tag
    return True


# ---------------------------------------------------------------------------------------------
# NER files of the mirror


@pytest.mark.parametrize(
    ("name", "expected"),
    [("train.txt", 14041), ("dev.txt", 3250), ("test.txt", 3453)],
)
def test_conll2003_sentence_counts(data_dir: Path, name: str, expected: int) -> None:
    examples = read_conll(data_dir / "conll2003_RESTRICTED" / name, separator="space", columns=4)
    assert len(examples) == expected


def test_conll2003_tags_are_ner_column(data_dir: Path) -> None:
    examples = read_conll(data_dir / "conll2003_RESTRICTED" / "dev.txt", separator="space", columns=4)
    tags = {tag for example in examples for tag in example.tags}
    assert tags == {"O"} | {f"{prefix}-{kind}" for prefix in "BI" for kind in ("PER", "ORG", "LOC", "MISC")}
    assert examples[0].tokens[0] == "CRICKET"


@pytest.mark.parametrize(
    ("folder", "files", "expected"),
    [
        ("wnut17", ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"), (3394, 1009, 1287)),
        ("ncbi_disease", ("train.tsv", "devel.tsv", "test.tsv"), (5424, 923, 940)),
        ("bc5cdr", ("train.tsv", "devel.tsv", "test.tsv"), (4560, 4581, 4797)),
        ("bc2gm", ("train.tsv", "devel.tsv", "test.tsv"), (12574, 2519, 5038)),
        ("crossner_politics", ("train.txt", "dev.txt", "test.txt"), (200, 541, 651)),
        ("crossner_science", ("train.txt", "dev.txt", "test.txt"), (200, 450, 543)),
        ("crossner_music", ("train.txt", "dev.txt", "test.txt"), (100, 380, 465)),
    ],
)
def test_tab_conll_sentence_counts(
    data_dir: Path, folder: str, files: tuple[str, ...], expected: tuple[int, ...]
) -> None:
    counts = tuple(len(read_conll(data_dir / folder / name, columns=2)) for name in files)
    assert counts == expected


def test_wikigold_docstart_is_no_sentence(data_dir: Path) -> None:
    examples = read_conll(data_dir / "wikigold" / "wikigold.conll.txt", separator="space", scheme="iob1")
    assert len(examples) == 1696
    assert not any("-DOCSTART-" in example.tokens for example in examples)


def test_wikigold_iob1_becomes_iob2(data_dir: Path) -> None:
    stats = ReadStats()
    examples = read_conll(data_dir / "wikigold" / "wikigold.conll.txt", separator="space", scheme="iob1", stats=stats)
    assert entity_tags_are_iob2(examples)
    assert stats.converted_tags > 0
    assert examples[0].tags[0] == "B-MISC"


def test_wikiann_prefix_is_stripped(data_dir: Path) -> None:
    examples = read_conll(data_dir / "wikiann_en" / "dev.txt", token_prefix="en:")
    assert len(examples) == 10000
    assert not any(token.startswith("en:") for example in examples for token in example.tokens)


def test_btc_drops_empty_tokens(data_dir: Path) -> None:
    paths = [data_dir / "btc_twitter" / f"{section}.conll" for section in "abefgh"]
    stats = ReadStats()
    examples = read_conll(*paths, empty_tokens="drop", stats=stats)
    assert stats.dropped_tokens == 6
    assert stats.dropped_sentences == 1
    assert len(examples) == 9339 - 1
    assert all(token for example in examples for token in example.tokens)


def test_btc_empty_token_rejected(data_dir: Path) -> None:
    path = data_dir / "btc_twitter" / "h.conll"
    with pytest.raises(DataFormatError, match="empty token") as error:
        read_conll(path)
    assert_names_file_and_line(error, path, 22918)


def test_conll_reader_is_fast(data_dir: Path) -> None:
    import time

    start = time.perf_counter()
    read_conll(data_dir / "conll2003_RESTRICTED" / "train.txt", separator="space", columns=4)
    # The read took about 0.2 s when this test was written, so the bound leaves room for slow machines.
    assert time.perf_counter() - start < 5.0


# ---------------------------------------------------------------------------------------------
# Text classification files of the mirror


@pytest.mark.parametrize(("split", "expected"), [("train", 6920), ("dev", 872), ("test", 1821)])
def test_sst2_counts(data_dir: Path, split: str, expected: int) -> None:
    examples = read_label_text(data_dir / "sst2_sentences" / f"stsa.binary.{split}", label_map=SST2_LABELS)
    assert len(examples) == expected
    assert {example.label for example in examples} == {"negative", "positive"}


def test_sst2_first_example(data_dir: Path) -> None:
    examples = read_label_text(data_dir / "sst2_sentences" / "stsa.binary.train", label_map=SST2_LABELS)
    assert examples[0].label == "positive"
    assert examples[0].text.startswith("a stirring , funny")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("in_domain_train.tsv", 8551), ("in_domain_dev.tsv", 527), ("out_of_domain_dev.tsv", 516)],
)
def test_cola_counts(data_dir: Path, name: str, expected: int) -> None:
    examples = read_tsv(data_dir / "cola" / name, columns=4, text_column=3, label_column=1)
    assert len(examples) == expected
    assert {example.label for example in examples} == {"0", "1"}


@pytest.mark.parametrize(("name", "expected"), [("msr_paraphrase_train.txt", 4076), ("msr_paraphrase_test.txt", 1725)])
def test_mrpc_pairs_skip_bom_header(data_dir: Path, name: str, expected: int) -> None:
    examples = read_tsv(
        data_dir / "mrpc" / name, columns=5, header=MRPC_HEADER, text_column=3, text_pair_column=4, label_column=0
    )
    assert len(examples) == expected
    assert {example.label for example in examples} == {"0", "1"}
    assert all(example.text_pair for example in examples)


def test_rte_train_parts_with_and_without_header(data_dir: Path) -> None:
    paths = [data_dir / "rte" / "train_part1.tsv", data_dir / "rte" / "train_part2_noheader.tsv"]
    examples = read_tsv(*paths, header=RTE_HEADER, text_column=1, text_pair_column=2, label_column=3)
    assert len(examples) == 2490
    assert {example.label for example in examples} == {"entailment", "not_entailment"}


def test_rte_dev_count(data_dir: Path) -> None:
    examples = read_tsv(
        data_dir / "rte" / "dev.tsv", header=RTE_HEADER, text_column=1, text_pair_column=2, label_column=3
    )
    assert len(examples) == 277


def test_trec_coarse_labels(data_dir: Path) -> None:
    examples = read_trec(data_dir / "trec" / "train_5452.txt", encoding="latin-1")
    assert len(examples) == 5452
    assert {example.label for example in examples} == {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}


def test_trec_fine_labels(data_dir: Path) -> None:
    paths = [data_dir / "trec" / "train_5452.txt", data_dir / "trec" / "test_500.txt"]
    examples = read_trec(*paths, encoding="latin-1", granularity="fine")
    assert len(examples) == 5952
    assert len({example.label for example in examples}) == 50


def test_trec_strict_utf8_names_line(data_dir: Path) -> None:
    path = data_dir / "trec" / "train_5452.txt"
    with pytest.raises(DataFormatError, match="encoding") as error:
        read_trec(path)
    assert_names_file_and_line(error, path, 66)


def test_mr_cp1252_counts(data_dir: Path) -> None:
    examples = read_class_files(
        data_dir / "mr" / "rt-polarity.pos", data_dir / "mr" / "rt-polarity.neg", encoding="cp1252"
    )
    assert len(examples) == 10662
    assert {example.label for example in examples} == {"pos", "neg"}
    assert any("\u2026" in example.text for example in examples)
    assert not any("\x85" in example.text for example in examples)


def test_mr_strict_utf8_names_line(data_dir: Path) -> None:
    path = data_dir / "mr" / "rt-polarity.pos"
    with pytest.raises(DataFormatError, match="reader_options.encoding") as error:
        read_class_files(path)
    assert_names_file_and_line(error, path, 44)


def test_subj_counts(data_dir: Path) -> None:
    paths = [data_dir / "subj" / "subj.objective", data_dir / "subj" / "subj.subjective"]
    examples = read_class_files(*paths, encoding="cp1252")
    assert len(examples) == 10000
    assert sum(example.label == "objective" for example in examples) == 5000


def test_cr_skips_blank_lines(data_dir: Path) -> None:
    stats = ReadStats()
    examples = read_class_files(data_dir / "cr" / "custrev.pos", data_dir / "cr" / "custrev.neg", stats=stats)
    assert stats.skipped_blank_lines == 4
    assert len(examples) == 3775 - 4


def test_cr_rejects_blank_lines(data_dir: Path) -> None:
    path = data_dir / "cr" / "custrev.neg"
    with pytest.raises(DataFormatError, match="empty text") as error:
        read_class_files(path, blank_lines="reject")
    assert_names_file_and_line(error, path, 769)


def test_banking77_counts_and_labels(data_dir: Path) -> None:
    train = read_csv(data_dir / "banking77" / "train.csv", label_field="category")
    test = read_csv(data_dir / "banking77" / "test.csv", label_field="category")
    categories = json.loads((data_dir / "banking77" / "categories.json").read_text(encoding="utf-8"))
    assert (len(train), len(test)) == (10003, 3080)
    assert {example.label for example in train} == set(categories)
    assert len(categories) == 77


def test_banking77_multiline_field_stripped(data_dir: Path) -> None:
    train = read_csv(data_dir / "banking77" / "train.csv", label_field="category")
    assert TcExample(text="I can't seem to be able to use my card", label="card_not_working") in train
    assert all(example.text == example.text.strip() for example in train)


@pytest.mark.parametrize(
    ("task", "split", "expected", "labels"),
    [
        ("tweeteval_emotion", "train", 3257, {"anger", "joy", "optimism", "sadness"}),
        ("tweeteval_emotion", "val", 374, {"anger", "joy", "optimism", "sadness"}),
        ("tweeteval_emotion", "test", 1421, {"anger", "joy", "optimism", "sadness"}),
        ("tweeteval_irony", "train", 2862, {"irony", "non_irony"}),
        ("tweeteval_irony", "val", 955, {"irony", "non_irony"}),
        ("tweeteval_irony", "test", 784, {"irony", "non_irony"}),
    ],
)
def test_tweeteval_counts(data_dir: Path, task: str, split: str, expected: int, labels: set[str]) -> None:
    folder = data_dir / task
    examples = read_text_label_lines(
        folder / f"{split}_text.txt", folder / f"{split}_labels.txt", folder / "mapping.txt"
    )
    assert len(examples) == expected
    assert {example.label for example in examples} == labels


def test_tweeteval_mapping_without_final_newline(data_dir: Path) -> None:
    mapping = read_label_mapping(data_dir / "tweeteval_emotion" / "mapping.txt")
    assert mapping == {"0": "anger", "1": "joy", "2": "optimism", "3": "sadness"}


def test_readers_registry_names() -> None:
    assert set(READERS) == {"conll", "label_text", "tsv", "csv", "trec", "class_files", "text_label_lines", "jsonl"}


# ---------------------------------------------------------------------------------------------
# Small files: tag schemes and policies


def test_iob1_conversion_example() -> None:
    tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "I-LOC"]
    changed = convert_iob1_to_iob2(tags)
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "B-ORG", "B-LOC"]
    assert changed == 4


def test_iob1_file_converted(tmp_path: Path) -> None:
    path = write(tmp_path, "iob1.txt", "John I-PER\nSmith I-PER\nin O\nParis I-LOC\n")
    [example] = read_conll(path, separator="space", scheme="iob1")
    assert example.tags == ("B-PER", "I-PER", "O", "B-LOC")


def test_docstart_ends_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "doc.txt", "-DOCSTART- O\n\nA O\n-DOCSTART- O\nB B-PER\n\n")
    examples = read_conll(path, separator="space")
    assert [example.tokens for example in examples] == [("A",), ("B",)]


def test_crlf_and_whitespace_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "crlf.tsv", "A\tO\r\n\t\r\nB\tB-PER\r\nC\tI-PER\r\n")
    examples = read_conll(path)
    assert [example.tokens for example in examples] == [("A",), ("B", "C")]


def test_invalid_iob2_repaired_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "bad.tsv", "A\tO\nB\tI-PER\nC\tI-LOC\n")
    stats = ReadStats()
    with caplog.at_level(logging.INFO, logger="datamodules.readers"):
        [example] = read_conll(path, invalid_tags="repair", stats=stats)
    assert example.tags == ("O", "B-PER", "B-LOC")
    assert stats.repaired_tags == 2
    assert "repaired_tags=2" in caplog.text


def test_invalid_iob2_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.tsv", "A\tO\nB\tB-PER\n\nC\tO\nD\tI-PER\n")
    with pytest.raises(DataFormatError, match="'I-PER'") as error:
        read_conll(path, invalid_tags="reject")
    assert_names_file_and_line(error, path, 5)


def test_conll_wrong_column_count(tmp_path: Path) -> None:
    path = write(tmp_path, "cols.txt", "EU NNP B-NP B-ORG\nrejects VBZ O\n")
    with pytest.raises(DataFormatError, match="expected 4 space-separated columns, found 3") as error:
        read_conll(path, separator="space")
    assert_names_file_and_line(error, path, 2)


def test_conll_empty_tag(tmp_path: Path) -> None:
    path = write(tmp_path, "empty_tag.tsv", "A\tO\nB\t\n")
    with pytest.raises(DataFormatError, match="empty tag") as error:
        read_conll(path)
    assert_names_file_and_line(error, path, 2)


@pytest.mark.parametrize("tag", ["PER", "B_PER", "X-PER", "B-", "o"])
def test_conll_invalid_tag(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path, "bad_tag.tsv", f"A\tO\n\nB\t{tag}\n")
    with pytest.raises(DataFormatError, match="invalid tag") as error:
        read_conll(path)
    assert_names_file_and_line(error, path, 3)


def test_conll_missing_token_prefix(tmp_path: Path) -> None:
    path = write(tmp_path, "prefix.tsv", "en:A\tO\nB\tO\n")
    with pytest.raises(DataFormatError, match="prefix") as error:
        read_conll(path, token_prefix="en:")
    assert_names_file_and_line(error, path, 2)


def test_conll_entity_type_not_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "types.tsv", "A\tB-PER\nB\tB-GPE\n")
    allowed = AllowedLabels(frozenset({"PER"}), origin="the entity types of task t", fix="Fix it")
    with pytest.raises(DataFormatError, match="'GPE'") as error:
        read_conll(path, allowed=allowed)
    assert_names_file_and_line(error, path, 2)


def test_conll_tag_column_option(tmp_path: Path) -> None:
    path = write(tmp_path, "middle.txt", "EU B-ORG NNP\n")
    [example] = read_conll(path, separator="space", tag_column=1)
    assert example.tags == ("B-ORG",)


# ---------------------------------------------------------------------------------------------
# Small files: one test for each kind of invalid input


def test_missing_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "absent.tsv"
    with pytest.raises(DataFormatError, match="MTPF_DATA_DIR") as error:
        read_conll(path)
    assert str(path) in str(error.value)


def test_empty_file_is_empty_split(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.tsv", "\n\n")
    with pytest.raises(DataFormatError, match="no examples found in 2 lines") as error:
        read_conll(path)
    assert str(path) in str(error.value)


def test_undecodable_byte_names_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"pos\tgood\nneg\tcaf\xe9\n")
    with pytest.raises(DataFormatError, match=r"b'\\xe9'.*reader_options.encoding") as error:
        read_class_files(path)
    assert_names_file_and_line(error, path, 2)


def test_encoding_errors_replace_counts(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pos"
    path.write_bytes(b"caf\xe9\n")
    stats = ReadStats()
    [example] = read_class_files(path, encoding_errors="replace", stats=stats)
    assert example.text == "caf\ufffd"
    assert stats.replacement_characters == 1


def test_encoding_errors_ignore_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "x.pos", "text\n")
    with pytest.raises(ValueError, match="encoding_errors"):
        read_class_files(path, encoding_errors="ignore")


def test_label_text_missing_space(tmp_path: Path) -> None:
    path = write(tmp_path, "sst.txt", "1 good film\n0\n")
    with pytest.raises(DataFormatError, match="found no space") as error:
        read_label_text(path)
    assert_names_file_and_line(error, path, 2)


def test_label_outside_label_map(tmp_path: Path) -> None:
    path = write(tmp_path, "sst.txt", "1 good film\n2 odd film\n")
    with pytest.raises(DataFormatError, match="'2' is not a key of label_map") as error:
        read_label_text(path, label_map=SST2_LABELS)
    assert_names_file_and_line(error, path, 2)


def test_label_outside_explicit_set(tmp_path: Path) -> None:
    path = write(tmp_path, "trec.txt", "LOC:city Where is it ?\nXYZ:odd What is it ?\n")
    allowed = AllowedLabels(frozenset({"LOC", "HUM"}), origin="the labels of task trec", fix="Add it")
    with pytest.raises(DataFormatError, match="'XYZ' is not in the labels of task trec") as error:
        read_trec(path, allowed=allowed)
    assert_names_file_and_line(error, path, 2)


def test_trec_line_without_colon(tmp_path: Path) -> None:
    path = write(tmp_path, "trec.txt", "LOC:city Where is it ?\nLOC Where ?\n")
    with pytest.raises(DataFormatError, match="COARSE:fine") as error:
        read_trec(path)
    assert_names_file_and_line(error, path, 2)


def test_tsv_wrong_column_count(tmp_path: Path) -> None:
    path = write(tmp_path, "cola.tsv", "gj04\t1\t\tGood one.\ngj04\t0\t*\n")
    with pytest.raises(DataFormatError, match="expected 4 tab-separated columns, found 3") as error:
        read_tsv(path, text_column=3, label_column=1)
    assert_names_file_and_line(error, path, 2)


def test_tsv_empty_label(tmp_path: Path) -> None:
    path = write(tmp_path, "cola.tsv", "gj04\t1\t\tGood one.\ngj04\t\t*\tBad one.\n")
    with pytest.raises(DataFormatError, match="empty label") as error:
        read_tsv(path, text_column=3, label_column=1)
    assert_names_file_and_line(error, path, 2)


def test_tsv_keeps_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "pair.tsv", 'label\ta\tb\n1\tHe said "hi\tShe said "bye"\n')
    [example] = read_tsv(path, header=["label", "a", "b"], text_column=1, text_pair_column=2, label_column=0)
    assert example == TcExample(text='He said "hi', label="1", text_pair='She said "bye"')


def test_csv_wrong_field_count(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", 'text,category\n"multi\nline",a\nno label\n')
    with pytest.raises(DataFormatError, match="expected 2 fields") as error:
        read_csv(path, label_field="category")
    assert_names_file_and_line(error, path, 4)


def test_csv_unterminated_quote(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", 'text,category\nfine,a\n"open,b\n')
    with pytest.raises(DataFormatError, match="invalid CSV") as error:
        read_csv(path, label_field="category")
    assert_names_file_and_line(error, path, 3)


def test_csv_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", "text,intent\nhello,a\n")
    with pytest.raises(DataFormatError, match="'category' not found") as error:
        read_csv(path, label_field="category")
    assert_names_file_and_line(error, path, 1)


def test_text_label_line_count_mismatch(tmp_path: Path) -> None:
    texts = write(tmp_path, "train_text.txt", "one\ntwo\nthree\n")
    labels = write(tmp_path, "train_labels.txt", "0\n1\n")
    with pytest.raises(DataFormatError, match="3 lines but train_labels.txt has 2") as error:
        read_text_label_lines(texts, labels)
    assert_names_file_and_line(error, texts, 3)


def test_label_id_outside_mapping(tmp_path: Path) -> None:
    texts = write(tmp_path, "t.txt", "one\ntwo\n")
    labels = write(tmp_path, "l.txt", "0\n7\n")
    mapping = write(tmp_path, "mapping.txt", "0\tanger\n1\tjoy")
    with pytest.raises(DataFormatError, match="'7'") as error:
        read_text_label_lines(texts, labels, mapping)
    assert_names_file_and_line(error, labels, 2)


def test_invalid_mapping_line(tmp_path: Path) -> None:
    mapping = write(tmp_path, "mapping.txt", "0\tanger\n1 joy")
    with pytest.raises(DataFormatError, match="expected '<id><TAB><label name>'") as error:
        read_label_mapping(mapping)
    assert_names_file_and_line(error, mapping, 2)


# ---------------------------------------------------------------------------------------------
# JSON Lines


def test_jsonl_reads_fields(tmp_path: Path) -> None:
    lines = [
        {"sentence": "good", "gold": 1, "other": "x"},
        {"sentence": "bad", "gold": 0},
    ]
    path = write(tmp_path, "data.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    stats = ReadStats()
    examples = read_jsonl(
        path, text_field="sentence", label_field="gold", label_map={"0": "neg", "1": "pos"}, stats=stats
    )
    assert examples == [TcExample(text="good", label="pos"), TcExample(text="bad", label="neg")]
    assert stats.skipped_blank_lines == 1


def test_jsonl_text_pair(tmp_path: Path) -> None:
    path = write(tmp_path, "pairs.jsonl", json.dumps({"a": "x", "b": "y", "label": "entailment"}) + "\n")
    [example] = read_jsonl(path, text_field="a", text_pair_field="b")
    assert example == TcExample(text="x", label="entailment", text_pair="y")


def test_jsonl_invalid_json(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", "label": \n')
    with pytest.raises(DataFormatError, match="invalid JSON") as error:
        read_jsonl(path)
    assert_names_file_and_line(error, path, 2)


def test_jsonl_missing_field(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", '{"text": "a", "label": "x"}\n{"text": "b"}\n')
    with pytest.raises(DataFormatError, match="'label' not found") as error:
        read_jsonl(path)
    assert_names_file_and_line(error, path, 2)
