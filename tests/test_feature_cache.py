"""Tokenized-feature cache: keyed by tokenizer, files and settings; reused when nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamodules.feature_cache import features_key, load_or_build
from datamodules.tasks import TaskRegistry, load_task_splits, task_labels
from lightning_modules.backbone import load_tokenizer
from lightning_modules.downstream_stage import feature_cache_path


@pytest.fixture()
def cfg(compose_config, data_dir, tmp_path):
    return compose_config([f"paths.data_dir={data_dir}", f"paths.cache_dir={tmp_path}"])


def _trec(cfg):
    task = TaskRegistry(Path(cfg.tasks_dir)).get("trec")
    return task, task_labels(task, load_task_splits(task, Path(cfg.paths.data_dir)))


def test_changed_tokenizer_invalidates_cache(cfg):
    task, labels = _trec(cfg)
    tokenizer = load_tokenizer(cfg.backbone)
    before = feature_cache_path(cfg, task, tokenizer, labels)

    tokenizer.add_tokens(["mtpfnewtoken"])
    after = feature_cache_path(cfg, task, tokenizer, labels)

    assert before != after


def test_same_inputs_give_same_cache_path(cfg):
    task, labels = _trec(cfg)

    first = feature_cache_path(cfg, task, load_tokenizer(cfg.backbone), labels)
    second = feature_cache_path(cfg, task, load_tokenizer(cfg.backbone), labels)

    assert first == second


def test_changed_max_length_invalidates_cache(cfg):
    task, labels = _trec(cfg)
    tokenizer = load_tokenizer(cfg.backbone)
    before = feature_cache_path(cfg, task, tokenizer, labels)

    cfg.downstream.max_length = 64

    assert feature_cache_path(cfg, task, tokenizer, labels) != before


def test_changed_source_file_changes_key(tmp_path, cfg):
    tokenizer = load_tokenizer(cfg.backbone)
    source = tmp_path / "train.tsv"
    source.write_text("a\t1\n")
    before = features_key([source], tokenizer, {})

    source.write_text("a\t2\n")

    assert features_key([source], tokenizer, {}) != before


def test_load_or_build_builds_once(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return {"features": [1, 2, 3]}

    first = load_or_build(tmp_path / "cache.pkl", build)
    second = load_or_build(tmp_path / "cache.pkl", build)

    assert first == second == {"features": [1, 2, 3]}
    assert len(calls) == 1


def test_load_or_build_rebuilds_corrupt_file(tmp_path):
    path = tmp_path / "cache.pkl"
    path.write_bytes(b"not a pickle")

    assert load_or_build(path, lambda: 42) == 42
    assert load_or_build(path, lambda: 0) == 42
