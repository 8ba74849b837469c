"""Downstream task records and the loading of their train, dev and test splits.

Each task has one YAML record in ``conf/tasks/<name>.yaml``. The record names the reader,
its options, the files of each split relative to the data directory (``MTPF_DATA_DIR``) and
how to derive the splits that the release lacks. ``load_task_splits`` reads the files and
always returns the keys ``train``, ``dev`` and ``test``. ``task_labels`` returns the label
list that a classification head indexes.
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import yaml

from datamodules.errors import DataFormatError, TaskRecordError, UnknownTaskError
from datamodules.examples import NerExample, TcExample
from datamodules.readers import READER_FAMILIES, READERS, RESERVED_OPTIONS, AllowedLabels

logger = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
FAMILIES = ("ner", "tc")
# Family that each metric applies to.
METRIC_FAMILIES = {"entity_f1": "ner", "accuracy": "tc", "macro_f1": "tc", "mcc": "tc"}
# Tolerance when checking that the fractions of a derived split sum to 1.
_FRACTION_TOLERANCE = 1e-6

_REQUIRED_FIELDS = ("name", "family", "metric", "reader", "files", "description")
_OPTIONAL_FIELDS = ("reader_options", "derived_splits", "labels", "hub", "extra_metrics")
_DERIVED_SPLIT_FIELDS = ("source", "seed", "parts")
_HUB_FIELDS = ("path", "revision", "name", "splits", "columns")
_HUB_COLUMNS = {"tc": ("text", "label"), "ner": ("tokens", "tags")}

Example = TypeVar("Example", NerExample, TcExample)


@dataclass(frozen=True)
class DerivedSplit:
    """A seeded cut of one source split into parts, for splits that the release lacks."""

    #: Key in ``TaskSpec.files`` whose examples are cut. The parts replace it.
    source: str
    #: Seed of the ``random.Random`` that permutes the source examples.
    seed: int
    #: Output split name to fraction of the source, in order. Every part after the first gets
    #: ``round(fraction * n)`` examples and the first part gets the rest.
    parts: dict[str, float]


@dataclass(frozen=True)
class TaskSpec:
    """One downstream task, as loaded and validated from its YAML record."""

    #: Task name, equal to the record's file name without ``.yaml``.
    name: str
    #: ``ner`` (token tagging) or ``tc`` (text or text-pair classification).
    family: str
    #: Main metric: ``entity_f1`` for NER, ``accuracy``, ``macro_f1`` or ``mcc`` for TC.
    metric: str
    #: Key in ``readers.READERS``.
    reader: str
    #: Keyword options passed to the reader.
    reader_options: dict[str, Any]
    #: Source key (a split name or a derived split's source) to path(s) relative to the data directory.
    files: dict[str, str | list[str]]
    #: Seeded cuts that make the splits missing from ``files``.
    derived_splits: list[DerivedSplit]
    #: TC label names in head order or NER entity types. None reads them from the training split.
    labels: list[str] | None
    #: Hugging Face Hub record (``path``, pinned ``revision``, ``splits``, ``columns``), or None.
    hub: dict[str, Any] | None
    #: Summary of the task and of how its splits are made.
    description: str
    #: Metrics reported next to the main metric.
    extra_metrics: list[str] = field(default_factory=list)
    #: YAML file that the spec was loaded from, for messages.
    record_path: Path | None = None


# ---------------------------------------------------------------------------------------------
# Records


class TaskRegistry:
    """Task records in a folder of ``<name>.yaml`` files, loaded and validated on first use."""

    def __init__(self, tasks_dir: Path | str) -> None:
        self.tasks_dir = Path(tasks_dir)
        if not self.tasks_dir.is_dir():
            raise FileNotFoundError(f"task record folder not found: {self.tasks_dir}")
        self._specs: dict[str, TaskSpec] = {}

    def names(self) -> list[str]:
        """Return the sorted names of all task records."""
        return sorted(path.stem for path in self.tasks_dir.glob("*.yaml"))

    def get(self, name: str) -> TaskSpec:
        """Return the validated spec of a task, or raise UnknownTaskError listing the valid names."""
        if name not in self._specs:
            path = self.tasks_dir / f"{name}.yaml"
            if not path.is_file():
                raise UnknownTaskError(
                    f"unknown task {name!r}: no record {path}. Valid task names: {', '.join(self.names())}"
                )
            self._specs[name] = load_task_record(path)
        return self._specs[name]


def load_task_record(path: Path) -> TaskSpec:
    """Load and validate one task record. Raises TaskRecordError naming the file and field."""
    try:
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TaskRecordError(f"{path}: invalid YAML: {error}") from error
    if not isinstance(record, dict):
        raise TaskRecordError(f"{path}: expected a mapping of task fields, found {type(record).__name__}")
    return parse_task_record(record, path)


def parse_task_record(record: Mapping[str, Any], path: Path) -> TaskSpec:
    """Validate a task record mapping and build its TaskSpec. ``path`` appears in messages."""
    _check_fields(record, path)
    name = _string_field(record, "name", path)
    if name != path.stem:
        raise TaskRecordError(f"{path}: name {name!r} must equal the file name {path.stem!r}")
    family = _choice_field(record, "family", FAMILIES, path)
    reader = _choice_field(record, "reader", READERS, path)
    _check_family(path, "reader", reader, READER_FAMILIES[reader], family)
    files = _files_field(record, path)
    derived_splits = _derived_splits_field(record, files, path)
    _check_final_splits(files, derived_splits, path)
    reader_options = _reader_options_field(record, reader, files, path)
    return TaskSpec(
        name=name,
        family=family,
        metric=_metric_field(record, family, path),
        reader=reader,
        reader_options=reader_options,
        files=files,
        derived_splits=derived_splits,
        labels=_labels_field(record, path),
        hub=_hub_field(record, family, path),
        description=_string_field(record, "description", path),
        extra_metrics=_extra_metrics_field(record, family, path),
        record_path=path,
    )


def _check_fields(record: Mapping[str, Any], path: Path) -> None:
    missing = [name for name in _REQUIRED_FIELDS if name not in record]
    if missing:
        raise TaskRecordError(f"{path}: missing field(s) {missing}")
    unknown = sorted(set(record) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS))
    if unknown:
        raise TaskRecordError(
            f"{path}: unknown field(s) {unknown}. Valid fields are {list(_REQUIRED_FIELDS + _OPTIONAL_FIELDS)}"
        )


def _string_field(record: Mapping[str, Any], name: str, path: Path) -> str:
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise TaskRecordError(f"{path}: field {name!r} must be a non-empty string, found {value!r}")
    return value.strip()


def _choice_field(record: Mapping[str, Any], name: str, choices: Sequence[str] | Mapping[str, Any], path: Path) -> str:
    value = record[name]
    if value not in choices:
        raise TaskRecordError(f"{path}: invalid {name} {value!r}, expected one of {sorted(choices)}")
    return value


def _check_family(path: Path, field_name: str, value: str, value_family: str, family: str) -> None:
    if value_family != family:
        raise TaskRecordError(
            f"{path}: {field_name} {value!r} is for {value_family} tasks, but the family is {family!r}"
        )


def _metric_field(record: Mapping[str, Any], family: str, path: Path) -> str:
    metric = _choice_field(record, "metric", METRIC_FAMILIES, path)
    _check_family(path, "metric", metric, METRIC_FAMILIES[metric], family)
    return metric


def _extra_metrics_field(record: Mapping[str, Any], family: str, path: Path) -> list[str]:
    metrics = record.get("extra_metrics") or []
    if not isinstance(metrics, list):
        raise TaskRecordError(f"{path}: extra_metrics must be a list of metric names, found {metrics!r}")
    for metric in metrics:
        if metric not in METRIC_FAMILIES:
            raise TaskRecordError(f"{path}: invalid extra metric {metric!r}, expected one of {sorted(METRIC_FAMILIES)}")
        _check_family(path, "extra metric", metric, METRIC_FAMILIES[metric], family)
    return list(metrics)


def _files_field(record: Mapping[str, Any], path: Path) -> dict[str, str | list[str]]:
    files = record["files"]
    if not isinstance(files, dict) or not files:
        raise TaskRecordError(f"{path}: files must be a non-empty mapping from split to path(s), found {files!r}")
    for key, value in files.items():
        paths = value if isinstance(value, list) else [value]
        if not paths:
            raise TaskRecordError(f"{path}: files.{key} is an empty list")
        for relative in paths:
            _check_relative_path(relative, f"files.{key}", path)
    return {str(key): value for key, value in files.items()}


def _check_relative_path(value: object, where: str, path: Path) -> None:
    if not isinstance(value, str) or not value.strip():
        raise TaskRecordError(f"{path}: {where} must contain path strings, found {value!r}")
    posix = PurePosixPath(value)
    if posix.is_absolute() or ".." in posix.parts:
        raise TaskRecordError(f"{path}: {where} path {value!r} must be relative to the data directory, without '..'")


def _derived_splits_field(record: Mapping[str, Any], files: Mapping[str, Any], path: Path) -> list[DerivedSplit]:
    entries = record.get("derived_splits") or []
    if not isinstance(entries, list):
        raise TaskRecordError(f"{path}: derived_splits must be a list, found {entries!r}")
    derived = [_derived_split(entry, index, files, path) for index, entry in enumerate(entries)]
    sources = [split.source for split in derived]
    if len(set(sources)) != len(sources):
        raise TaskRecordError(f"{path}: derived_splits cut the same source more than once: {sources}")
    return derived


def _derived_split(entry: object, index: int, files: Mapping[str, Any], path: Path) -> DerivedSplit:
    where = f"derived_splits[{index}]"
    if not isinstance(entry, dict) or set(entry) != set(_DERIVED_SPLIT_FIELDS):
        raise TaskRecordError(
            f"{path}: {where} must have exactly the fields {list(_DERIVED_SPLIT_FIELDS)}, found {entry!r}"
        )
    source, seed, parts = entry["source"], entry["seed"], entry["parts"]
    if source not in files:
        raise TaskRecordError(f"{path}: {where}.source {source!r} is not a key of files {sorted(files)}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TaskRecordError(f"{path}: {where}.seed must be an integer, found {seed!r}")
    _check_parts(parts, f"{where}.parts", path)
    return DerivedSplit(source=source, seed=seed, parts={name: float(value) for name, value in parts.items()})


def _check_parts(parts: object, where: str, path: Path) -> None:
    if not isinstance(parts, dict) or len(parts) < 2:
        raise TaskRecordError(f"{path}: {where} must map at least two split names to fractions, found {parts!r}")
    for name, fraction in parts.items():
        if name not in SPLITS:
            raise TaskRecordError(f"{path}: {where} has split {name!r}, expected names from {list(SPLITS)}")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise TaskRecordError(f"{path}: {where}.{name} must be a fraction between 0 and 1, found {fraction!r}")
    total = sum(parts.values())
    if abs(total - 1) > _FRACTION_TOLERANCE:
        raise TaskRecordError(f"{path}: {where} fractions must sum to 1, found {total}")


def _check_final_splits(files: Mapping[str, Any], derived: list[DerivedSplit], path: Path) -> None:
    """Check that files plus derived splits make each of train, dev and test exactly once."""
    by_source = {split.source: split for split in derived}
    produced: list[str] = []
    for key in files:
        produced.extend(by_source[key].parts if key in by_source else [key])
    if sorted(produced) != sorted(SPLITS):
        raise TaskRecordError(
            f"{path}: files and derived_splits must make each of {list(SPLITS)} exactly once, "
            f"but they make {produced}. Add a derived split for a missing split, or rename the files key"
        )


def _reader_options_field(
    record: Mapping[str, Any], reader: str, files: Mapping[str, Any], path: Path
) -> dict[str, Any]:
    options = record.get("reader_options") or {}
    if not isinstance(options, dict):
        raise TaskRecordError(f"{path}: reader_options must be a mapping, found {options!r}")
    signature = inspect.signature(READERS[reader])
    settable = {
        name
        for name, parameter in signature.parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in RESERVED_OPTIONS
    }
    unknown = sorted(set(options) - settable)
    if unknown:
        raise TaskRecordError(
            f"{path}: reader {reader!r} has no option(s) {unknown}. Valid options are {sorted(settable)}"
        )
    required = [
        name
        for name in settable
        if signature.parameters[name].default is inspect.Parameter.empty and name not in options
    ]
    if required:
        raise TaskRecordError(f"{path}: reader {reader!r} needs the option(s) {sorted(required)} in reader_options")
    for key, value in files.items():
        _check_path_count(signature, len(value) if isinstance(value, list) else 1, f"files.{key}", reader, path)
    return dict(options)


def _check_path_count(signature: inspect.Signature, count: int, where: str, reader: str, path: Path) -> None:
    positional = [
        parameter
        for parameter in signature.parameters.values()
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if any(parameter.kind is inspect.Parameter.VAR_POSITIONAL for parameter in signature.parameters.values()):
        return
    minimum = sum(1 for parameter in positional if parameter.default is inspect.Parameter.empty)
    if not minimum <= count <= len(positional):
        names = ", ".join(parameter.name for parameter in positional)
        raise TaskRecordError(f"{path}: {where} has {count} path(s), but reader {reader!r} takes the files ({names})")


def _labels_field(record: Mapping[str, Any], path: Path) -> list[str] | None:
    labels = record.get("labels")
    if labels is None:
        return None
    if not isinstance(labels, list) or not labels:
        raise TaskRecordError(f"{path}: labels must be a non-empty list or null, found {labels!r}")
    for label in labels:
        if not isinstance(label, str) or not label:
            raise TaskRecordError(f"{path}: labels must be strings (quote values such as yes, no, 0), found {label!r}")
    if len(set(labels)) != len(labels):
        raise TaskRecordError(f"{path}: labels contain duplicates: {labels}")
    return list(labels)


def _hub_field(record: Mapping[str, Any], family: str, path: Path) -> dict[str, Any] | None:
    hub = record.get("hub")
    if hub is None:
        return None
    if not isinstance(hub, dict):
        raise TaskRecordError(f"{path}: hub must be a mapping or null, found {hub!r}")
    unknown = sorted(set(hub) - set(_HUB_FIELDS))
    missing = [name for name in ("path", "revision", "splits", "columns") if name not in hub]
    if unknown or missing:
        raise TaskRecordError(
            f"{path}: hub has unknown field(s) {unknown} or lacks {missing}. The fields are {list(_HUB_FIELDS)}"
        )
    if not isinstance(hub["splits"], dict) or sorted(hub["splits"]) != sorted(SPLITS):
        raise TaskRecordError(f"{path}: hub.splits must map each of {list(SPLITS)} to a Hub split name")
    columns = hub["columns"]
    if not isinstance(columns, dict) or any(name not in columns for name in _HUB_COLUMNS[family]):
        raise TaskRecordError(f"{path}: hub.columns must name the Hub columns for {list(_HUB_COLUMNS[family])}")
    return dict(hub)


# ---------------------------------------------------------------------------------------------
# Splits


def load_task_splits(spec: TaskSpec, data_dir: Path | str) -> dict[str, list[Any]]:
    """Read a task's files under ``data_dir`` and return its ``train``, ``dev`` and ``test`` splits.

    The source that makes the training split is read first. Every other file is then read
    with the allowed labels: the record's ``labels`` if given, else the labels (TC) or entity
    types (NER) of the training split. So a dev or test label that training lacks raises
    DataFormatError at its file and line. Derived splits are cut with ``derive_parts``.
    Raises DataFormatError for a missing file or an empty split.
    """
    data_dir = Path(data_dir)
    derivations = {split.source: split for split in spec.derived_splits}
    train_source = _train_source(spec, derivations)
    explicit = _explicit_allowed(spec)
    splits: dict[str, list[Any]] = {}
    splits.update(_load_source(spec, train_source, data_dir, explicit, derivations))
    allowed = explicit or _training_allowed(spec, splits["train"])
    for key in spec.files:
        if key != train_source:
            splits.update(_load_source(spec, key, data_dir, allowed, derivations))
    _check_split_sizes(spec, splits)
    _check_split_labels(spec, splits, allowed)
    return {name: splits[name] for name in SPLITS}


def _train_source(spec: TaskSpec, derivations: Mapping[str, DerivedSplit]) -> str:
    for key in spec.files:
        if key == "train" and key not in derivations:
            return key
        if key in derivations and "train" in derivations[key].parts:
            return key
    raise TaskRecordError(f"{spec.record_path}: no files entry or derived split makes the train split")


def _load_source(
    spec: TaskSpec,
    key: str,
    data_dir: Path,
    allowed: AllowedLabels | None,
    derivations: Mapping[str, DerivedSplit],
) -> dict[str, list[Any]]:
    examples = read_task_files(spec, key, data_dir, allowed)
    if key not in derivations:
        return {key: examples}
    parts = derive_parts(examples, derivations[key])
    sizes = ", ".join(f"{name} {len(part)}" for name, part in parts.items())
    logger.info(
        "Task %s: cut %d examples of %r into %s (seed %d)", spec.name, len(examples), key, sizes, derivations[key].seed
    )
    return parts


def read_task_files(spec: TaskSpec, key: str, data_dir: Path, allowed: AllowedLabels | None = None) -> list[Any]:
    """Read the files of one ``files`` key with the task's reader and options."""
    paths = resolve_task_paths(spec, key, data_dir)
    return READERS[spec.reader](*paths, **spec.reader_options, allowed=allowed)


