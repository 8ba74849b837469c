"""On-disk cache of tokenized task data, keyed by what determines the features.

The key is computed here from the source files' bytes, the tokenizer's full serialisation (its
vocabulary, normaliser and pre-tokenizer), the encoding settings, the label list and the data-code
version. It never depends on the fingerprint ``datasets`` derives from a tokenizer object, which
can stay the same after a tokenizer change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)

# Bump when a change to readers or encoding changes the features built from the same inputs.
DATA_CODE_VERSION = 1

T = TypeVar("T")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """Hash of a fast tokenizer's complete definition, so any vocabulary or normaliser change shows."""
    definition = tokenizer.backend_tokenizer.to_str()
    return hashlib.sha256(f"{type(tokenizer).__name__}\n{definition}".encode()).hexdigest()


def features_key(source_files: Iterable[Path], tokenizer: PreTrainedTokenizerBase, settings: dict[str, Any]) -> str:
    """Cache key of one task's features: source file hashes, tokenizer, settings, code version."""
    payload = {
        "files": sorted((path.name, file_sha256(path)) for path in source_files),
        "tokenizer_name": tokenizer.name_or_path,
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "settings": settings,
        "data_code_version": DATA_CODE_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def load_or_build(path: Path, build: Callable[[], T]) -> T:
    """Return the object pickled at ``path``, or build it, store it atomically and return it."""
    if path.is_file():
        try:
            with path.open("rb") as handle:
                value = pickle.load(handle)
            log.info("Loaded tokenized features from %s", path)
            return value
        except (OSError, pickle.UnpicklingError, EOFError) as error:
            log.warning("Ignoring unreadable feature cache %s (%s); building it again", path, error)

    value = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)
    return value
