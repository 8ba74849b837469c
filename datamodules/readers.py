"""Readers for the downstream task files in their released formats.

Every reader takes one or more file paths plus keyword options and returns ``NerExample`` or
``TcExample`` records in file order, files in the order given. Task records name a reader by
its key in ``READERS`` and pass their ``reader_options`` as keyword arguments.

Options that every reader accepts:

- ``encoding`` and ``encoding_errors`` set how bytes are decoded (a per-task policy). The
  default is strict UTF-8, and an undecodable byte raises ``DataFormatError`` with the file and
  line. ``encoding_errors`` is ``strict`` or ``replace``. ``ignore`` is rejected because it
  would drop bytes without a trace. A leading byte order mark (U+FEFF) is removed.
- ``allowed`` (set by the task layer, not by task records) is the set of label names (TC) or
  entity types (NER) that may occur. Any other value raises ``DataFormatError`` at its line.
- ``stats`` is an optional ``ReadStats`` that the reader adds its counts to. Each call also
  logs one INFO line with the example count and any changes it made to the input.

Each file must contain at least one example. Texts and tokens are stripped of surrounding
whitespace.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from datamodules.errors import DataFormatError
from datamodules.examples import NerExample, TcExample

logger = logging.getLogger(__name__)

DOCSTART = "-DOCSTART-"
SEPARATORS = {"tab": "\t", "space": " "}
TAG_SCHEMES = ("iob1", "iob2")
INVALID_TAG_POLICIES = ("repair", "reject")
EMPTY_TOKEN_POLICIES = ("drop", "reject")
BLANK_LINE_POLICIES = ("skip", "reject")
ENCODING_ERROR_POLICIES = ("strict", "replace")
TREC_GRANULARITIES = ("coarse", "fine")

_TAG_PATTERN = re.compile(r"O|[BI]-\S+")
_ENCODING_FIX = (
    "Set reader_options.encoding in the task record to the file's encoding "
    "(for example cp1252 or latin-1), or encoding_errors: replace"
)
_MISSING_FILE_FIX = (
    "Check that MTPF_DATA_DIR points to the data mirror and that the task record's files entry names this file"
)


@dataclass
class ReadStats:
    """Counts of the changes and skips that readers made in their input, summed over the files read."""

    examples: int = 0
    # IOB1 I- tags rewritten as B- tags (scheme: iob1).
    converted_tags: int = 0
    # Invalid IOB2 I- tags rewritten as B- tags (invalid_tags: repair).
    repaired_tags: int = 0
    # Empty O-tagged tokens removed (empty_tokens: drop).
    dropped_tokens: int = 0
    # Sentences that had only empty tokens and were removed with them.
    dropped_sentences: int = 0
    # Blank lines skipped in files with one example a line (blank_lines: skip).
    skipped_blank_lines: int = 0
    # U+FFFD characters in the decoded text (encoding_errors: replace). The count includes
    # any U+FFFD that the file itself contains.
    replacement_characters: int = 0

    def add(self, other: ReadStats) -> None:
        """Add the counts of ``other`` to these counts."""
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def describe_changes(self) -> str:
        """Return the non-zero change counts as ``name=count`` pairs, or ``no changes``."""
        pairs = [
            f"{field.name}={getattr(self, field.name)}"
            for field in fields(self)
            if field.name != "examples" and getattr(self, field.name)
        ]
        return ", ".join(pairs) if pairs else "no changes"


@dataclass(frozen=True)
class AllowedLabels:
    """Label names (TC) or entity types (NER) that a file may contain, with the message parts."""

    names: frozenset[str]
    # Source of the names for messages, such as "the labels of task sst2".
    origin: str
    # Instruction for the user when a file contains another value.
    fix: str


# ---------------------------------------------------------------------------------------------
# Files, decoding and options


def read_lines(path: Path, encoding: str = "utf-8", encoding_errors: str = "strict") -> list[str]:
    """Decode a file and split it into lines at ``\\n``, without line endings.

    A trailing ``\\r`` is removed from each line. Other Unicode line separators (U+2028,
    U+0085 and so on) stay inside their line. A final newline does not make an extra line.
    Raises DataFormatError when the file is missing or a byte cannot be decoded.
    """
    text = _decode_file(path, encoding, encoding_errors)
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _decode_file(path: Path, encoding: str, encoding_errors: str) -> str:
    _check_decode_options(encoding, encoding_errors)
    data = _read_bytes(path)
    try:
        text = data.decode(encoding, errors=encoding_errors)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad_bytes = data[error.start : error.end]
        raise DataFormatError(
            f"invalid {encoding} byte(s) {bad_bytes!r}", path=path, line=line, fix=_ENCODING_FIX
        ) from error
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataFormatError(f"file not found: expected {path}", path=path, fix=_MISSING_FILE_FIX)
    return path.read_bytes()


def _check_decode_options(encoding: str, encoding_errors: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise ValueError(f"invalid reader option encoding={encoding!r}: Python has no such codec") from error
    check_choice("encoding_errors", encoding_errors, ENCODING_ERROR_POLICIES)


def check_choice(option: str, value: object, choices: Collection[str]) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"invalid reader option {option}={value!r}: expected one of {sorted(choices)}")


def _as_paths(paths: Sequence[Path | str]) -> list[Path]:
    if not paths:
        raise ValueError("a reader needs at least one file path")
    return [Path(path) for path in paths]


def _count_replacements(lines: Iterable[str], encoding_errors: str) -> int:
    if encoding_errors == "strict":
        return 0
    return sum(line.count("\ufffd") for line in lines)


def _require_examples(path: Path, examples: Sequence[object], line_count: int) -> None:
    if not examples:
        raise DataFormatError(
            f"no examples found in {line_count} lines",
            path=path,
            fix="Check that the task record names the right file and that the file is complete",
        )


def _log_read(kind: str, paths: Sequence[Path], stats: ReadStats) -> None:
    names = ", ".join(str(path) for path in paths)
    logger.info("Read %d %s from %s (%s)", stats.examples, kind, names, stats.describe_changes())
    if stats.replacement_characters:
        logger.warning("%d undecodable bytes were replaced by U+FFFD in %s", stats.replacement_characters, names)


def _finish(kind: str, paths: Sequence[Path], local: ReadStats, stats: ReadStats | None) -> None:
    _log_read(kind, paths, local)
    if stats is not None:
        stats.add(local)


# ---------------------------------------------------------------------------------------------
# CoNLL-style NER files


@dataclass(frozen=True)
class _ConllLayout:
    separator: str
    columns: int | None
    token_column: int
    tag_column: int
    token_prefix: str | None
    empty_tokens: str


@dataclass
class _Sentence:
    tokens: list[str]
    tags: list[str]
    # 1-based line number of each token, for messages.
    lines: list[int]


def read_conll(
    *paths: Path | str,
    separator: str = "tab",
    columns: int | None = None,
    token_column: int = 0,
    tag_column: int = -1,
    token_prefix: str | None = None,
    scheme: str = "iob2",
    invalid_tags: str = "reject",
    empty_tokens: str = "reject",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[NerExample]:
    """Read CoNLL-style column files into NER sentences with IOB2 tags.

    One token a line, columns split on single tabs or spaces (``separator``), and a blank
    or whitespace-only line between sentences. A line starting with ``-DOCSTART-`` ends the
    current sentence and is never a sentence itself. Every token line must have ``columns`` fields.
    When ``columns`` is None, the first token line of each file sets the count.
    ``token_prefix`` (for example ``en:``) must start every token and is removed.

    Tags must be ``O``, ``B-TYPE`` or ``I-TYPE``. With ``scheme: iob1``, an I- tag that starts
    an entity becomes B-. The IOB2 result is then checked. An I- tag after ``O`` or after
    another type is invalid, and ``invalid_tags`` either repairs it to B- or rejects it.
    With ``empty_tokens: drop``, tokens that are empty after stripping and tagged ``O`` are
    removed. A sentence left with no tokens is removed too. An empty token with an entity
    tag is always rejected.
    """
    check_choice("separator", separator, SEPARATORS)
    check_choice("scheme", scheme, TAG_SCHEMES)
    check_choice("invalid_tags", invalid_tags, INVALID_TAG_POLICIES)
    check_choice("empty_tokens", empty_tokens, EMPTY_TOKEN_POLICIES)
    layout = _ConllLayout(SEPARATORS[separator], columns, token_column, tag_column, token_prefix, empty_tokens)
    file_paths = _as_paths(paths)
    local = ReadStats()
    examples: list[NerExample] = []
    for path in file_paths:
        lines = read_lines(path, encoding, encoding_errors)
        local.replacement_characters += _count_replacements(lines, encoding_errors)
        sentences = _parse_conll(path, lines, layout, local)
        _require_examples(path, sentences, len(lines))
        for sentence in sentences:
            examples.append(_finish_sentence(path, sentence, scheme, invalid_tags, allowed, local))
    local.examples = len(examples)
    _finish("sentences", file_paths, local, stats)
    return examples


def _parse_conll(path: Path, lines: list[str], layout: _ConllLayout, stats: ReadStats) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    current = _Sentence([], [], [])
    had_lines = False
    expected_columns = _expected_conll_columns(path, lines, layout)
    known_tags: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith(DOCSTART):
            _close_sentence(current, had_lines, sentences, stats)
            current, had_lines = _Sentence([], [], []), False
            continue
        fields_ = line.split(layout.separator)
        _check_column_count(path, number, line, fields_, expected_columns, layout.separator)
        token = _clean_token(path, number, fields_[layout.token_column], layout.token_prefix)
        tag = fields_[layout.tag_column].strip()
        if tag not in known_tags:
            _check_tag(path, number, tag)
            known_tags.add(tag)
        had_lines = True
        if not token:
            _handle_empty_token(path, number, tag, layout.empty_tokens)
            stats.dropped_tokens += 1
            continue
        current.tokens.append(token)
        current.tags.append(tag)
        current.lines.append(number)
    _close_sentence(current, had_lines, sentences, stats)
    return sentences


def _close_sentence(sentence: _Sentence, had_lines: bool, sentences: list[_Sentence], stats: ReadStats) -> None:
    if sentence.tokens:
        sentences.append(sentence)
    elif had_lines:
        stats.dropped_sentences += 1


def _expected_conll_columns(path: Path, lines: list[str], layout: _ConllLayout) -> int:
    """Return the column count of the file and check the column options against it."""
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.startswith(DOCSTART):
            columns = layout.columns if layout.columns is not None else len(line.split(layout.separator))
            _check_column_indices(path, number, layout, columns)
            return columns
    return 0


def _check_column_indices(path: Path, number: int, layout: _ConllLayout, columns: int) -> None:
    for option, index in (("token_column", layout.token_column), ("tag_column", layout.tag_column)):
        if not -columns <= index < columns:
            raise DataFormatError(
                f"{option}={index} is outside the {columns} columns of this line",
                path=path,
                line=number,
                fix="Set reader_options.token_column, tag_column and columns in the task record to match the file",
            )


def _check_column_count(path: Path, number: int, line: str, fields_: list[str], expected: int, separator: str) -> None:
    if len(fields_) != expected:
        separator_name = "tab" if separator == "\t" else "space"
        raise DataFormatError(
            f"expected {expected} {separator_name}-separated columns, found {len(fields_)}: {line!r}",
            path=path,
            line=number,
            fix="Correct the line, or set reader_options.separator and columns in the task record",
        )


def _clean_token(path: Path, number: int, token: str, prefix: str | None) -> str:
    token = token.strip()
    if prefix is None:
        return token
    if not token.startswith(prefix):
        raise DataFormatError(
            f"token {token!r} does not start with the prefix {prefix!r}",
            path=path,
            line=number,
            fix="Correct the line or the task record's reader_options.token_prefix",
        )
    return token[len(prefix) :].strip()


def _check_tag(path: Path, number: int, tag: str) -> None:
    if not tag:
        raise DataFormatError(
            "empty tag", path=path, line=number, fix="Every token line needs a tag such as O, B-PER or I-PER"
        )
    if not _TAG_PATTERN.fullmatch(tag):
        raise DataFormatError(
            f"invalid tag {tag!r}: expected O, B-TYPE or I-TYPE",
            path=path,
            line=number,
            fix="Correct the tag, or set reader_options.tag_column if the tags are in another column",
        )


def _handle_empty_token(path: Path, number: int, tag: str, policy: str) -> None:
    if policy == "drop" and tag == "O":
        return
    fix = (
        "An empty token with an entity tag cannot be dropped. Correct the file"
        if policy == "drop"
        else "Set reader_options.empty_tokens: drop in the task record to drop empty O-tagged tokens"
    )
    raise DataFormatError(f"empty token with tag {tag!r}", path=path, line=number, fix=fix)


def _finish_sentence(
    path: Path,
    sentence: _Sentence,
    scheme: str,
    invalid_tags: str,
    allowed: AllowedLabels | None,
    stats: ReadStats,
) -> NerExample:
    if scheme == "iob1":
        stats.converted_tags += convert_iob1_to_iob2(sentence.tags)
    stats.repaired_tags += _validate_iob2(path, sentence, invalid_tags)
    if allowed is not None:
        _check_entity_types(path, sentence, allowed)
    return NerExample(tokens=tuple(sentence.tokens), tags=tuple(sentence.tags))


def convert_iob1_to_iob2(tags: list[str]) -> int:
    """Rewrite IOB1 tags as IOB2 in place and return the number of tags changed.

    In IOB1 an entity starts with I- unless it directly follows an entity of the same type.
    IOB2 starts every entity with B-, so an I- tag after ``O``, after another type or at the
    start of the sentence becomes B-.
    """
    changed = 0
    previous = "O"
    for index, tag in enumerate(tags):
        if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
            tags[index] = "B-" + tag[2:]
            changed += 1
        previous = tags[index]
    return changed


def _validate_iob2(path: Path, sentence: _Sentence, policy: str) -> int:
    """Repair or reject I- tags that do not continue an entity of their type, and return the repair count."""
    repaired = 0
    previous = "O"
    for index, tag in enumerate(sentence.tags):
        if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
            if policy == "reject":
                raise DataFormatError(
                    f"invalid IOB2 tag {tag!r} after {previous!r}: an I- tag must continue an entity of its type",
                    path=path,
                    line=sentence.lines[index],
                    fix="Set reader_options.invalid_tags: repair to turn it into a B- tag, "
                    "or scheme: iob1 if the file uses IOB1",
                )
            sentence.tags[index] = "B-" + tag[2:]
            repaired += 1
        previous = sentence.tags[index]
    return repaired


def _check_entity_types(path: Path, sentence: _Sentence, allowed: AllowedLabels) -> None:
    for tag, number in zip(sentence.tags, sentence.lines, strict=True):
        if tag != "O" and tag[2:] not in allowed.names:
            raise DataFormatError(
                f"entity type {tag[2:]!r} (tag {tag!r}) is not in {allowed.origin} {sorted(allowed.names)}",
                path=path,
                line=number,
                fix=allowed.fix,
            )


# ---------------------------------------------------------------------------------------------
# Text classification: shared label and text checks


def _resolve_label(
    raw: str,
    path: Path,
    number: int,
    label_map: Mapping[str, str] | None,
    allowed: AllowedLabels | None,
) -> str:
    """Map a raw label through ``label_map`` and check it against ``allowed``."""
    raw = raw.strip()
    if not raw:
        raise DataFormatError("empty label", path=path, line=number, fix="Every example needs a label")
    label = raw
    if label_map is not None:
        if raw not in label_map:
            raise DataFormatError(
                f"label {raw!r} is not a key of label_map {sorted(label_map)}",
                path=path,
                line=number,
                fix="Correct the file or add the label to reader_options.label_map in the task record",
            )
        label = label_map[raw]
    if allowed is not None and label not in allowed.names:
        raise DataFormatError(
            f"label {label!r} is not in {allowed.origin} {sorted(allowed.names)}",
            path=path,
            line=number,
            fix=allowed.fix,
        )
    return label


def _require_text(text: str, path: Path, number: int, field_name: str = "text") -> str:
    text = text.strip()
    if not text:
        raise DataFormatError(f"empty {field_name}", path=path, line=number, fix="Every example needs a non-empty text")
    return text


def _normalize_label_map(label_map: Mapping[Any, Any] | None) -> dict[str, str] | None:
    """Return the map with string keys and values, because YAML reads ``0: negative`` with an int key."""
    if label_map is None:
        return None
    return {str(key): str(value) for key, value in label_map.items()}


# ---------------------------------------------------------------------------------------------
# Text classification formats


def read_label_text(
    *paths: Path | str,
    label_map: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[TcExample]:
    """Read ``<label> <text>`` lines: the label is everything before the first space."""
    label_map = _normalize_label_map(label_map)

    def parse(path: Path, number: int, line: str) -> TcExample:
        return _parse_label_text_line(path, number, line, label_map, allowed)

    return _read_files(_as_paths(paths), encoding, encoding_errors, _each_line(parse), stats)


def _read_files(
    file_paths: Sequence[Path],
    encoding: str,
    encoding_errors: str,
    parse_file: Callable[[Path, Any, ReadStats], list[TcExample]],
    stats: ReadStats | None,
    kind: str = "examples",
    whole_text: bool = False,
) -> list[TcExample]:
    """Decode every file and parse it with ``parse_file(path, content, stats)``; each file must yield examples.

    ``content`` is the list of lines, or the whole decoded text when ``whole_text`` is true (for
    formats whose records span lines).
    """
    local = ReadStats()
    examples: list[TcExample] = []
    for path in file_paths:
        if whole_text:
            content = _decode_file(path, encoding, encoding_errors)
            pieces, line_count = [content], content.count("\n")
        else:
            content = read_lines(path, encoding, encoding_errors)
            pieces, line_count = content, len(content)
        local.replacement_characters += _count_replacements(pieces, encoding_errors)
        file_examples = parse_file(path, content, local)
        _require_examples(path, file_examples, line_count)
        examples.extend(file_examples)
    local.examples = len(examples)
    _finish(kind, file_paths, local, stats)
    return examples


def _each_line(parse: Callable[[Path, int, str], TcExample]) -> Callable[[Path, list[str], ReadStats], list[TcExample]]:
    """Turn a parser of one line into a parser of a file's lines."""
    return lambda path, lines, stats: [parse(path, number, line) for number, line in enumerate(lines, start=1)]