def resolve_task_paths(spec: TaskSpec, key: str, data_dir: Path) -> list[Path]:
    """Return the absolute paths of one ``files`` key, or raise DataFormatError for a missing file."""
    value = spec.files[key]
    relative_paths = value if isinstance(value, list) else [value]
    paths = [data_dir / relative for relative in relative_paths]
    for path in paths:
        if not path.is_file():
            raise DataFormatError(
                f"file not found: expected {path} for files.{key} of task {spec.name}",
                path=path,
                fix=f"Check that MTPF_DATA_DIR (now {data_dir}) points to the data mirror "
                f"and that {spec.record_path} names the right file",
            )
    return paths


def derive_parts(examples: Sequence[Example], derivation: DerivedSplit) -> dict[str, list[Example]]:
    """Cut examples into the derivation's parts with a seeded permutation of their order.

    The permutation comes from ``random.Random(seed).shuffle`` over the source order, so the
    cut is the same on every run and machine for the same source order. Consecutive runs of
    the permutation form the parts, in the order of ``derivation.parts``. Each part keeps the
    source order of its examples. The parts are disjoint and together hold every example.
    """
    order = list(range(len(examples)))
    random.Random(derivation.seed).shuffle(order)
    parts: dict[str, list[Example]] = {}
    offset = 0
    for name, size in _part_sizes(len(examples), derivation.parts).items():
        indices = sorted(order[offset : offset + size])
        parts[name] = [examples[index] for index in indices]
        offset += size
    return parts


