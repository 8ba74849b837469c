"""Reuse of finished work: result files and pre-finetuning artifacts are checked before reuse."""

from __future__ import annotations

import json

from lightning_modules.downstream_stage import _previous_result
from lightning_modules.pretrain_stage import missing_artifact_files
from lightning_modules.strategies import get_strategy


def test_result_with_same_hash_is_reused(tmp_path):
    path = tmp_path / "trec.json"
    path.write_text(json.dumps({"task": "trec", "config_hash": "abc"}))

    assert _previous_result(path, "abc") == {"task": "trec", "config_hash": "abc"}


def test_result_with_other_hash_is_not_reused(tmp_path, caplog):
    path = tmp_path / "trec.json"
    path.write_text(json.dumps({"task": "trec", "config_hash": "old"}))

    assert _previous_result(path, "new") is None
    assert "another configuration" in caplog.text


def test_damaged_result_names_file(tmp_path, caplog):
    path = tmp_path / "trec.json"
    path.write_text('{"task": "tr')

    assert _previous_result(path, "abc") is None
    assert str(path) in caplog.text


def test_artifact_without_adapter_is_incomplete(tmp_path):
    (tmp_path / "backbone").mkdir()
    (tmp_path / "backbone" / "config.json").write_text("{}")
    (tmp_path / "backbone" / "model.safetensors").write_bytes(b"")
    (tmp_path / "adapters" / "ner").mkdir(parents=True)
    (tmp_path / "adapters" / "ner" / "adapter_model.safetensors").write_bytes(b"")

    assert missing_artifact_files(tmp_path, get_strategy("tpl")) == ["adapters/tc/adapter_model.safetensors"]
    assert missing_artifact_files(tmp_path, get_strategy("none")) == []