def _parse_label_text_line(
    path: Path, number: int, line: str, label_map: Mapping[str, str] | None, allowed: AllowedLabels | None
) -> TcExample:
    raw_label, separator, text = line.partition(" ")
    if not separator:
        raise DataFormatError(
            f"expected '<label> <text>', found no space: {line!r}",
            path=path,
            line=number,
            fix="Correct the line. The label and the text are separated by one space",
        )
    label = _resolve_label(raw_label, path, number, label_map, allowed)
    return TcExample(text=_require_text(text, path, number), label=label)


def read_tsv(
    *paths: Path | str,
    text_column: int,
    label_column: int,
    text_pair_column: int | None = None,
    columns: int | None = None,
    header: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[TcExample]:
    """Read tab-separated rows, choosing the text, optional text pair and label by column index.

    Fields are split on tabs with no quote processing, because GLUE-style files contain bare
    quote characters. When the first line of a file equals ``header`` it is skipped, so files
    with and without the header row can be read together. Every row must have ``columns``
    fields. When ``columns`` is None, the first data row of each file sets the count.
    """
    label_map = _normalize_label_map(label_map)
    layout = _TsvLayout(
        text_column, label_column, text_pair_column, columns, list(header) if header is not None else None
    )

    def parse_file(path: Path, lines: list[str], _: ReadStats) -> list[TcExample]:
        return _parse_tsv(path, lines, layout, label_map, allowed)

    return _read_files(_as_paths(paths), encoding, encoding_errors, parse_file, stats)


@dataclass(frozen=True)
class _TsvLayout:
    text_column: int
    label_column: int
    text_pair_column: int | None
    columns: int | None
    header: list[str] | None


def _parse_tsv(
    path: Path,
    lines: list[str],
    layout: _TsvLayout,
    label_map: Mapping[str, str] | None,
    allowed: AllowedLabels | None,
) -> list[TcExample]:
    start = 1 if layout.header is not None and lines and lines[0].split("\t") == layout.header else 0
    if start == len(lines):
        return []
    expected = layout.columns if layout.columns is not None else len(lines[start].split("\t"))
    _check_tsv_indices(path, start + 1, expected, layout)
    examples: list[TcExample] = []
    for number, line in enumerate(lines[start:], start=start + 1):
        row = line.split("\t")
        _check_column_count(path, number, line, row, expected, "\t")
        examples.append(_tsv_example(path, number, row, layout, label_map, allowed))
    return examples


def _check_tsv_indices(path: Path, number: int, columns: int, layout: _TsvLayout) -> None:
    for index in (layout.text_column, layout.label_column, layout.text_pair_column):
        if index is not None and not -columns <= index < columns:
            raise DataFormatError(
                f"column index {index} is outside the {columns} columns of this line",
                path=path,
                line=number,
                fix="Set reader_options.text_column, label_column, text_pair_column and columns "
                "in the task record to match the file",
            )


def _tsv_example(
    path: Path,
    number: int,
    row: list[str],
    layout: _TsvLayout,
    label_map: Mapping[str, str] | None,
    allowed: AllowedLabels | None,
) -> TcExample:
    text = _require_text(row[layout.text_column], path, number)
    text_pair = None
    if layout.text_pair_column is not None:
        text_pair = _require_text(row[layout.text_pair_column], path, number, "text pair")
    label = _resolve_label(row[layout.label_column], path, number, label_map, allowed)
    return TcExample(text=text, label=label, text_pair=text_pair)


def read_csv(
    *paths: Path | str,
    text_field: str = "text",
    label_field: str = "label",
    text_pair_field: str | None = None,
    delimiter: str = ",",
    label_map: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[TcExample]:
    """Read CSV files with a header row, choosing the text, optional text pair and label by column name.

    Quoted fields may contain delimiters and line breaks. Line numbers in messages are the
    line where a record starts. Empty rows are skipped and counted.
    """
    label_map = _normalize_label_map(label_map)
    field_names = (text_field, label_field, text_pair_field)

    def parse_file(path: Path, text: str, local: ReadStats) -> list[TcExample]:
        return _parse_csv(path, text, delimiter, field_names, label_map, allowed, local)

    return _read_files(_as_paths(paths), encoding, encoding_errors, parse_file, stats, whole_text=True)


def _parse_csv(
    path: Path,
    text: str,
    delimiter: str,
    field_names: tuple[str, str, str | None],
    label_map: Mapping[str, str] | None,
    allowed: AllowedLabels | None,
    stats: ReadStats,
) -> list[TcExample]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = _next_csv_row(path, reader)
    if header is None:
        return []
    indices = _csv_indices(path, header, field_names)
    examples: list[TcExample] = []
    while True:
        start = reader.line_num + 1
        row = _next_csv_row(path, reader)
        if row is None:
            return examples
        if not row:
            stats.skipped_blank_lines += 1
            continue
        if len(row) != len(header):
            raise DataFormatError(
                f"expected {len(header)} fields as in the header, found {len(row)}: {row!r}",
                path=path,
                line=start,
                fix="Correct the record. Fields that contain the delimiter must be quoted",
            )
        examples.append(_csv_example(path, start, row, indices, label_map, allowed))


def _next_csv_row(path: Path, reader: Any) -> list[str] | None:
    start = reader.line_num + 1
    try:
        return next(reader, None)
    except csv.Error as error:
        raise DataFormatError(
            f"invalid CSV: {error}", path=path, line=start, fix="Correct the quoting of this record"
        ) from error


def _csv_indices(
    path: Path, header: list[str], field_names: tuple[str, str, str | None]
) -> tuple[int, int, int | None]:
    positions = {name: index for index, name in enumerate(header)}
    for name in field_names:
        if name is not None and name not in positions:
            raise DataFormatError(
                f"column {name!r} not found in the header {header}",
                path=path,
                line=1,
                fix="Set reader_options.text_field, label_field and text_pair_field in the task record to header names",
            )
    text_field, label_field, text_pair_field = field_names
    pair_index = positions[text_pair_field] if text_pair_field is not None else None
    return positions[text_field], positions[label_field], pair_index


def _csv_example(
    path: Path,
    number: int,
    row: list[str],
    indices: tuple[int, int, int | None],
    label_map: Mapping[str, str] | None,
    allowed: AllowedLabels | None,
) -> TcExample:
    text_index, label_index, pair_index = indices
    text = _require_text(row[text_index], path, number)
    text_pair = _require_text(row[pair_index], path, number, "text pair") if pair_index is not None else None
    label = _resolve_label(row[label_index], path, number, label_map, allowed)
    return TcExample(text=text, label=label, text_pair=text_pair)


def read_trec(
    *paths: Path | str,
    granularity: str = "coarse",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[TcExample]:
    """Read TREC question lines ``COARSE:fine question``.

    ``granularity: coarse`` labels each question with its coarse class (6 classes, for
    example ``LOC``). ``fine`` keeps the whole ``COARSE:fine`` label (50 classes).
    """
    check_choice("granularity", granularity, TREC_GRANULARITIES)

    def parse(path: Path, number: int, line: str) -> TcExample:
        return _parse_trec_line(path, number, line, granularity, allowed)

    return _read_files(_as_paths(paths), encoding, encoding_errors, _each_line(parse), stats, kind="questions")


def _parse_trec_line(path: Path, number: int, line: str, granularity: str, allowed: AllowedLabels | None) -> TcExample:
    raw_label, _, question = line.partition(" ")
    coarse, colon, fine = raw_label.partition(":")
    if not (coarse and colon and fine):
        raise DataFormatError(
            f"expected 'COARSE:fine question', found label {raw_label!r}",
            path=path,
            line=number,
            fix="Correct the line, or choose the reader that matches the file's format",
        )
    label = coarse if granularity == "coarse" else raw_label
    label = _resolve_label(label, path, number, None, allowed)
    return TcExample(text=_require_text(question, path, number), label=label)


def read_class_files(
    *paths: Path | str,
    file_labels: Mapping[str, str] | None = None,
    blank_lines: str = "skip",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[TcExample]:
    """Read one-file-per-class data: every line of a file is one text of that file's class.

    The label of a file is ``file_labels[file name]``, or its suffix without the dot when
    ``file_labels`` is None (``rt-polarity.pos`` is ``pos``). ``blank_lines`` skips (and
    counts) or rejects lines that are empty after stripping.
    """
    check_choice("blank_lines", blank_lines, BLANK_LINE_POLICIES)

    def parse_file(path: Path, lines: list[str], local: ReadStats) -> list[TcExample]:
        label = _resolve_label(_file_label(path, file_labels), path, 1, None, allowed)
        return _class_file_examples(path, lines, label, blank_lines, local)

    return _read_files(_as_paths(paths), encoding, encoding_errors, parse_file, stats)


def _file_label(path: Path, file_labels: Mapping[str, str] | None) -> str:
    if file_labels is not None:
        if path.name not in file_labels:
            raise ValueError(
                f"invalid reader option file_labels: it has no label for {path.name!r} ({sorted(file_labels)})"
            )
        return str(file_labels[path.name])
    if not path.suffix:
        raise ValueError(
            f"invalid reader option file_labels=None: file name {path.name!r} has no suffix to use as its label"
        )
    return path.suffix[1:]


def _class_file_examples(
    path: Path, lines: list[str], label: str, blank_lines: str, stats: ReadStats
) -> list[TcExample]:
    examples: list[TcExample] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text and blank_lines == "skip":
            stats.skipped_blank_lines += 1
            continue
        examples.append(TcExample(text=_require_text(text, path, number), label=label))
    return examples


def read_text_label_lines(
    text_path: Path | str,
    label_path: Path | str,
    mapping_path: Path | str | None = None,
    *,
    label_map: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[TcExample]:
    """Read parallel files of texts and labels, line N of one belonging to line N of the other.

    ``mapping_path`` names a file of ``<id><TAB><label name>`` lines (TweetEval's
    ``mapping.txt``) that turns label ids into names. It replaces ``label_map``, and giving
    both raises ValueError. Without either, the raw labels are the label names.
    """
    text_path, label_path = Path(text_path), Path(label_path)
    if mapping_path is not None:
        if label_map is not None:
            raise ValueError("give either a mapping file or reader option label_map, not both")
        label_map = read_label_mapping(Path(mapping_path), encoding, encoding_errors)
    label_map = _normalize_label_map(label_map)
    texts = read_lines(text_path, encoding, encoding_errors)
    labels = read_lines(label_path, encoding, encoding_errors)
    _check_parallel_lengths(text_path, texts, label_path, labels)
    examples = [
        TcExample(
            text=_require_text(text, text_path, number),
            label=_resolve_label(raw_label, label_path, number, label_map, allowed),
        )
        for number, (text, raw_label) in enumerate(zip(texts, labels, strict=True), start=1)
    ]
    _require_examples(text_path, examples, len(texts))
    local = ReadStats(examples=len(examples), replacement_characters=_count_replacements(texts, encoding_errors))
    _finish("examples", [text_path, label_path], local, stats)
    return examples


def read_label_mapping(path: Path, encoding: str = "utf-8", encoding_errors: str = "strict") -> dict[str, str]:
    """Read ``<id><TAB><label name>`` lines into a dict from id to name."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(read_lines(path, encoding, encoding_errors), start=1):
        row = line.split("\t")
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise DataFormatError(
                f"expected '<id><TAB><label name>', found {line!r}",
                path=path,
                line=number,
                fix="Correct the mapping line",
            )
        mapping[row[0].strip()] = row[1].strip()
    if not mapping:
        raise DataFormatError(
            "no label mapping lines found", path=path, fix="Check that the task record names the mapping file"
        )
    return mapping


def _check_parallel_lengths(text_path: Path, texts: list[str], label_path: Path, labels: list[str]) -> None:
    if len(texts) == len(labels):
        return
    shorter_path, shorter = (text_path, texts) if len(texts) < len(labels) else (label_path, labels)
    raise DataFormatError(
        f"{text_path.name} has {len(texts)} lines but {label_path.name} has {len(labels)}: "
        f"line {len(shorter) + 1} has no counterpart in {shorter_path.name}",
        path=label_path if shorter_path is text_path else text_path,
        line=len(shorter) + 1,
        fix="Use text and label files of the same split, each with one line per example",
    )


def read_jsonl(
    *paths: Path | str,
    text_field: str = "text",
    label_field: str = "label",
    text_pair_field: str | None = None,
    label_map: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    allowed: AllowedLabels | None = None,
    stats: ReadStats | None = None,
) -> list[TcExample]:
    """Read JSON Lines files with one object per line. Blank lines are skipped and counted.

    Text fields must be strings. A number or boolean label is converted with ``str`` before
    ``label_map`` is applied, so a label ``1`` matches the label_map key ``"1"``.
    """
    label_map = _normalize_label_map(label_map)
    field_names = (text_field, label_field, text_pair_field)

    def parse_file(path: Path, lines: list[str], local: ReadStats) -> list[TcExample]:
        file_examples = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                local.skipped_blank_lines += 1
                continue
            record = _parse_json_object(path, number, line)
            file_examples.append(_json_example(path, number, record, field_names, label_map, allowed))
        return file_examples

    return _read_files(_as_paths(paths), encoding, encoding_errors, parse_file, stats)


def _parse_json_object(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataFormatError(
            f"invalid JSON: {error}", path=path, line=number, fix="Each line must be one JSON object"
        ) from error
    if not isinstance(record, dict):
        raise DataFormatError(
            f"expected a JSON object, found {type(record).__name__}",
            path=path,
            line=number,
            fix="Each line must be one JSON object",
        )
    return record


def _json_example(
    path: Path,
    number: int,
    record: dict[str, Any],
    field_names: tuple[str, str, str | None],
    label_map: Mapping[str, str] | None,
    allowed: AllowedLabels | None,
) -> TcExample:
    text_field, label_field, text_pair_field = field_names
    text = _json_text(path, number, record, text_field)
    text_pair = _json_text(path, number, record, text_pair_field) if text_pair_field is not None else None
    raw_label = _json_value(path, number, record, label_field)
    if isinstance(raw_label, (dict, list)) or raw_label is None:
        raise DataFormatError(
            f"field {label_field!r} must be a string or a number, found {raw_label!r}",
            path=path,
            line=number,
            fix="Correct the record or set reader_options.label_field",
        )
    label = _resolve_label(str(raw_label), path, number, label_map, allowed)
    return TcExample(text=text, label=label, text_pair=text_pair)


def _json_value(path: Path, number: int, record: dict[str, Any], field: str) -> Any:
    if field not in record:
        raise DataFormatError(
            f"field {field!r} not found in the object with fields {sorted(record)}",
            path=path,
            line=number,
            fix="Set reader_options.text_field, label_field and text_pair_field in the task record "
            "to the file's field names",
        )
    return record[field]


def _json_text(path: Path, number: int, record: dict[str, Any], field: str) -> str:
    value = _json_value(path, number, record, field)
    if not isinstance(value, str):
        raise DataFormatError(
            f"field {field!r} must be a string, found {value!r}", path=path, line=number, fix="Correct the record"
        )
    return _require_text(value, path, number, field)


# ---------------------------------------------------------------------------------------------
# Registry

READERS: dict[str, Callable[..., list[Any]]] = {
    "conll": read_conll,
    "label_text": read_label_text,
    "tsv": read_tsv,
    "csv": read_csv,
    "trec": read_trec,
    "class_files": read_class_files,
    "text_label_lines": read_text_label_lines,
    "jsonl": read_jsonl,
}

# Task family ("ner" or "tc") of the examples each reader returns.
READER_FAMILIES: dict[str, str] = {name: ("ner" if name == "conll" else "tc") for name in READERS}

# Reader arguments that the task layer sets. Task records may not set them in reader_options.
RESERVED_OPTIONS = frozenset({"allowed", "stats"})