def _part_sizes(total: int, fractions: Mapping[str, float]) -> dict[str, int]:
    names = list(fractions)
    later = {name: round(fractions[name] * total) for name in names[1:]}
    first = total - sum(later.values())
    return {names[0]: first, **later}


def _explicit_allowed(spec: TaskSpec) -> AllowedLabels | None:
    if spec.labels is None:
        return None
    label_kind = "entity types" if spec.family == "ner" else "labels"
    return AllowedLabels(
        names=frozenset(spec.labels),
        origin=f"the {label_kind} of task {spec.name}",
        fix=f"Correct the file, or add the value to labels in {spec.record_path}",
    )


def _training_allowed(spec: TaskSpec, train: Sequence[Any]) -> AllowedLabels:
    label_kind = "entity types" if spec.family == "ner" else "labels"
    return AllowedLabels(
        names=frozenset(example_labels(spec.family, train)),
        origin=f"the {label_kind} of the training split of task {spec.name}",
        fix="Every dev and test label must occur in the training split. Check that the files are splits of "
        f"one data set, or give an explicit labels list in {spec.record_path}",
    )


def example_labels(family: str, examples: Sequence[Any]) -> set[str]:
    """Return the label names (TC) or entity types (NER) that occur in ``examples``."""
    if family == "ner":
        return {tag[2:] for example in examples for tag in example.tags if tag != "O"}
    return {example.label for example in examples}


