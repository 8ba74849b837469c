"""Raw-text sources for pre-finetuning: sentence readers over the local data mirror.

Every source is a function ``(data_dir) -> list[str]`` registered in ``TEXT_SOURCES``. Each returned
sentence is one line of plain text with single spaces between words. Pre-finetuning text comes only
from these mirror folders: ``wikitext2_raw_text``, ``wordnet_examples``, ``wordnet_glosses``,
``nltk_corpora`` and the train split of ``wikiann_en``. Downstream evaluation files are never read.

WikiText policy: ``= Heading =`` lines are dropped, the ``@-@``, ``@,@`` and ``@.@`` markers are
joined back (``0 @.@ 7`` becomes ``0.7``), and every sentence that contains ``<unk>`` is skipped,
because the student would otherwise learn a placeholder that never occurs in real text.

NOTE: about two thirds of WikiText-2 valid+test sentences contain ``<unk>``, so this policy
keeps about 5,000 sentences and about 1,600 adjacent-sentence pairs.
"""

from __future__ import annotations

import html
import logging
import random
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from datamodules.errors import DataFormatError

logger = logging.getLogger(__name__)

WIKITEXT_DIR = "wikitext2_raw_text"
WIKITEXT_FILES = ("valid.txt", "test.txt")
WORDNET_EXAMPLES_FILE = Path("wordnet_examples") / "wordnet30_example_sentences.txt"
WORDNET_GLOSSES_FILE = Path("wordnet_glosses") / "wordnet30_glosses.tsv"
WIKIANN_TRAIN_FILE = Path("wikiann_en") / "train.txt"
NLTK_DIR = "nltk_corpora"
WORDNET_GLOSS_COLUMNS = ("synset_offset", "pos", "lemmas", "gloss", "examples")

# ---------------------------------------------------------------------------
# Sentence splitting and detokenisation
# ---------------------------------------------------------------------------

# A boundary is sentence-final punctuation, optional closing quotes or brackets, whitespace, and
# then something that can start a sentence (an optional opening quote or bracket, then an
# uppercase letter or a digit). This regex splitter is fast and good enough for edited prose
# (speeches, Wikipedia). It is wrong on abbreviations that end a sentence ("in the U.S. Then").
_SENTENCE_BOUNDARY = re.compile(r"[.!?][\"')\]’”]*\s+(?=[\"'(\[‘“]?[A-Z0-9])")

# Text ending in one of these abbreviations or in an initial ("J.", "U.S.") is not a sentence end.
_ABBREVIATION_AT_END = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Gov|Sen|Rep|Col|Lt|Capt|Prof|Rev|Hon|No|Nos|Vol|Fig|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|vs|cf|e\.g|i\.e)|\b[A-Z](?:\.[A-Z])*)\.$"
)

