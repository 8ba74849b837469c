"""make_table: means over seeds, paired deltas against none, the individual row, CSV and plots."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from lightning_modules.tables import build_tables, load_result_files, render_csv, render_markdown
from tests.conftest import REPO_ROOT

# (strategy, seed, task, family, score); two NER and two TC tasks.
SCORES = [
    ("none", 0, "n1", "ner", 0.50), ("none", 0, "n2", "ner", 0.70), ("none", 0, "t1", "tc", 0.60), ("none", 0, "t2", "tc", 0.80),
    ("none", 1, "n1", "ner", 0.52), ("none", 1, "n2", "ner", 0.72), ("none", 1, "t1", "tc", 0.62), ("none", 1, "t2", "tc", 0.82),
    ("tpl", 0, "n1", "ner", 0.55), ("tpl", 0, "n2", "ner", 0.75), ("tpl", 0, "t1", "tc", 0.70), ("tpl", 0, "t2", "tc", 0.90),
    ("tpl", 1, "n1", "ner", 0.53), ("tpl", 1, "n2", "ner", 0.77), ("tpl", 1, "t1", "tc", 0.66), ("tpl", 1, "t2", "tc", 0.86),
    ("ner", 0, "n1", "ner", 0.60), ("ner", 0, "n2", "ner", 0.80), ("ner", 0, "t1", "tc", 0.40), ("ner", 0, "t2", "tc", 0.40),
    ("tc", 0, "n1", "ner", 0.30), ("tc", 0, "n2", "ner", 0.30), ("tc", 0, "t1", "tc", 0.90), ("tc", 0, "t2", "tc", 0.92),
]


def _result(strategy, seed, task, family, score, fraction=1.0):
    return {"strategy": strategy, "seed": seed, "task": task, "family": family, "score": score,
            "downstream_mode": "lora", "train_fraction": fraction, "_path": f"{strategy}-{seed}-{task}.json"}


def _tables():
    results = [_result(*row) for row in SCORES] + [_result("none", 0, "n1", "ner", 0.1, fraction=0.1)]
    return build_tables(results)


def test_one_table_per_regime():
    tables = _tables()
    assert [(t.regime.mode, t.regime.fraction) for t in tables] == [("lora", 0.1), ("lora", 1.0)]


def test_family_means_and_std():
    table = _tables()[1]
    ner = table.families["tpl"]["ner"]
    assert ner.by_seed == {0: pytest.approx(0.65), 1: pytest.approx(0.65)}
    tc = table.families["tpl"]["tc"]
    assert tc.mean == pytest.approx(0.78)
    assert tc.std == pytest.approx(0.028284271, abs=1e-6)


def test_deltas_are_paired_by_seed():
    table = _tables()[1]
    delta = table.delta("tpl", "mean:tc")
    assert delta.by_seed == {0: pytest.approx(0.10), 1: pytest.approx(0.04)}
    assert delta.mean == pytest.approx(0.07)
    task_delta = table.delta("tpl", "n1")
    assert task_delta.mean == pytest.approx(0.03)


def test_individual_row_takes_each_family_from_its_source():
    table = _tables()[1]
    assert list(table.strategies) == ["none", "ner", "tc", "individual", "tpl"]
    assert table.families["individual"]["ner"].mean == pytest.approx(0.70)
    assert table.families["individual"]["tc"].mean == pytest.approx(0.91)
    assert table.delta("individual", "mean:ner").mean == pytest.approx(0.10)


def test_family_mean_needs_every_task():
    results = [_result(*row) for row in SCORES if not (row[0] == "tpl" and row[1] == 1 and row[2] == "n2")]
    table = build_tables(results)[0]
    assert set(table.families["tpl"]["ner"].by_seed) == {0}
    assert set(table.families["tpl"]["tc"].by_seed) == {0, 1}


def test_markdown_shows_points():
    markdown = render_markdown(_tables())
    assert "| tpl | 0,1 | 65.00 ± 0.00 | +4.00 ± 1.41 | 78.00 ± 2.83 | +7.00 ± 4.24 |" in markdown
    assert "## mode lora, 10% of the training data" in markdown
    assert "| none | 0,1 | 61.00 ± 1.41 |  | 71.00 ± 1.41 |  |" in markdown


def test_csv_rows():
    rows = list(csv.DictReader(io.StringIO(render_csv(_tables()))))
    row = next(r for r in rows if r["strategy"] == "tpl" and r["task"] == "mean:tc" and r["train_fraction"] == "1.0")
    assert float(row["mean"]) == pytest.approx(0.78)
    assert float(row["delta_vs_none"]) == pytest.approx(0.07)
    assert row["seeds"] == "2"
    baseline = next(r for r in rows if r["strategy"] == "none" and r["task"] == "n1" and r["train_fraction"] == "0.1")
    assert baseline["delta_vs_none"] == ""


def test_different_settings_not_merged():
    first = _result("tpl", 0, "n1", "ner", 0.5) | {"config_hash": "a"}
    second = _result("tpl", 0, "n1", "ner", 0.6) | {"config_hash": "b", "_path": "other.json"}
    with pytest.raises(ValueError, match="tpl-0-n1.json and other.json both contain strategy tpl"):
        build_tables([first, second])


def test_repeated_run_scores_rejected():
    first = _result("tpl", 0, "n1", "ner", 0.5) | {"config_hash": "a"}
    second = _result("tpl", 0, "n1", "ner", 0.6) | {"config_hash": "a", "_path": "other.json"}
    with pytest.raises(ValueError, match="same settings but different scores"):
        build_tables([first, second])


def test_individual_runs_replace_composed_row():
    results = [_result(*row) for row in SCORES]
    results += [_result("individual", 0, task, family, 0.9) for task, family in (("n1", "ner"), ("n2", "ner"))]
    table = build_tables(results)[0]
    assert table.strategies["individual"]["n1"].by_seed == {0: 0.9}
    assert "t1" not in table.strategies["individual"]


def test_copies_of_one_result_count_once():
    first = _result("tpl", 0, "n1", "ner", 0.5) | {"config_hash": "a"}
    copy = first | {"_path": "copy.json"}
    table = build_tables([first, copy])[0]
    assert table.strategies["tpl"]["n1"].by_seed == {0: 0.5}


@pytest.mark.parametrize(
    ("field", "value"),
    [("score", None), ("score", 1.5), ("seed", "abc"), ("train_fraction", "abc"), ("family", "xx")],
)
def test_invalid_result_field_named(tmp_path, field, value):
    path = tmp_path / "results" / "n1.json"
    path.parent.mkdir()
    result = {k: v for k, v in _result("tpl", 0, "n1", "ner", 0.5).items() if k != "_path"}
    path.write_text(json.dumps(result | {field: value}))
    with pytest.raises(ValueError, match=f"{path}.*{field}="):
        load_result_files([path])


def _write_run(folder, rows):
    for strategy, seed, task, family, score in rows:
        path = folder / f"{strategy}-{seed}" / "results" / f"{task}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: v for k, v in _result(strategy, seed, task, family, score).items() if k != "_path"}))
    diagnostics = folder / "tpl-0" / "pretrain" / "tpl" / "diagnostics.json"
    diagnostics.parent.mkdir(parents=True, exist_ok=True)
    steps = [{"step": step, "cosine": 0.1 * step, "conflict_share": 0.4, "layers": {}} for step in range(3)]
    diagnostics.write_text(json.dumps({"strategy": "tpl", "seed": 0, "steps": steps}))


def test_script_writes_tables_and_plots(tmp_path):
    _write_run(tmp_path / "sweep", SCORES)
    out = tmp_path / "tables"
    completed = subprocess.run(
        [sys.executable, "scripts/make_table.py", str(tmp_path / "sweep"), "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "| tpl | 0,1 |" in (out / "table.md").read_text()
    assert (out / "table.csv").read_text().startswith("mode,train_fraction,strategy")
    assert (out / "families_lora_1.png").stat().st_size > 1000
    assert (out / "grad_cosine.png").stat().st_size > 1000


def test_script_rejects_folder_without_results(tmp_path):
    completed = subprocess.run(
        [sys.executable, "scripts/make_table.py", str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode != 0
    assert "no results/*.json" in completed.stderr


def test_script_names_broken_result_file(tmp_path):
    broken = tmp_path / "run" / "results" / "n1.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    completed = subprocess.run(
        [sys.executable, "scripts/make_table.py", str(tmp_path / "run")], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode != 0
    assert str(broken) in completed.stderr


def test_script_names_broken_diagnostics_file(tmp_path):
    _write_run(tmp_path / "sweep", SCORES)
    broken = tmp_path / "sweep" / "tpl-0" / "pretrain" / "tpl" / "diagnostics.json"
    broken.write_bytes(b"\xff\xfe")
    completed = subprocess.run(
        [sys.executable, "scripts/make_table.py", str(tmp_path / "sweep"), "--out", str(tmp_path / "out")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode != 0
    assert str(broken) in completed.stderr
    assert not (tmp_path / "out").exists()