def _check_split_sizes(spec: TaskSpec, splits: Mapping[str, Sequence[Any]]) -> None:
    for name in SPLITS:
        if not splits[name]:
            raise DataFormatError(
                f"the {name} split of task {spec.name} is empty",
                path=spec.record_path,
                fix="Give the derived split a larger fraction, or check the split's files",
            )


def _check_split_labels(spec: TaskSpec, splits: Mapping[str, Sequence[Any]], allowed: AllowedLabels) -> None:
    """Raise DataFormatError if a dev or test split has a label outside ``allowed``.

    Files that were read with ``allowed`` already passed this check at their lines. It
    matters for derived splits, where a rare label can fall into dev or test only.
    """
    for name in ("dev", "test"):
        extra = sorted(example_labels(spec.family, splits[name]) - allowed.names)
        if extra:
            raise DataFormatError(
                f"the {name} split of task {spec.name} has {extra}, which are not in {allowed.origin}",
                path=spec.record_path,
                fix="Change the seed or fractions of derived_splits, or give an explicit labels list",
            )


def task_labels(spec: TaskSpec, splits: Mapping[str, Sequence[Any]]) -> list[str]:
    """Return the label list of a task, checking that dev and test labels are all in it.

    TC: the record's ``labels`` in their given order, else the sorted label names of the
    training split. NER: ``O``, then ``B-TYPE`` and ``I-TYPE`` for each entity type sorted by
    type, with types from the record's ``labels`` or the training split. Raises
    DataFormatError when dev or test has a label (or type) outside that set.
    """
    allowed = _explicit_allowed(spec) or _training_allowed(spec, splits["train"])
    _check_split_labels(spec, splits, allowed)
    if spec.family == "tc":
        return list(spec.labels) if spec.labels is not None else sorted(allowed.names)
    tags = ["O"]
    for entity_type in sorted(allowed.names):
        tags.extend((f"B-{entity_type}", f"I-{entity_type}"))
    return tags


