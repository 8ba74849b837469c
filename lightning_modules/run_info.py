"""Run provenance: configuration hashes, the git commit and package versions stamped on every result."""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

PACKAGES = ("torch", "pytorch-lightning", "transformers", "peft", "datasets", "seqeval", "spacy", "hydra-core", "wandb")


def config_hash(*parts: DictConfig | dict | Any) -> str:
    """Return a short sha256 of resolved config parts (order matters)."""
    resolved = [OmegaConf.to_container(p, resolve=True) if isinstance(p, DictConfig) else p for p in parts]
    text = json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@functools.cache
def git_commit(repo_dir: Path) -> str | None:
    """Return the commit of ``repo_dir`` with a ``-dirty`` suffix for uncommitted changes, or None.

    The result is cached for the life of the process. ``train.py`` calls this once at start, right
    after importing the code, so every job of a sweep records the code it runs even if the
    checkout changes meanwhile.
    """
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo_dir, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo_dir, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}-dirty" if status else commit


def package_versions() -> dict[str, str | None]:
    """Return the installed version of each package the results depend on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` atomically, so an interrupted run never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    temporary.replace(path)
