"""Data validation report for downstream tasks, as printed by ``scripts/validate_data.py``.

``task_report`` reads one task's files and returns, per split, the example count, the label
distribution and the sub-token lengths, together with the reader's changes to the input, the
texts shared between splits and the problems found. ``format_report`` renders reports as
Markdown tables.

The files are read like ``tasks.load_task_splits`` reads them, with the same readers, options
and derived splits, but without the ``allowed`` label check in the readers. The label checks
run afterwards over whole splits instead, so one report lists every unexpected label rather
than the first failing line.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from transformers import PreTrainedTokenizerBase

from datamodules.errors import TaskRecordError, UnknownTaskError
from datamodules.examples import NerExample, TcExample
from datamodules.readers import READERS, ReadStats
from datamodules.tasks import SPLITS, TaskRegistry, TaskSpec, derive_parts, example_labels, resolve_task_paths

logger = logging.getLogger(__name__)

# Split pairs checked for shared texts. The share is taken of the second split's examples.
SPLIT_PAIRS = (("train", "dev"), ("train", "test"), ("dev", "test"))
PERCENTILES = (50, 90, 99)
# Share of a split's examples that may repeat texts of another split before it is a problem.
# The standard releases in the data mirror reach 5.9% (CoNLL-2003 dev in train, mostly sports
# table lines such as "Scorers :"). A larger share suggests overlapping files, such as one file
# listed for two splits. Smaller non-zero shares are reported as notes.
DEFAULT_MAX_OVERLAP = 0.10
# Texts per tokenizer call: large enough for the fast tokenizer's batch speed-up, small
# enough to bound the memory of one call.
TOKENIZE_BATCH_SIZE = 2048
# Table cells that are right-aligned: counts with thousands separators, percentages and "-".
_NUMBER_PATTERN = re.compile(r"-|[0-9][0-9,]*(\.[0-9]+)?%?")


@dataclass(frozen=True)
class LengthSummary:
    """Sub-token lengths of a split's examples, special tokens included."""

    #: Percentile to length. Percentiles are observed lengths (numpy method ``nearest``).
    percentiles: dict[int, int]
    maximum: int
    #: Examples longer than ``max_length``: NER sentences that need windows, TC examples that are truncated.
    over_max_length: int


@dataclass
class SplitReport:
    """Statistics of one split."""

    examples: int
    #: TC: examples per label. NER: entities per entity type, counted from the B- tags of the IOB2 tags.
    label_counts: Counter[str]
    #: NER: tokens per IOB2 tag. Empty for TC.
    tag_counts: Counter[str]
    #: None for an empty split.
    lengths: LengthSummary | None


@dataclass
class SourceReport:
    """One ``files`` key of a task record and the reader's counts for its files."""

    key: str
    paths: list[str]
    #: Splits made from this key: the key itself, or the parts of its derived split.
    splits: list[str]
    stats: ReadStats


@dataclass(frozen=True)
class Overlap:
    """Texts shared by two splits (NER: identical token sequences, TC: identical text and text pair)."""

    first: str
    second: str
    #: Distinct texts that occur in both splits.
    shared_texts: int
    #: Examples of ``second`` whose text occurs in ``first``, as a fraction of ``second``.
    share: float


@dataclass
class TaskReport:
    """Validation result of one task. ``problems`` is empty when the task can be trained as it is."""

    name: str
    family: str | None
    max_length: int
    #: Share of repeated texts above which an overlap is a problem.
    max_overlap: float = DEFAULT_MAX_OVERLAP
    splits: dict[str, SplitReport] = field(default_factory=dict)
    sources: list[SourceReport] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Findings that need no action but may surprise: unused labels, replaced bytes.
    notes: list[str] = field(default_factory=list)

    @property
    def read_stats(self) -> ReadStats:
        """Return the reader counts summed over all files of the task."""
        total = ReadStats()
        for source in self.sources:
            total.add(source.stats)
        return total


# ---------------------------------------------------------------------------------------------
# Building reports


def suite_reports(
    registry: TaskRegistry,
    names: Iterable[str],
    data_dir: Path,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    max_overlap: float = DEFAULT_MAX_OVERLAP,
) -> list[TaskReport]:
    """Build the report of each named task. An unknown name or invalid record becomes that task's problem."""
    reports = []
    for name in names:
        try:
            spec = registry.get(name)
        except (TaskRecordError, UnknownTaskError) as error:
            logger.warning("Task %s: invalid task record: %s", name, error)
            failed = TaskReport(name=name, family=None, max_length=max_length, max_overlap=max_overlap, problems=[str(error)])
            reports.append(failed)
            continue
        reports.append(task_report(spec, data_dir, tokenizer, max_length, max_overlap))
    return reports


