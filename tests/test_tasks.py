"""Task records, split loading, derived splits and label lists."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from datamodules.errors import DataFormatError, TaskRecordError, UnknownTaskError
from datamodules.examples import NerExample, TcExample
from datamodules.tasks import (
    SPLITS,
    DerivedSplit,
    TaskRegistry,
    derive_parts,
    hub_dataset_to_splits,
    load_task_record,
    load_task_splits,
    read_task_files,
    task_labels,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
TASKS_DIR = REPO_ROOT / "conf" / "tasks"
SUITE_DIR = REPO_ROOT / "conf" / "suite"

# Split sizes (train, dev, test) of every task, derived splits included.
EXPECTED_SIZES = {
    "conll2003": (14041, 3250, 3453),
    "wnut17": (3394, 1009, 1287),
    "ncbi_disease": (5424, 923, 940),
    "bc5cdr": (4560, 4581, 4797),
    "bc2gm": (12574, 2519, 5038),
    "btc": (7470, 934, 934),
    "wikigold": (1356, 170, 170),
    "crossner_politics": (200, 541, 651),
    "crossner_science": (200, 450, 543),
    "crossner_music": (100, 380, 465),
    "sst2": (6920, 872, 1821),
    "cola": (7696, 855, 1043),
    "mrpc": (3668, 408, 1725),
    "rte": (2241, 249, 277),
    "trec": (4907, 545, 500),
    "mr": (8530, 1066, 1066),
    "subj": (8000, 1000, 1000),
    "cr": (3017, 377, 377),
    "banking77": (9003, 1000, 3080),
    "tweeteval_emotion": (3257, 374, 1421),
    "tweeteval_irony": (2862, 955, 784),
}
DERIVED_TASKS = ["btc", "wikigold", "cola", "mrpc", "rte", "trec", "mr", "subj", "cr", "banking77"]


@pytest.fixture(scope="module")
def registry() -> TaskRegistry:
    return TaskRegistry(TASKS_DIR)


def suite_tasks(name: str) -> list[str]:
    return yaml.safe_load((SUITE_DIR / f"{name}.yaml").read_text(encoding="utf-8"))["tasks"]


def as_key(example: Any) -> tuple[Any, ...]:
    if isinstance(example, NerExample):
        return (example.tokens, example.tags)
    return (example.text, example.text_pair, example.label)


def write_task(tmp_path: Path, record: dict[str, Any], stem: str = "toy") -> Path:
    tasks_dir = tmp_path / "tasks"
    tasks_dir.mkdir(exist_ok=True)
    path = tasks_dir / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")
    return path


def small_tc_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": "toy",
        "family": "tc",
        "metric": "accuracy",
        "reader": "label_text",
        "reader_options": {"encoding": "utf-8"},
        "files": {"train": "toy/train.txt", "dev": "toy/dev.txt", "test": "toy/test.txt"},
        "labels": None,
        "hub": None,
        "description": "A toy task.",
    }
    record.update(changes)
    return record


def write_toy_data(data_dir: Path, train: str, dev: str, test: str) -> None:
    folder = data_dir / "toy"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("train", train), ("dev", dev), ("test", test)):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Records and suites


def test_registry_lists_all_21(registry: TaskRegistry) -> None:
    assert sorted(registry.names()) == sorted(EXPECTED_SIZES)
    assert len(registry.names()) == 21


def test_suite21_matches_records(registry: TaskRegistry) -> None:
    tasks = suite_tasks("suite21")
    assert len(tasks) == 21
    assert sorted(tasks) == registry.names()


def test_smoke6_tasks() -> None:
    assert suite_tasks("smoke6") == ["conll2003", "wnut17", "ncbi_disease", "sst2", "trec", "banking77"]


@pytest.mark.parametrize("name", sorted(EXPECTED_SIZES))
def test_record_loads(registry: TaskRegistry, name: str) -> None:
    spec = registry.get(name)
    assert spec.name == name
    assert spec.metric == ("entity_f1" if spec.family == "ner" else "accuracy")
    assert spec.record_path == TASKS_DIR / f"{name}.yaml"


def test_cola_extra_metric(registry: TaskRegistry) -> None:
    assert registry.get("cola").extra_metrics == ["mcc"]


def test_unknown_task_lists_names(registry: TaskRegistry) -> None:
    with pytest.raises(UnknownTaskError, match="unknown task 'sst3'") as error:
        registry.get("sst3")
    assert "banking77, bc2gm, bc5cdr" in str(error.value)
    assert "wnut17" in str(error.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metric": "f1"}, "invalid metric 'f1'"),
        ({"metric": "entity_f1"}, "metric 'entity_f1' is for ner tasks"),
        ({"reader": "conll"}, "reader 'conll' is for ner tasks"),
        ({"colour": "red"}, r"unknown field\(s\) \['colour'\]"),
        ({"name": "other"}, "must equal the file name"),
        ({"reader_options": {"sep": "\t"}}, r"has no option\(s\) \['sep'\]"),
        ({"reader_options": {"stats": None}}, r"has no option\(s\) \['stats'\]"),
        ({"files": {"train": "a", "test": "b"}}, "exactly once"),
        ({"files": {"train": "/abs/train.txt", "dev": "a", "test": "b"}}, "must be relative"),
        ({"labels": [True, False]}, "labels must be strings"),
        ({"hub": {"path": "x"}}, "hub has unknown"),
        ({"extra_metrics": ["entity_f1"]}, "extra metric 'entity_f1' is for ner tasks"),
    ],
)
def test_invalid_record_names_file(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    path = write_task(tmp_path, small_tc_record(**changes))
    with pytest.raises(TaskRecordError, match=message) as error:
        load_task_record(path)
    assert str(path) in str(error.value)


def test_invalid_derived_fractions(tmp_path: Path) -> None:
    record = small_tc_record(
        files={"train": "toy/train.txt", "test": "toy/test.txt"},
        derived_splits=[{"source": "train", "seed": 1, "parts": {"train": 0.9, "dev": 0.2}}],
    )
    path = write_task(tmp_path, record)
    with pytest.raises(TaskRecordError, match="must sum to 1") as error:
        load_task_record(path)
    assert str(path) in str(error.value)


def test_required_reader_option(tmp_path: Path) -> None:
    path = write_task(tmp_path, small_tc_record(reader="tsv", reader_options={"text_column": 1}))
    with pytest.raises(TaskRecordError, match=r"needs the option\(s\) \['label_column'\]"):
        load_task_record(path)


def test_path_count_for_line_pairs(tmp_path: Path) -> None:
    path = write_task(tmp_path, small_tc_record(reader="text_label_lines", reader_options={}))
    with pytest.raises(TaskRecordError, match="files.train has 1 path"):
        load_task_record(path)


# ---------------------------------------------------------------------------------------------
# Splits of the 21 tasks on the mirror


@pytest.mark.parametrize("name", sorted(EXPECTED_SIZES))
def test_task_split_sizes(registry: TaskRegistry, data_dir: Path, name: str) -> None:
    splits = load_task_splits(registry.get(name), data_dir)
    assert list(splits) == list(SPLITS)
    assert tuple(len(splits[split]) for split in SPLITS) == EXPECTED_SIZES[name]


@pytest.mark.parametrize("name", DERIVED_TASKS)
def test_derived_splits_deterministic(registry: TaskRegistry, data_dir: Path, name: str) -> None:
    spec = registry.get(name)
    first = load_task_splits(spec, data_dir)
    second = load_task_splits(spec, data_dir)
    assert first == second


@pytest.mark.parametrize("name", DERIVED_TASKS)
def test_derived_splits_partition_source(registry: TaskRegistry, data_dir: Path, name: str) -> None:
    spec = registry.get(name)
    [derivation] = spec.derived_splits
    source = read_task_files(spec, derivation.source, data_dir)
    splits = load_task_splits(spec, data_dir)
    parts = [splits[part] for part in derivation.parts]
    combined = Counter(as_key(example) for part in parts for example in part)
    assert sum(len(part) for part in parts) == len(source)
    assert combined == Counter(as_key(example) for example in source)


def test_cola_test_is_public_dev(registry: TaskRegistry, data_dir: Path) -> None:
    splits = load_task_splits(registry.get("cola"), data_dir)
    assert len(splits["test"]) == 527 + 516
    assert splits["test"][0].text == "The sailors rode the breeze clear of the rocks."


def test_mrpc_is_pair_task(registry: TaskRegistry, data_dir: Path) -> None:
    splits = load_task_splits(registry.get("mrpc"), data_dir)
    assert all(example.text_pair for name in SPLITS for example in splits[name])


def test_conll2003_labels(registry: TaskRegistry, data_dir: Path) -> None:
    spec = registry.get("conll2003")
    labels = task_labels(spec, load_task_splits(spec, data_dir))
    assert labels == ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def test_trec_six_coarse_labels(registry: TaskRegistry, data_dir: Path) -> None:
    spec = registry.get("trec")
    labels = task_labels(spec, load_task_splits(spec, data_dir))
    assert labels == ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]


def test_banking77_labels_from_train(registry: TaskRegistry, data_dir: Path) -> None:
    spec = registry.get("banking77")
    labels = task_labels(spec, load_task_splits(spec, data_dir))
    categories = json.loads((data_dir / "banking77" / "categories.json").read_text(encoding="utf-8"))
    assert len(labels) == 77
    assert labels == sorted(categories)


def test_explicit_labels_keep_order(registry: TaskRegistry, data_dir: Path) -> None:
    spec = registry.get("tweeteval_irony")
    assert task_labels(spec, load_task_splits(spec, data_dir)) == ["non_irony", "irony"]


def test_crossner_types_from_record(registry: TaskRegistry, data_dir: Path) -> None:
    spec = registry.get("crossner_science")
    labels = task_labels(spec, load_task_splits(spec, data_dir))
    # The training split has B-chemicalelement but no I-chemicalelement; the type gives both.
    assert "I-chemicalelement" in labels
    assert len(labels) == 1 + 2 * 17


# ---------------------------------------------------------------------------------------------
# Derived splits on small inputs


def test_derive_parts_pinned_permutation() -> None:
    derivation = DerivedSplit(source="all", seed=1234, parts={"train": 0.8, "dev": 0.1, "test": 0.1})
    parts = derive_parts(list(range(10)), derivation)
    # Pins the output of random.Random(1234).shuffle, so a change of the algorithm shows here.
    assert parts == {"train": [0, 2, 3, 4, 5, 6, 8, 9], "dev": [1], "test": [7]}


def test_derive_parts_sizes() -> None:
    derivation = DerivedSplit(source="train", seed=7, parts={"train": 0.9, "dev": 0.1})
    parts = derive_parts(list(range(5452)), derivation)
    assert (len(parts["train"]), len(parts["dev"])) == (4907, 545)


def test_derive_parts_disjoint_and_complete() -> None:
    derivation = DerivedSplit(source="all", seed=3, parts={"train": 0.8, "dev": 0.1, "test": 0.1})
    parts = derive_parts(list(range(1001)), derivation)
    indices = [index for part in parts.values() for index in part]
    assert len(indices) == 1001
    assert set(indices) == set(range(1001))
    assert [len(part) for part in parts.values()] == [801, 100, 100]


def test_derive_parts_seed_changes_cut() -> None:
    parts = {"train": 0.5, "dev": 0.5}
    first = derive_parts(list(range(100)), DerivedSplit("all", 1, parts))
    second = derive_parts(list(range(100)), DerivedSplit("all", 2, parts))
    assert first["dev"] != second["dev"]


# ---------------------------------------------------------------------------------------------
# Label and file checks on small tasks


def test_dev_label_missing_from_train(tmp_path: Path) -> None:
    write_toy_data(tmp_path, train="0 a\n1 b\n", dev="0 c\n2 d\n", test="1 e\n")
    spec = load_task_record(write_task(tmp_path, small_tc_record()))
    with pytest.raises(DataFormatError, match="'2' is not in the labels of the training split of task toy") as error:
        load_task_splits(spec, tmp_path)
    assert str(tmp_path / "toy" / "dev.txt") in str(error.value)
    assert "line 2" in str(error.value)


def test_test_label_outside_explicit_labels(tmp_path: Path) -> None:
    write_toy_data(tmp_path, train="0 a\n1 b\n", dev="0 c\n", test="1 e\n3 f\n")
    spec = load_task_record(write_task(tmp_path, small_tc_record(labels=["0", "1", "2"])))
    with pytest.raises(DataFormatError, match="'3' is not in the labels of task toy") as error:
        load_task_splits(spec, tmp_path)
    assert str(tmp_path / "toy" / "test.txt") in str(error.value)
    assert "line 2" in str(error.value)


def test_derived_dev_label_missing_from_train(tmp_path: Path) -> None:
    write_toy_data(tmp_path, train="0 a\n0 b\n0 c\n1 d\n", dev="", test="0 e\n")
    record = small_tc_record(
        files={"train": "toy/train.txt", "test": "toy/test.txt"},
        derived_splits=[{"source": "train", "seed": 0, "parts": {"train": 0.75, "dev": 0.25}}],
    )
    spec = load_task_record(write_task(tmp_path, record))
    derived = derive_parts(["0", "0", "0", "1"], spec.derived_splits[0])
    assert derived["dev"] == ["1"]
    with pytest.raises(DataFormatError, match=r"dev split of task toy has \['1'\]") as error:
        load_task_splits(spec, tmp_path)
    assert str(spec.record_path) in str(error.value)


def test_derived_split_empty(tmp_path: Path) -> None:
    write_toy_data(tmp_path, train="0 a\n0 b\n0 c\n", dev="", test="0 e\n")
    record = small_tc_record(
        files={"train": "toy/train.txt", "test": "toy/test.txt"},
        derived_splits=[{"source": "train", "seed": 0, "parts": {"train": 0.9, "dev": 0.1}}],
    )
    spec = load_task_record(write_task(tmp_path, record))
    with pytest.raises(DataFormatError, match="the dev split of task toy is empty") as error:
        load_task_splits(spec, tmp_path)
    assert str(spec.record_path) in str(error.value)


def test_missing_task_file(tmp_path: Path) -> None:
    spec = load_task_record(write_task(tmp_path, small_tc_record()))
    with pytest.raises(DataFormatError, match="MTPF_DATA_DIR") as error:
        load_task_splits(spec, tmp_path)
    assert str(tmp_path / "toy" / "train.txt") in str(error.value)
    assert str(spec.record_path) in str(error.value)


def test_ner_dev_type_missing_from_train(tmp_path: Path) -> None:
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "train.txt").write_text("A\tB-PER\n", encoding="utf-8")
    (folder / "dev.txt").write_text("B\tO\n\nC\tB-LOC\n", encoding="utf-8")
    (folder / "test.txt").write_text("D\tB-PER\n", encoding="utf-8")
    record = small_tc_record(family="ner", metric="entity_f1", reader="conll", reader_options={"columns": 2})
    spec = load_task_record(write_task(tmp_path, record))
    with pytest.raises(DataFormatError, match="entity type 'LOC'") as error:
        load_task_splits(spec, tmp_path)
    assert str(folder / "dev.txt") in str(error.value)
    assert "line 3" in str(error.value)


# ---------------------------------------------------------------------------------------------
# Hub conversion (in memory; nothing is downloaded)


def test_hub_ner_conversion(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {
            "words": datasets.Sequence(datasets.Value("string")),
            "ner": datasets.Sequence(datasets.ClassLabel(names=["O", "B-PER", "I-PER"])),
        }
    )
    split = datasets.Dataset.from_dict({"words": [["Ada", "Lovelace"]], "ner": [[1, 2]]}, features=features)
    dataset = datasets.DatasetDict({"train": split, "validation": split, "test": split})
    hub = {
        "path": "example/ner",
        "revision": "0" * 40,
        "splits": {"train": "train", "dev": "validation", "test": "test"},
        "columns": {"tokens": "words", "tags": "ner"},
    }
    record = small_tc_record(family="ner", metric="entity_f1", reader="conll", reader_options={}, hub=hub)
    spec = load_task_record(write_task(tmp_path, record))
    splits = hub_dataset_to_splits(spec, dataset)
    assert splits["dev"] == [NerExample(tokens=("Ada", "Lovelace"), tags=("B-PER", "I-PER"))]


def test_hub_tc_conversion(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {"sentence": datasets.Value("string"), "label": datasets.ClassLabel(names=["negative", "positive"])}
    )
    split = datasets.Dataset.from_dict({"sentence": ["fine film"], "label": [1]}, features=features)
    dataset = datasets.DatasetDict({"train": split, "validation": split, "test": split})
    hub = {
        "path": "example/tc",
        "revision": "0" * 40,
        "splits": {"train": "train", "dev": "validation", "test": "test"},
        "columns": {"text": "sentence", "label": "label"},
    }
    spec = load_task_record(write_task(tmp_path, small_tc_record(hub=hub)))
    splits = hub_dataset_to_splits(spec, dataset)
    assert splits["train"] == [TcExample(text="fine film", label="positive")]
