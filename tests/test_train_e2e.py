"""End to end: ``python train.py`` on the real mirror data with the tiny backbone and a tiny budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

SMOKE_TASKS = {"conll2003", "wnut17", "ncbi_disease", "sst2", "trec", "banking77"}


def _train(tmp_path, data_dir, *overrides: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MTPF_DATA_DIR": str(data_dir),
        "MTPF_CACHE_DIR": str(tmp_path / "cache"),
        "WANDB_MODE": "disabled",
    }
    command = [sys.executable, "train.py", "debug=tiny", f"hydra.run.dir={tmp_path / 'run'}", *overrides]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_train_runs_pretraining_and_suite(tmp_path, data_dir):
    completed = _train(tmp_path, data_dir)
    assert completed.returncode == 0, completed.stderr[-4000:]

    run = tmp_path / "run"
    results = {path.stem: json.loads(path.read_text()) for path in (run / "results").glob("*.json")}
    assert set(results) == SMOKE_TASKS
    assert results["conll2003"]["metric"] == "entity_f1"
    assert results["sst2"]["metric"] == "accuracy"
    assert all(0.0 <= result["score"] <= 1.0 for result in results.values())
    # Word-level evaluation: every test sentence is scored, however it was truncated.
    assert results["conll2003"]["sizes"]["test_examples"] == 3453

    artifacts = list((tmp_path / "cache" / "pretrain").glob("tpl-*/manifest.json"))
    assert len(artifacts) == 1
    manifest = json.loads(artifacts[0].read_text())
    assert manifest["steps_per_family"] == {"ner": 2, "tc": 2}
    assert (artifacts[0].parent / "adapters" / "ner" / "adapter_model.safetensors").is_file()
    assert (artifacts[0].parent / "adapters" / "tc" / "adapter_model.safetensors").is_file()

    summary = (run / "summary.md").read_text()
    assert "| conll2003 | ner | entity_f1 |" in summary
    assert 0.0 < results["trec"]["majority_baseline"] < 0.5
    assert "mean (3 tasks)" in summary
    assert "| sst2 | tc | accuracy |" in completed.stdout


def test_train_rerun_reuses_artifact_and_results(tmp_path, data_dir):
    first = _train(tmp_path, data_dir, "suite.tasks=[trec]")
    assert first.returncode == 0, first.stderr[-4000:]

    second = _train(tmp_path, data_dir, "suite.tasks=[trec]")

    assert second.returncode == 0, second.stderr[-4000:]
    output = second.stdout + second.stderr
    assert "Reusing pre-finetuning artifact" in output
    assert "Reusing result of trec" in output


def test_train_unknown_task_lists_valid_names(tmp_path, data_dir):
    completed = _train(tmp_path, data_dir, "suite.tasks=[conll2030]")

    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert "conll2030" in output
    assert "conll2003" in output


def test_train_without_pretraining_skips_artifact(tmp_path, data_dir):
    completed = _train(tmp_path, data_dir, "pretrain=none", "suite.tasks=[trec]")

    assert completed.returncode == 0, completed.stderr[-4000:]
    result = json.loads((tmp_path / "run" / "results" / "trec.json").read_text())
    assert result["strategy"] == "none"
    assert result["pretrain_config_hash"] is None
    assert not (tmp_path / "cache" / "pretrain").exists()


def test_task_metric_selects_and_scores(tmp_path, data_dir):
    tasks_dir = tmp_path / "tasks"
    tasks_dir.mkdir()
    record = (REPO_ROOT / "conf" / "tasks" / "trec.yaml").read_text()
    (tasks_dir / "trec.yaml").write_text(record.replace("metric: accuracy", "metric: mcc"))

    completed = _train(tmp_path, data_dir, "pretrain=none", "suite.tasks=[trec]", f"tasks_dir={tasks_dir}")

    assert completed.returncode == 0, completed.stderr[-4000:]
    result = json.loads((tmp_path / "run" / "results" / "trec.json").read_text())
    assert result["metric"] == "mcc"
    assert result["score"] == result["test"]["mcc"]
