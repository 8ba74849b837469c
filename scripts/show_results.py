"""Print the summary table of one or more run folders from their per-task result files.

Usage: python scripts/show_results.py outputs/runs/2026-12-04_20-00-00 [more run folders]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lightning_modules.results import load_results, summary_markdown  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, help="run folders that contain results/*.json")
    args = parser.parse_args()

    for run_dir in args.run_dirs:
        results = load_results(run_dir / "results")
        if not results:
            sys.exit(f"no result files in {run_dir / 'results'}; is {run_dir} a run folder of train.py?")
        print(summary_markdown(results, str(run_dir)))


if __name__ == "__main__":
    main()