def task_report(
    spec: TaskSpec,
    data_dir: Path | str,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    max_overlap: float = DEFAULT_MAX_OVERLAP,
) -> TaskReport:
    """Read a task's files and build its report.

    A file that fails to load (DataFormatError, or ValueError for an invalid reader option)
    is not raised: its message becomes the report's only problem and the report has no splits.
    """
    report = TaskReport(name=spec.name, family=spec.family, max_length=max_length, max_overlap=max_overlap)
    try:
        splits, report.sources = load_splits_with_stats(spec, Path(data_dir))
    except ValueError as error:  # DataFormatError, TaskRecordError and invalid reader options
        logger.warning("Task %s: loading failed: %s", spec.name, error)
        report.problems.append(str(error))
        return report

    for name, examples in splits.items():
        lengths = sequence_lengths(tokenizer, examples)
        report.splits[name] = split_report(examples, lengths, max_length)
    report.overlaps = find_overlaps(splits)
    report.problems.extend(split_problems(spec, splits))
    report.problems.extend(overlap_problems(report.overlaps, max_overlap))
    report.notes.extend(task_notes(spec, report))
    return report


def load_splits_with_stats(spec: TaskSpec, data_dir: Path) -> tuple[dict[str, list[Any]], list[SourceReport]]:
    """Read every ``files`` key of a task with its own ReadStats and return the splits and the counts.

    Derived splits are cut with ``derive_parts`` as in ``load_task_splits``. Labels are not
    checked here. Raises DataFormatError for a missing or invalid file.
    """
    derivations = {split.source: split for split in spec.derived_splits}
    splits: dict[str, list[Any]] = {}
    sources = []
    for key in spec.files:
        paths = resolve_task_paths(spec, key, data_dir)
        stats = ReadStats()
        examples = READERS[spec.reader](*paths, **spec.reader_options, stats=stats)
        parts = derive_parts(examples, derivations[key]) if key in derivations else {key: examples}
        splits.update(parts)
        relative = [str(path.relative_to(data_dir)) for path in paths]
        sources.append(SourceReport(key=key, paths=relative, splits=list(parts), stats=stats))
    return {name: splits[name] for name in SPLITS}, sources


# ---------------------------------------------------------------------------------------------
# Per-split statistics


def sequence_lengths(tokenizer: PreTrainedTokenizerBase, examples: Sequence[NerExample | TcExample]) -> np.ndarray:
    """Return the sub-token count of each example, special tokens included, without truncation.

    NER sentences are tokenized as pre-split words. A TC pair counts both texts and the
    special tokens of a pair. ``tokenizer`` must be a fast tokenizer for batch speed.
    """
    if not examples:
        return np.zeros(0, dtype=np.int64)
    if isinstance(examples[0], NerExample):
        words = [list(example.tokens) for example in examples]
        counts = _token_counts(tokenizer, words, is_split_into_words=True)
        return counts + tokenizer.num_special_tokens_to_add(pair=False)

    counts = _token_counts(tokenizer, [example.text for example in examples])
    pair_indices = [index for index, example in enumerate(examples) if example.text_pair is not None]
    specials = np.full(len(examples), tokenizer.num_special_tokens_to_add(pair=False), dtype=np.int64)
    if pair_indices:
        pairs = [examples[index].text_pair for index in pair_indices]
        counts[pair_indices] += _token_counts(tokenizer, pairs)
        specials[pair_indices] = tokenizer.num_special_tokens_to_add(pair=True)
    return counts + specials


def _token_counts(tokenizer: PreTrainedTokenizerBase, inputs: list[Any], is_split_into_words: bool = False) -> np.ndarray:
    counts = np.zeros(len(inputs), dtype=np.int64)
    for start in range(0, len(inputs), TOKENIZE_BATCH_SIZE):
        batch = inputs[start : start + TOKENIZE_BATCH_SIZE]
        # verbose=False silences the warning about sequences longer than the model maximum,
        # because measuring those sequences is the point here.
        encoded = tokenizer(
            batch,
            is_split_into_words=is_split_into_words,
            add_special_tokens=False,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,
        )
        counts[start : start + len(batch)] = [len(ids) for ids in encoded["input_ids"]]
    return counts


def split_report(examples: Sequence[NerExample | TcExample], lengths: np.ndarray, max_length: int) -> SplitReport:
    """Count the labels (TC) or entities and tags (NER) of a split and summarize its lengths."""
    label_counts: Counter[str] = Counter()
    tag_counts: Counter[str] = Counter()
    for example in examples:
        if isinstance(example, NerExample):
            tag_counts.update(example.tags)
            label_counts.update(tag[2:] for tag in example.tags if tag.startswith("B-"))
        else:
            label_counts[example.label] += 1
    return SplitReport(
        examples=len(examples),
        label_counts=label_counts,
        tag_counts=tag_counts,
        lengths=summarize_lengths(lengths, max_length),
    )