# ---------------------------------------------------------------------------------------------
# Hugging Face Hub


class HubLoadError(RuntimeError):
    """Failure to load a task from the Hugging Face Hub, with the cause chained."""


def load_hub_splits(spec: TaskSpec, cache_dir: Path | str | None = None) -> dict[str, list[Any]]:
    """Download a task from the Hugging Face Hub at its pinned revision and return its splits.

    Needs network access to the Hub. Machines without it raise HubLoadError and should use
    ``load_task_splits`` with the data mirror instead.
    """
    if spec.hub is None:
        raise TaskRecordError(f"{spec.record_path}: task {spec.name} has no hub record. Use load_task_splits")
    import datasets

    hub = spec.hub
    try:
        dataset = datasets.load_dataset(
            hub["path"], hub.get("name"), revision=hub["revision"], cache_dir=str(cache_dir) if cache_dir else None
        )
    # The datasets and huggingface_hub versions raise different types for network, offline and
    # not-found failures, so every failure is re-raised as one type with its cause chained.
    except Exception as error:
        raise HubLoadError(
            f"failed to load task {spec.name} from the Hub ({hub['path']} at revision {hub['revision']}): {error}. "
            "Without Hub access, set MTPF_DATA_DIR to the data mirror and use load_task_splits"
        ) from error
    return hub_dataset_to_splits(spec, dataset)


