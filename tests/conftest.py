"""Shared fixtures: the location of the local data mirror."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _mirror_dir() -> Path:
    configured = os.environ.get("MTPF_DATA_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Return the data mirror folder; skip when it is missing, but fail under CI=true."""
    path = _mirror_dir()
    if not (path / "README.md").is_file():
        message = f"data mirror not found at {path}: set MTPF_DATA_DIR to the mirror folder"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture()
def compose_config():
    """Return a function that composes the real ``conf/train.yaml`` with overrides."""
    from hydra import compose, initialize_config_dir

    os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))

    def _compose(overrides: list[str] | None = None):
        with initialize_config_dir(config_dir=str(REPO_ROOT / "conf"), version_base="1.3"):
            return compose(config_name="train", overrides=overrides or [])

    return _compose
