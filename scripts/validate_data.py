"""Print a data validation report for the downstream tasks of a suite.

Usage: python scripts/validate_data.py [--max-overlap FRACTION] [Hydra overrides of conf/train.yaml]

Examples:
    python scripts/validate_data.py suite=suite21
    python scripts/validate_data.py suite.tasks=[my_task] backbone=distilbert downstream.max_length=256

The report goes to stdout as Markdown tables. Exit status: 0 when no problem is found, 1 when
any task has a problem, 2 when the report cannot be made (configuration, data directory or
tokenizer).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from hydra import compose, initialize_config_dir  # noqa: E402
from hydra.errors import HydraException  # noqa: E402
from omegaconf import DictConfig  # noqa: E402
from omegaconf.errors import OmegaConfBaseException  # noqa: E402

from datamodules.tasks import TaskRegistry  # noqa: E402
from datamodules.validation import DEFAULT_MAX_OVERLAP, format_report, suite_reports  # noqa: E402
from lightning_modules.backbone import BackboneNotFoundError, load_tokenizer  # noqa: E402
from lightning_modules.experiment import check_data_dir  # noqa: E402

EXIT_PROBLEMS = 1
EXIT_SETUP_ERROR = 2


class SetupError(RuntimeError):
    """Failure that stops the report before any task is read. The message states the fix."""


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"invalid fraction {text}: expected a number from 0 to 1")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the script's own options. Every other argument is a Hydra override."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-overlap",
        type=_fraction,
        default=DEFAULT_MAX_OVERLAP,
        metavar="FRACTION",
        help="largest fraction of a split's examples that may repeat texts of another split "
        f"before the task fails validation (default {DEFAULT_MAX_OVERLAP})",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of conf/train.yaml, such as suite=suite21")
    return parser.parse_args(argv)


def compose_config(overrides: list[str]) -> DictConfig:
    """Compose ``conf/train.yaml`` with the overrides, without starting a Hydra run."""
    os.environ.setdefault("PROJECT_ROOT", str(REPO_ROOT))
    try:
        with initialize_config_dir(config_dir=str(REPO_ROOT / "conf"), version_base="1.3"):
            return compose("train", overrides=overrides)
    except (HydraException, OmegaConfBaseException) as error:
        raise SetupError(f"invalid configuration or override: {error}") from error


def resolve_data_dir(cfg: DictConfig) -> Path:
    """Return the data directory, or raise SetupError saying how to set it."""
    try:
        return check_data_dir(cfg)
    except FileNotFoundError as error:
        raise SetupError(str(error)) from error


def build_report(cfg: DictConfig, max_overlap: float) -> tuple[str, bool]:
    """Validate the tasks of ``cfg.suite.tasks`` and return the report text and whether a problem was found."""
    data_dir = resolve_data_dir(cfg)
    try:
        registry = TaskRegistry(Path(cfg.tasks_dir))
        tokenizer = load_tokenizer(cfg.backbone)
    except (FileNotFoundError, BackboneNotFoundError) as error:
        raise SetupError(str(error)) from error
    max_length = int(cfg.downstream.max_length)
    reports = suite_reports(registry, list(cfg.suite.tasks), data_dir, tokenizer, max_length, max_overlap)
    return format_report(reports), any(report.problems for report in reports)


def main(argv: list[str] | None = None) -> int:
    """Run the validation and return the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = compose_config(args.overrides)
        report, has_problems = build_report(cfg, args.max_overlap)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_SETUP_ERROR
    print(report, end="")
    return EXIT_PROBLEMS if has_problems else 0


if __name__ == "__main__":
    sys.exit(main())