def hub_dataset_to_splits(spec: TaskSpec, dataset: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Convert a ``datasets.DatasetDict`` to example splits with the record's split and column names.

    Class-label columns are turned into label names with the features' ``names``.
    """
    if spec.hub is None:
        raise TaskRecordError(f"{spec.record_path}: task {spec.name} has no hub record")
    splits = {}
    for name in SPLITS:
        split = dataset[spec.hub["splits"][name]]
        if spec.family == "tc":
            splits[name] = _hub_tc_examples(split, spec.hub["columns"])
        else:
            splits[name] = _hub_ner_examples(split, spec.hub["columns"])
    return splits


def _hub_tc_examples(split: Any, columns: Mapping[str, str]) -> list[TcExample]:
    label_names = getattr(split.features[columns["label"]], "names", None)
    pair_column = columns.get("text_pair")
    examples = []
    for row in split:
        label = row[columns["label"]]
        examples.append(
            TcExample(
                text=row[columns["text"]],
                label=label_names[label] if label_names else str(label),
                text_pair=row[pair_column] if pair_column else None,
            )
        )
    return examples


def _hub_ner_examples(split: Any, columns: Mapping[str, str]) -> list[NerExample]:
    tag_feature = split.features[columns["tags"]]
    tag_names = getattr(getattr(tag_feature, "feature", None), "names", None)
    examples = []
    for row in split:
        tags = [tag_names[tag] if tag_names else str(tag) for tag in row[columns["tags"]]]
        examples.append(NerExample(tokens=tuple(row[columns["tokens"]]), tags=tuple(tags)))
    return examples
