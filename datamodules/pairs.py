"""Contrastive (anchor, positive) text pairs for the in-batch InfoNCE objective.

Pair sources: WordNet term-definition and definition-example pairs, adjacent sentences of one
WikiText paragraph, SimCSE-style dropout pairs (anchor == positive, the two views differ only by
encoder dropout) and two-column TSV pair files. ``collect_pairs`` mixes them.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Callable, Iterator
from pathlib import Path

from datamodules.errors import DataFormatError
from datamodules.examples import TextPair
from datamodules.pretrain_text import TEXT_SOURCES, check_source_names, read_wikitext_paragraphs, read_wordnet_synsets

logger = logging.getLogger(__name__)

DROPOUT_PREFIX = "dropout:"
PAIR_FILE_PREFIX = "pair_file:"


def wordnet_term_definition(data_dir: Path) -> list[TextPair]:
    """Pair every lemma of every WordNet synset (underscores as spaces) with the synset's gloss."""
    return [
        TextPair(anchor=lemma, positive=synset.gloss)
        for synset in read_wordnet_synsets(data_dir)
        for lemma in synset.lemmas
        if synset.gloss and lemma != synset.gloss
    ]


def wordnet_definition_example(data_dir: Path) -> list[TextPair]:
    """Pair every WordNet gloss with each of its example sentences."""
    return [
        TextPair(anchor=synset.gloss, positive=example)
        for synset in read_wordnet_synsets(data_dir)
        for example in synset.examples
        if synset.gloss and example != synset.gloss
    ]


def wikitext_adjacent(data_dir: Path) -> list[TextPair]:
    """Pair each WikiText sentence with the next sentence of the same paragraph."""
    return [
        TextPair(anchor=first, positive=second)
        for paragraph in read_wikitext_paragraphs(data_dir)
        for first, second in itertools.pairwise(paragraph)
        if first != second
    ]


def dropout_pairs(sentences: list[str]) -> list[TextPair]:
    """Pair each sentence with itself, for SimCSE-style training where dropout makes the two views differ."""
    return [TextPair(anchor=sentence, positive=sentence) for sentence in sentences if sentence]


