"""Data validation report: counts on real mirror tasks, problems in small written tasks, and the CLI."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from datamodules.examples import NerExample, TcExample
from datamodules.tasks import TaskRegistry
from datamodules.validation import format_report, sequence_lengths, suite_reports, task_report
from lightning_modules.backbone import load_tokenizer
from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "validate_data.py"


@pytest.fixture(scope="module")
def config():
    os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
    with initialize_config_dir(config_dir=str(REPO_ROOT / "conf"), version_base="1.3"):
        return compose(config_name="train")


@pytest.fixture(scope="module")
def tokenizer(config):
    return load_tokenizer(config.backbone)


@pytest.fixture(scope="module")
def real_reports(config, tokenizer, data_dir):
    registry = TaskRegistry(config.tasks_dir)
    names = ("conll2003", "trec", "wikigold")
    return {name: task_report(registry.get(name), data_dir, tokenizer, config.downstream.max_length) for name in names}


def _load_script():
    spec = importlib.util.spec_from_file_location("validate_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_tc_task(tasks_dir: Path, data_dir: Path, name: str, splits: dict[str, list[str]]) -> None:
    """Write a TSV task record ``name`` and its ``text<TAB>label`` files, one file per split."""
    (data_dir / name).mkdir(parents=True, exist_ok=True)
    for split, lines in splits.items():
        (data_dir / name / f"{split}.tsv").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    record = f"""\
        name: {name}
        family: tc
        metric: accuracy
        description: A small test task.
        reader: tsv
        reader_options:
          columns: 2
          text_column: 0
          label_column: 1
        files:
          train: {name}/train.tsv
          dev: {name}/dev.tsv
          test: {name}/test.tsv
        """
    tasks_dir.mkdir(parents=True, exist_ok=True)
    (tasks_dir / f"{name}.yaml").write_text(textwrap.dedent(record), encoding="utf-8")


CLEAN_SPLITS = {
    "train": ["good film\tpos", "bad film\tneg", "great plot\tpos", "dull plot\tneg"],
    "dev": ["fine acting\tpos", "weak acting\tneg"],
    "test": ["lovely score\tpos", "awful score\tneg"],
}


def test_real_tasks_example_counts(real_reports):
    conll = real_reports["conll2003"]
    trec = real_reports["trec"]

    assert conll.splits["train"].examples == 14041
    assert conll.splits["dev"].examples == 3250
    assert conll.splits["test"].examples == 3453
    assert trec.splits["test"].examples == 500
    assert trec.splits["train"].examples + trec.splits["dev"].examples == 5452


def test_real_tasks_label_counts(real_reports):
    conll_train = real_reports["conll2003"].splits["train"]
    trec_test = real_reports["trec"].splits["test"]

    assert set(conll_train.label_counts) == {"LOC", "MISC", "ORG", "PER"}
    assert conll_train.label_counts["PER"] == conll_train.tag_counts["B-PER"]
    assert sum(trec_test.label_counts.values()) == 500
    assert set(trec_test.label_counts) == {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}


def test_real_tasks_have_no_problems(real_reports):
    for name, report in real_reports.items():
        assert report.problems == [], name


def test_real_tasks_length_summary(real_reports):
    lengths = real_reports["conll2003"].splits["train"].lengths

    assert lengths.percentiles[50] <= lengths.percentiles[90] <= lengths.percentiles[99] <= lengths.maximum
    # The longest CoNLL-2003 training sentences exceed 128 sub-tokens with the MiniLM tokenizer.
    assert lengths.maximum > 128
    assert lengths.over_max_length >= 1


def test_wikigold_reports_iob1_conversions(real_reports):
    wikigold = real_reports["wikigold"]

    assert wikigold.read_stats.converted_tags > 0
    assert wikigold.sources[0].splits == ["train", "dev", "test"]


def test_sequence_lengths_match_tokenizer(tokenizer):
    words = ("Transformers", "tokenise", "Reykjavík", ".")
    pair = TcExample(text="Is it raining?", label="yes", text_pair="The streets are wet.")
    single = TcExample(text="A single sentence.", label="no")

    ner_lengths = sequence_lengths(tokenizer, [NerExample(tokens=words, tags=("O",) * 4)])
    tc_lengths = sequence_lengths(tokenizer, [pair, single])

    assert ner_lengths[0] == len(tokenizer(list(words), is_split_into_words=True)["input_ids"])
    assert tc_lengths[0] == len(tokenizer(pair.text, pair.text_pair)["input_ids"])
    assert tc_lengths[1] == len(tokenizer(single.text)["input_ids"])


def test_duplicate_across_splits_is_problem(tmp_path, tokenizer):
    splits = {**CLEAN_SPLITS, "test": ["good film\tpos", "awful score\tneg"]}
    _write_tc_task(tmp_path / "tasks", tmp_path / "data", "dup_task", splits)

    spec = TaskRegistry(tmp_path / "tasks").get("dup_task")
    report = task_report(spec, tmp_path / "data", tokenizer, max_length=128)

    train_test = next(overlap for overlap in report.overlaps if (overlap.first, overlap.second) == ("train", "test"))
    assert train_test.shared_texts == 1
    assert train_test.share == 0.5
    assert len(report.problems) == 1
    assert "50.0% of the test examples repeat train texts" in report.problems[0]


def test_dev_label_missing_from_train(tmp_path, tokenizer):
    splits = {**CLEAN_SPLITS, "dev": ["fine acting\tpos", "odd acting\tmixed"]}
    _write_tc_task(tmp_path / "tasks", tmp_path / "data", "label_task", splits)

    spec = TaskRegistry(tmp_path / "tasks").get("label_task")
    report = task_report(spec, tmp_path / "data", tokenizer, max_length=128)

    assert report.problems == ["the dev split has label(s) ['mixed'] that the train split lacks"]


def test_invalid_file_reported_not_raised(tmp_path, tokenizer):
    broken = {**CLEAN_SPLITS, "test": ["lovely score\tpos", "no label column here"]}
    _write_tc_task(tmp_path / "tasks", tmp_path / "data", "broken_task", broken)
    _write_tc_task(tmp_path / "tasks", tmp_path / "data", "clean_task", CLEAN_SPLITS)
    registry = TaskRegistry(tmp_path / "tasks")

    reports = suite_reports(registry, ["broken_task", "missing_task", "clean_task"], tmp_path / "data", tokenizer, 128)
    broken_report, missing_report, clean_report = reports

    assert len(broken_report.problems) == 1
    assert "broken_task/test.tsv, line 2: expected 2 tab-separated columns, found 1" in broken_report.problems[0]
    assert broken_report.splits == {}
    assert "unknown task 'missing_task'" in missing_report.problems[0]
    assert clean_report.problems == []
    assert clean_report.splits["train"].examples == 4
    assert "2 problem(s) in broken_task, missing_task" in format_report(reports)


def test_cli_reports_written_task(tmp_path, data_dir, capsys):
    _write_tc_task(tmp_path / "tasks", tmp_path / "data", "my_task", CLEAN_SPLITS)
    script = _load_script()

    status = script.main(["suite.tasks=[my_task]", f"tasks_dir={tmp_path / 'tasks'}", f"paths.data_dir={tmp_path / 'data'}"])

    output = capsys.readouterr().out
    assert status == 0
    assert "## my_task (tc)" in output
    assert "no problems found" in output


def test_cli_missing_data_dir_message(monkeypatch, capsys):
    monkeypatch.delenv("MTPF_DATA_DIR", raising=False)
    script = _load_script()

    status = script.main(["suite.tasks=[trec]"])

    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1
    assert "export MTPF_DATA_DIR=" in error


def test_cli_subprocess_two_tasks(data_dir):
    env = {**os.environ, "MTPF_DATA_DIR": str(data_dir)}
    command = [sys.executable, str(SCRIPT), "suite.tasks=[trec,ncbi_disease]"]

    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)

    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "## trec (tc)" in completed.stdout
    assert "## ncbi_disease (ner)" in completed.stdout