def summarize_lengths(lengths: np.ndarray, max_length: int) -> LengthSummary | None:
    """Return the percentiles, maximum and count over ``max_length`` of ``lengths``, or None when empty."""
    if lengths.size == 0:
        return None
    values = np.percentile(lengths, PERCENTILES, method="nearest")
    return LengthSummary(
        percentiles={percentile: int(value) for percentile, value in zip(PERCENTILES, values, strict=True)},
        maximum=int(lengths.max()),
        over_max_length=int((lengths > max_length).sum()),
    )


# ---------------------------------------------------------------------------------------------
# Checks


def text_key(example: NerExample | TcExample) -> tuple[str | None, ...]:
    """Return the text identity that duplicates are found by: the tokens, or the text and text pair."""
    if isinstance(example, NerExample):
        return example.tokens
    return (example.text, example.text_pair)


def find_overlaps(splits: Mapping[str, Sequence[NerExample | TcExample]]) -> list[Overlap]:
    """Return the texts shared by each pair in SPLIT_PAIRS."""
    keys = {name: [text_key(example) for example in examples] for name, examples in splits.items()}
    overlaps = []
    for first, second in SPLIT_PAIRS:
        first_keys = set(keys[first])
        repeated = sum(1 for key in keys[second] if key in first_keys)
        share = repeated / len(keys[second]) if keys[second] else 0.0
        shared_texts = len(first_keys.intersection(keys[second]))
        overlaps.append(Overlap(first=first, second=second, shared_texts=shared_texts, share=share))
    return overlaps


def split_problems(spec: TaskSpec, splits: Mapping[str, Sequence[Any]]) -> list[str]:
    """Return the problems that would stop training: empty splits and labels outside the allowed set.

    Dev and test labels (TC) or entity types (NER) must occur in the training split. With an
    explicit ``labels`` list in the record, every split's labels must also be in that list.
    """
    kind = "entity type(s)" if spec.family == "ner" else "label(s)"
    problems = [f"the {name} split is empty" for name in SPLITS if not splits[name]]
    train_labels = example_labels(spec.family, splits["train"])
    for name in ("dev", "test"):
        missing = sorted(example_labels(spec.family, splits[name]) - train_labels)
        if missing:
            problems.append(f"the {name} split has {kind} {missing} that the train split lacks")
    if spec.labels is not None:
        for name in SPLITS:
            unlisted = sorted(example_labels(spec.family, splits[name]) - set(spec.labels))
            if unlisted:
                problems.append(f"the {name} split has {kind} {unlisted} that are not in labels of {spec.record_path}")
    return problems


def overlap_problems(overlaps: Iterable[Overlap], max_overlap: float) -> list[str]:
    """Return a problem for each split pair whose share of repeated texts exceeds ``max_overlap``."""
    return [
        f"{overlap.share:.1%} of the {overlap.second} examples repeat {overlap.first} texts "
        f"({overlap.shared_texts} distinct texts), more than the limit of {max_overlap:.1%}"
        for overlap in overlaps
        if overlap.share > max_overlap
    ]


def task_notes(spec: TaskSpec, report: TaskReport) -> list[str]:
    """Return findings that are not problems: record labels unused in train and replaced bytes."""
    notes = []
    if spec.labels is not None:
        unused = [label for label in spec.labels if not report.splits["train"].label_counts[label]]
        if unused:
            notes.append(f"labels {unused} of the record never occur in the train split")
    replaced = report.read_stats.replacement_characters
    if replaced:
        notes.append(f"{replaced} U+FFFD replacement character(s) in the decoded text (encoding_errors: replace)")
    return notes


# ---------------------------------------------------------------------------------------------
# Formatting


def format_report(reports: Sequence[TaskReport]) -> str:
    """Render the reports as Markdown: a summary table, then one section per task."""
    problem_count = sum(len(report.problems) for report in reports)
    failed = [report.name for report in reports if report.problems]
    verdict = f"{problem_count} problem(s) in {', '.join(failed)}" if failed else "no problems found"
    max_lengths = sorted({report.max_length for report in reports})
    header = [
        "# Data validation report",
        "",
        f"{len(reports)} task(s), max_length {', '.join(map(str, max_lengths))} sub-tokens "
        f"(special tokens included): {verdict}.",
    ]
    sections = ["\n".join(header), _summary_table(reports)]
    sections.extend(_task_section(report) for report in reports)
    return "\n\n".join(sections) + "\n"


