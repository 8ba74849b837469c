"""A Hydra multirun over the strategies computes each pre-finetuning result once and reuses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

STRATEGIES = ["none", "ner", "tc", "naive", "tpl"]


def test_multirun_reuses_pretraining(tmp_path, data_dir):
    env = {**os.environ, "MTPF_DATA_DIR": str(data_dir), "MTPF_CACHE_DIR": str(tmp_path / "cache"), "WANDB_MODE": "disabled"}
    command = [
        sys.executable, "train.py", "-m", "debug=tiny", "suite.tasks=[wikigold,trec]",
        f"pretrain.strategy={','.join(STRATEGIES)}", "downstream.train_fraction=1.0,0.01",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
    ]
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]

    # Four strategies pre-finetune; each runs once and its second job (the other fraction) reuses it.
    artifacts = sorted(path.name.split("-")[0] for path in (tmp_path / "cache" / "pretrain").iterdir())
    assert artifacts == ["naive", "ner", "tc", "tpl"]
    assert output.count("Pre-finetuning (") == 4
    assert output.count("Reusing pre-finetuning artifact") == 4

    results = [json.loads(path.read_text()) for path in (tmp_path / "sweep").rglob("results/*.json")]
    assert len(results) == len(STRATEGIES) * 2 * 2
    combinations = {(r["strategy"], r["train_fraction"], r["task"]) for r in results}
    assert len(combinations) == len(results)
    by_fraction = {r["train_fraction"]: r["sizes"]["train_examples"] for r in results if r["task"] == "trec" and r["strategy"] == "tpl"}
    assert by_fraction[0.01] < by_fraction[1.0]

    tpl_trec = next(r for r in results if r["task"] == "trec" and r["strategy"] == "tpl")
    assert tpl_trec["initial_adapter"] == "tc"
    naive_trec = next(r for r in results if r["task"] == "trec" and r["strategy"] == "naive")
    assert naive_trec["initial_adapter"] is None
    diagnostics = list((tmp_path / "sweep").rglob("pretrain/tpl/diagnostics.json"))
    assert diagnostics
    assert json.loads(diagnostics[0].read_text())["steps"][0]["step"] == 0