_END_TOKENS = frozenset({".", "!", "?"})
_OPENING_TOKENS = frozenset({"(", "[", "{", "$", "#", "“", "‘"})
_CLOSING_TOKENS = frozenset({",", ".", ";", ":", "!", "?", "%", ")", "]", "}", "...", "”", "’"})
_QUOTE_TOKENS = frozenset({'"', "``", "''"})
_CLITICS = frozenset({"n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "’s"})
_WIKITEXT_MARKER = re.compile(r" @([-,.])@ ")
_WIKITEXT_HEADING = re.compile(r"^\s*=.*=\s*$")


def split_sentences(text: str) -> list[str]:
    """Split plain prose into sentences with a regex (see ``_SENTENCE_BOUNDARY``)."""
    sentences = []
    start = 0
    for boundary in _SENTENCE_BOUNDARY.finditer(text):
        head = text[start : boundary.start() + 1]
        if _ABBREVIATION_AT_END.search(head):
            continue
        sentences.append(text[start : boundary.end()].strip())
        start = boundary.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def detokenize(tokens: Iterable[str]) -> str:
    """Join Penn-Treebank-style tokens into plain text ("do n't ." becomes "don't.").

    The quote tokens ``, '' and " all become ". A straight " opens a quotation unless one is open,
    so an unbalanced quote only changes spacing, never words.
    """
    text = ""
    previous_opens = False
    quote_open = False
    for token in tokens:
        if token in _QUOTE_TOKENS:
            opens = token == "``" or (token == '"' and not quote_open)
            attach = previous_opens or not opens
            quote_open = opens
            token = '"'
        else:
            attach = previous_opens or token in _CLOSING_TOKENS or token.lower() in _CLITICS
            opens = token in _OPENING_TOKENS
        text += token if attach or not text else " " + token
        previous_opens = opens
    return text


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (including non-breaking and ideographic spaces) to one space."""
    return " ".join(text.split())


def _split_token_sentences(tokens: list[str]) -> list[list[str]]:
    """Split tokenised text after ".", "!" or "?" when the next token starts with an uppercase letter.

    A closing straight quote right after the punctuation stays with the sentence that it closes.
    """
    sentences: list[list[str]] = []
    current: list[str] = []
    for index, token in enumerate(tokens):
        current.append(token)
        if _ends_sentence(current, _next_token(tokens, index)):
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def _ends_sentence(current: list[str], following: str) -> bool:
    quotes_balanced = current.count('"') % 2 == 0
    closes_quote = current[-1] == '"' and quotes_balanced and len(current) > 1 and current[-2] in _END_TOKENS
    if not closes_quote and current[-1] not in _END_TOKENS:
        return False
    if following == '"':
        # An odd quote count means this quote closes the current sentence, so it must come first.
        return quotes_balanced
    return bool(following) and following[0].isupper()


def _next_token(tokens: list[str], index: int) -> str:
    return tokens[index + 1] if index + 1 < len(tokens) else ""


# ---------------------------------------------------------------------------
# Mirror file access
# ---------------------------------------------------------------------------


def _require_file(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"pre-finetuning text file not found: {path}. Set data_dir to the data mirror folder")
    return path


# Big5 punctuation bytes (for example A1 58 for an em dash) that appear in six NLTK speech files:
# inaugural 2005-Bush and state_union 1970-1974 Nixon. The only other non-UTF-8 file,
# state_union 1954-Eisenhower, is cp1252 ("½¢").
_BIG5_PUNCTUATION = re.compile(rb"\xa1[\x40-\x7e\xa1-\xfe]")


def _decode_bytes(data: bytes) -> str:
    """Decode UTF-8, repairing the Big5 punctuation of mis-encoded files and falling back to cp1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    repaired = _BIG5_PUNCTUATION.sub(lambda match: match.group().decode("big5", errors="replace").encode("utf-8"), data)
    try:
        return repaired.decode("utf-8")
    except UnicodeDecodeError:
        return repaired.decode("cp1252", errors="replace")


# ---------------------------------------------------------------------------
# WikiText-2
# ---------------------------------------------------------------------------


def read_wikitext_paragraphs(data_dir: Path) -> list[list[str]]:
    """Read WikiText-2 (valid and test files) as paragraphs, each a list of consecutive sentences.

    Heading lines are dropped and ``@-@``-style markers are joined back. A sentence containing
    ``<unk>`` is skipped and splits its paragraph in two, so that neighbours in one returned list
    are always neighbours in the original text.
    """
    paragraphs: list[list[str]] = []
    for name in WIKITEXT_FILES:
        path = _require_file(data_dir / WIKITEXT_DIR / name)
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or _WIKITEXT_HEADING.match(line):
                continue
            paragraphs.extend(_wikitext_runs(line))
    return paragraphs


def _wikitext_runs(line: str) -> list[list[str]]:
    """Split one WikiText paragraph line into runs of sentences that contain no ``<unk>``."""
    tokens = _WIKITEXT_MARKER.sub(r"\1", line).split()
    runs: list[list[str]] = [[]]
    for sentence_tokens in _split_token_sentences(tokens):
        if any("<unk>" in token for token in sentence_tokens):  # also inside joined words: "Pre-<unk>-influenced"
            runs.append([])
            continue
        runs[-1].append(detokenize(sentence_tokens))
    return [run for run in runs if run]


def read_wikitext2(data_dir: Path) -> list[str]:
    """Read every kept WikiText-2 sentence, in file order."""
    return [sentence for paragraph in read_wikitext_paragraphs(data_dir) for sentence in paragraph]


# ---------------------------------------------------------------------------
# WordNet
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WordnetSynset:
    """One row of ``wordnet30_glosses.tsv``: lemmas (underscores turned to spaces), gloss and examples."""

    offset: str
    pos: str
    lemmas: tuple[str, ...]
    gloss: str
    examples: tuple[str, ...]


def read_wordnet_synsets(data_dir: Path) -> list[WordnetSynset]:
    """Read every synset of ``wordnet_glosses/wordnet30_glosses.tsv`` (header line required).

    Raises DataFormatError (a ValueError) naming the file and line of a row without exactly five
    tab-separated columns.
    """
    path = _require_file(data_dir / WORDNET_GLOSSES_FILE)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = tuple(lines[0].split("\t")) if lines else ()
    if header != WORDNET_GLOSS_COLUMNS:
        raise DataFormatError(f"expected header {WORDNET_GLOSS_COLUMNS}, found {header}", path=path, line=1)
    return [_parse_synset_row(line, path, number) for number, line in enumerate(lines[1:], start=2) if line.strip()]


def _parse_synset_row(line: str, path: Path, line_number: int) -> WordnetSynset:
    columns = line.split("\t")
    if len(columns) != len(WORDNET_GLOSS_COLUMNS):
        raise DataFormatError(
            f"expected {len(WORDNET_GLOSS_COLUMNS)} tab-separated columns {WORDNET_GLOSS_COLUMNS}, found {len(columns)}",
            path=path,
            line=line_number,
        )
    offset, pos, lemmas, gloss, examples = columns
    return WordnetSynset(
        offset=offset,
        pos=pos,
        lemmas=tuple(normalize_space(lemma.replace("_", " ")) for lemma in lemmas.split("|") if lemma.strip()),
        gloss=normalize_space(gloss),
        examples=tuple(normalize_space(example) for example in examples.split("|") if example.strip()),
    )


def read_wordnet_examples(data_dir: Path) -> list[str]:
    """Read the WordNet 3.0 example sentences, one a line."""
    path = _require_file(data_dir / WORDNET_EXAMPLES_FILE)
    return [normalize_space(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_wordnet_glosses(data_dir: Path) -> list[str]:
    """Read the gloss (definition) of every WordNet synset, in file order."""
    return [synset.gloss for synset in read_wordnet_synsets(data_dir) if synset.gloss]


# ---------------------------------------------------------------------------
# NLTK corpora (zip files, read without nltk)
# ---------------------------------------------------------------------------

# Stage directions such as "(Applause.)" in the speech transcripts.
_STAGE_DIRECTION = re.compile(r"\((?:Applause|Laughter)[^)]*\)", re.IGNORECASE)
# Rule lines such as "-----" or "=====" in the MASC e-mails and reports.
_RULE_TOKEN = re.compile(r"^[-=*_#~]{4,}$")


def read_nltk_corpora(data_dir: Path) -> list[str]:
    """Read the sentences of the NLTK ``inaugural``, ``state_union``, ``masc_tagged`` and ``movie_reviews`` zips."""
    folder = data_dir / NLTK_DIR
    sentences = _read_speech_zip(_require_file(folder / "inaugural.zip"))
    sentences += _read_speech_zip(_require_file(folder / "state_union.zip"))
    sentences += _read_masc_tagged(_require_file(folder / "masc_tagged.zip"))
    sentences += _read_movie_reviews(_require_file(folder / "movie_reviews.zip"))
    return sentences


def _zip_text_members(path: Path) -> Iterable[tuple[str, str]]:
    """Yield (member name, decoded text) for each ``.txt`` member, in name order, skipping READMEs."""
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".txt") and not name.endswith("categories.txt"):
                yield name, _decode_bytes(archive.read(name))


def _read_speech_zip(path: Path) -> list[str]:
    """Split speeches (one paragraph a line) into sentences, dropping all-uppercase title lines."""
    sentences = []
    for _, text in _zip_text_members(path):
        for line in text.splitlines():
            line = normalize_space(_STAGE_DIRECTION.sub(" ", line))
            if line and not line.isupper():
                sentences.extend(split_sentences(line))
    return sentences


def _read_masc_tagged(path: Path) -> list[str]:
    """Turn MASC lines of ``word_TAG`` tokens (one sentence a line) back into plain sentences."""
    sentences = []
    for _, text in _zip_text_members(path):
        for line in text.splitlines():
            words = [_strip_pos_tag(token) for token in line.split()]
            words = [word for word in words if word and not _RULE_TOKEN.match(word)]
            if words:
                sentences.append(html.unescape(detokenize(words)))
    return sentences


def _strip_pos_tag(token: str) -> str:
    # The tag follows the last underscore, and words may contain underscores themselves. A few
    # tokens (mostly lone periods and e-mail addresses) carry no tag and are kept as they are.
    return token.rsplit("_", 1)[0] if "_" in token else token


def _read_movie_reviews(path: Path) -> list[str]:
    """Read the lowercased, tokenised movie reviews (one sentence a line) as plain sentences."""
    sentences = []
    for _, text in _zip_text_members(path):
        sentences.extend(detokenize(line.split()) for line in text.splitlines() if line.strip())
    return sentences


# ---------------------------------------------------------------------------
# WikiANN (train split only)
# ---------------------------------------------------------------------------

# MediaWiki markup survives in WikiANN, alone or glued to a word: italic and bold ('' and ''')
# and section headings (== Heading ==).
_WIKI_MARKUP = re.compile(r"^(?:'{2,}|={2,})|(?:'{2,}|={2,})$")


def read_wikiann_en(data_dir: Path) -> list[str]:
    """Read the sentences (not the tags) of the WikiANN English train split."""
    path = _require_file(data_dir / WIKIANN_TRAIN_FILE)
    sentences = []
    for tokens in _read_conll_tokens(path):
        words = [_WIKI_MARKUP.sub("", token) for token in tokens]
        words = [word for word in words if word]
        if words:
            sentences.append(detokenize(words))
    return sentences


def _read_conll_tokens(path: Path) -> list[list[str]]:
    """Read ``en:token<TAB>tag`` lines into token lists, one per blank-line-separated sentence."""
    sentences: list[list[str]] = [[]]
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            sentences.append([])
            continue
        token = line.split("\t")[0]
        if not token.startswith("en:"):
            raise DataFormatError(f"expected a token with the 'en:' prefix, found {token!r}", path=path, line=line_number)
        sentences[-1].append(token[len("en:") :])
    return [tokens for tokens in sentences if tokens]


# ---------------------------------------------------------------------------
# Registry and selection
# ---------------------------------------------------------------------------

TEXT_SOURCES: dict[str, Callable[[Path], list[str]]] = {
    "wikitext2": read_wikitext2,
    "wordnet_examples": read_wordnet_examples,
    "wordnet_glosses": read_wordnet_glosses,
    "nltk_corpora": read_nltk_corpora,
    "wikiann_en": read_wikiann_en,
}


def check_source_names(sources: list[str], registry: dict[str, object], kind: str) -> None:
    """Raise ValueError naming each unknown source and listing the valid names of ``registry``."""
    unknown = [name for name in sources if name not in registry]
    if unknown:
        raise ValueError(f"unknown {kind} source(s) {unknown}: valid names are {sorted(registry)}")


def collect_sentences(
    data_dir: Path,
    sources: list[str],
    max_sentences: int,
    seed: int,
    min_words: int = 3,
    max_words: int = 64,
) -> list[str]:
    """Read the named sources and return at most ``max_sentences`` unique, shuffled sentences.

    A sentence is kept when it has ``min_words`` to ``max_words`` whitespace-separated words. The
    first occurrence of a duplicate wins, the pool is shuffled with ``random.Random(seed)`` and then
    cut, so equal arguments give an equal list. Sources contribute in proportion to their size.
    """
    if not sources:
        raise ValueError(f"sources is empty: name at least one of {sorted(TEXT_SOURCES)}")
    check_source_names(sources, TEXT_SOURCES, "text")
    if max_sentences < 1:
        raise ValueError(f"max_sentences must be at least 1, got {max_sentences}")
    if not 1 <= min_words <= max_words:
        raise ValueError(f"expected 1 <= min_words <= max_words, got min_words={min_words}, max_words={max_words}")

    pool: dict[str, None] = {}
    for name in sources:
        sentences = TEXT_SOURCES[name](data_dir)
        in_range = [sentence for sentence in sentences if min_words <= len(sentence.split()) <= max_words]
        pool.update(dict.fromkeys(in_range))
        logger.info("text source %s: %d sentences read, %d within %d-%d words", name, len(sentences), len(in_range), min_words, max_words)

    selected = list(pool)
    random.Random(seed).shuffle(selected)
    logger.info("collected %d of %d unique sentences from %s", min(max_sentences, len(selected)), len(selected), sources)
    return selected[:max_sentences]