def pair_file(path: Path) -> list[TextPair]:
    """Read a UTF-8 TSV file with two columns, anchor and positive, and no header.

    Blank lines are skipped. Raises DataFormatError (a ValueError) naming the file and line of any
    other line that does not have exactly two non-empty columns or is not valid UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pair file not found: {path}")
    pairs = []
    with path.open("rb") as stream:
        for line_number, raw in enumerate(stream, start=1):
            pair = _parse_pair_line(raw, path, line_number)
            if pair is not None:
                pairs.append(pair)
    return pairs


def _parse_pair_line(raw: bytes, path: Path, line_number: int) -> TextPair | None:
    try:
        line = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"invalid UTF-8 ({error})", path=path, line=line_number, fix="Save the pair file as UTF-8") from error
    if not line.strip():
        return None
    columns = line.split("\t")
    if len(columns) != 2 or not columns[0].strip() or not columns[1].strip():
        raise DataFormatError(
            f"expected two non-empty tab-separated columns (anchor, positive), found {len(columns)} column(s) in {line[:80]!r}",
            path=path,
            line=line_number,
            fix="Separate anchor and positive with one tab and put no tab inside either text",
        )
    return TextPair(anchor=" ".join(columns[0].split()), positive=" ".join(columns[1].split()))


PAIR_SOURCES: dict[str, Callable[[Path], list[TextPair]]] = {
    "wordnet_term_definition": wordnet_term_definition,
    "wordnet_definition_example": wordnet_definition_example,
    "wikitext_adjacent": wikitext_adjacent,
}


def read_pair_source(data_dir: Path, name: str) -> list[TextPair]:
    """Read one pair source by name.

    Accepted names: a key of ``PAIR_SOURCES``, ``dropout:<text source>`` (dropout pairs over a key
    of ``TEXT_SOURCES``) or ``pair_file:<path>`` (a TSV file, relative paths resolved against the
    current working directory). Raises ValueError for any other name, listing the valid ones.
    """
    check_pair_source_name(name)
    if name.startswith(DROPOUT_PREFIX):
        return dropout_pairs(TEXT_SOURCES[name[len(DROPOUT_PREFIX) :]](data_dir))
    if name.startswith(PAIR_FILE_PREFIX):
        return pair_file(Path(name[len(PAIR_FILE_PREFIX) :]))
    return PAIR_SOURCES[name](data_dir)


def check_pair_source_name(name: str) -> None:
    """Raise ValueError, listing the valid names, when ``read_pair_source`` would not accept ``name``."""
    if name in PAIR_SOURCES or (name.startswith(PAIR_FILE_PREFIX) and len(name) > len(PAIR_FILE_PREFIX)):
        return
    if name.startswith(DROPOUT_PREFIX):
        check_source_names([name[len(DROPOUT_PREFIX) :]], TEXT_SOURCES, f"text (in pair source {name!r})")
        return
    raise ValueError(
        f"unknown pair source {name!r}: valid names are {sorted(PAIR_SOURCES)}, "
        f"'{DROPOUT_PREFIX}<text source>' with a text source from {sorted(TEXT_SOURCES)}, "
        f"or '{PAIR_FILE_PREFIX}<path to a two-column TSV file>'"
    )


def collect_pairs(data_dir: Path, sources: list[str], max_pairs: int, seed: int) -> list[TextPair]:
    """Mix the named pair sources into at most ``max_pairs`` shuffled pairs (names as in ``read_pair_source``).

    Sources take turns, one pair each, so every source gets a roughly equal share until it runs
    out. No text occurs in two returned pairs, as anchor or as positive (compared
    case-insensitively), because in-batch InfoNCE would treat the other pair's copy as a negative.
    The result depends only on the arguments and the files.
    """
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be at least 1, got {max_pairs}")
    if not sources:
        raise ValueError(f"sources is empty: name at least one of {sorted(PAIR_SOURCES)}")
    for name in sources:
        check_pair_source_name(name)

    streams = {name: _shuffled_stream(data_dir, name, seed) for name in dict.fromkeys(sources)}
    pairs, counts_per_source = _interleave_unique(streams, max_pairs)
    random.Random(seed).shuffle(pairs)
    logger.info("collected %d contrastive pairs: %s", len(pairs), counts_per_source)
    return pairs


def _shuffled_stream(data_dir: Path, name: str, seed: int) -> Iterator[TextPair]:
    pairs = read_pair_source(data_dir, name)
    logger.info("pair source %s: %d pairs read", name, len(pairs))
    # Seeding with a string is deterministic across runs, whatever PYTHONHASHSEED is.
    random.Random(f"{seed}:{name}").shuffle(pairs)
    return iter(pairs)


def _interleave_unique(streams: dict[str, Iterator[TextPair]], max_pairs: int) -> tuple[list[TextPair], dict[str, int]]:
    """Take one new pair from each source in turn until ``max_pairs`` or every source runs out."""
    pairs: list[TextPair] = []
    counts_per_source = dict.fromkeys(streams, 0)
    seen: set[str] = set()
    active = list(streams)
    while active and len(pairs) < max_pairs:
        for name in list(active):
            pair = _next_unique(streams[name], seen)
            if pair is None:
                active.remove(name)
                continue
            pairs.append(pair)
            counts_per_source[name] += 1
            if len(pairs) == max_pairs:
                break
    return pairs, counts_per_source


def _next_unique(stream: Iterator[TextPair], seen: set[str]) -> TextPair | None:
    """Return the next pair whose anchor and positive are both unseen texts, and mark them as seen."""
    for pair in stream:
        anchor, positive = pair.anchor.casefold(), pair.positive.casefold()
        if anchor in seen or positive in seen:
            continue
        seen.update((anchor, positive))
        return pair
    return None