def _summary_table(reports: Sequence[TaskReport]) -> str:
    rows = []
    for report in reports:
        sizes = [_count(report.splits[name].examples) if name in report.splits else "-" for name in SPLITS]
        over = sum(split.lengths.over_max_length for split in report.splits.values() if split.lengths)
        shared = sum(overlap.shared_texts for overlap in report.overlaps)
        rows.append(
            [report.name, report.family or "-", *sizes, _count(over), _count(shared), str(len(report.problems))]
        )
    header = ["task", "family", *SPLITS, "over max_length", "shared texts", "problems"]
    return "## Summary\n\n" + markdown_table(header, rows)


def _task_section(report: TaskReport) -> str:
    parts = [f"## {report.name} ({report.family or 'record not loaded'})"]
    if report.splits:
        parts.append(_length_table(report))
        parts.append(_label_table(report))
        if report.family == "ner":
            parts.append(_tag_table(report))
        parts.append(_source_table(report))
        parts.append(_overlap_table(report))
    parts.append(_findings("Problems", report.problems))
    if report.notes:
        parts.append(_findings("Notes", report.notes))
    return "\n\n".join(parts)


def _length_table(report: TaskReport) -> str:
    over_name = "needs windows" if report.family == "ner" else "truncated"
    header = ["split", "examples", *(f"p{percentile}" for percentile in PERCENTILES), "max", over_name]
    rows = []
    for name, split in report.splits.items():
        if split.lengths is None:
            rows.append([name, _count(split.examples), *["-"] * (len(PERCENTILES) + 2)])
            continue
        lengths = split.lengths
        percentiles = [str(lengths.percentiles[percentile]) for percentile in PERCENTILES]
        rows.append([name, _count(split.examples), *percentiles, str(lengths.maximum), _count(lengths.over_max_length)])
    return "Sub-token lengths, special tokens included:\n\n" + markdown_table(header, rows)


def _label_table(report: TaskReport) -> str:
    title = "Entities per type" if report.family == "ner" else "Examples per label"
    counts = {name: split.label_counts for name, split in report.splits.items()}
    return f"{title}:\n\n" + _count_table("entity type" if report.family == "ner" else "label", counts)


def _tag_table(report: TaskReport) -> str:
    counts = {name: split.tag_counts for name, split in report.splits.items()}
    return "Tokens per tag (IOB2):\n\n" + _count_table("tag", counts)


def _count_table(key_name: str, counts: Mapping[str, Counter[str]]) -> str:
    keys = sorted(set().union(*counts.values()))
    rows = [[key, *(_count(counts[split][key]) for split in counts)] for key in keys]
    rows.append(["total", *(_count(sum(counter.values())) for counter in counts.values())])
    return markdown_table([key_name, *counts], rows)


def _source_table(report: TaskReport) -> str:
    rows = []
    for source in report.sources:
        files, splits = ", ".join(source.paths), ", ".join(source.splits)
        rows.append([source.key, files, splits, _count(source.stats.examples), source.stats.describe_changes()])
    header = ["files key", "files", "splits", "examples read", "reader changes"]
    return "Files read:\n\n" + markdown_table(header, rows)


def _overlap_table(report: TaskReport) -> str:
    rows = [
        [f"{overlap.first} & {overlap.second}", _count(overlap.shared_texts), f"{overlap.share:.1%}"]
        for overlap in report.overlaps
    ]
    header = ["splits", "shared texts", "share of second split"]
    title = f"Identical texts in two splits (a problem above {report.max_overlap:.1%} of the second split)"
    return f"{title}:\n\n" + markdown_table(header, rows)


def _findings(title: str, findings: Sequence[str]) -> str:
    if not findings:
        return f"{title}: none"
    return f"{title}:\n\n" + "\n".join(f"- {finding}" for finding in findings)


def _count(value: int) -> str:
    return f"{value:,}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a Markdown table with padded columns, so that it also reads as plain text.

    Columns whose cells are all numbers (or ``-``) are right-aligned, the others left-aligned.
    """
    columns = range(len(header))
    widths = [max(len(row[index]) for row in [header, *rows]) for index in columns]
    numeric = [bool(rows) and all(_NUMBER_PATTERN.fullmatch(row[index]) for row in rows) for index in columns]

    def render(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    markers = [
        "-" * (width + 1) + ":" if right else ":" + "-" * (width + 1)
        for width, right in zip(widths, numeric, strict=True)
    ]
    rule = "|" + "|".join(markers) + "|"
    return "\n".join([render(header), rule, *(render(row) for row in rows)])
