"""Write ablation tables (Markdown, CSV) and plots (PNG) from the result files of run folders.

Usage: python scripts/make_table.py RUN_DIR [RUN_DIR ...] --out docs/results/ablation

A RUN_DIR is a run folder of train.py or a multirun folder (every results/*.json below it is read).
Reads only local files: no network, no wandb API.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lightning_modules.tables import (  # noqa: E402
    FAMILIES,
    RegimeTable,
    build_tables,
    find_result_files,
    load_diagnostics,
    load_result_files,
    render_csv,
    render_markdown,
)


def plot_families(table: RegimeTable, path: Path) -> None:
    """Bar chart: one group per family, one bar per strategy, error bars = standard deviation over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = [family for family in FAMILIES if table.tasks.get(family)]
    strategies = list(table.strategies)
    width = 0.8 / max(1, len(strategies))
    figure, axis = plt.subplots(figsize=(1.5 + 1.2 * len(strategies), 3.6))
    for offset, strategy in enumerate(strategies):
        cells = [table.families[strategy].get(family) for family in families]
        positions = [index + offset * width for index in range(len(families))]
        means = [100 * cell.mean if cell else 0.0 for cell in cells]
        errors = [100 * cell.std if cell else 0.0 for cell in cells]
        axis.bar(positions, means, width, yerr=errors, capsize=3, label=strategy)
    axis.set_xticks([index + width * (len(strategies) - 1) / 2 for index in range(len(families))])
    axis.set_xticklabels([f"{family.upper()} ({len(table.tasks[family])} tasks)" for family in families])
    axis.set_ylabel("mean test score (points)")
    axis.set_title(table.regime.title)
    axis.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_gradient_cosine(records: list[dict], path: Path) -> None:
    """Line chart of the NER-TC gradient cosine on the shared backbone over pre-finetuning steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.6))
    counts = Counter((record["strategy"], record["seed"]) for record in records)
    for record in records:
        steps = [point["step"] for point in record["steps"]]
        cosines = [point["cosine"] for point in record["steps"]]
        label = f"{record['strategy']} (seed {record['seed']})"
        if counts[(record["strategy"], record["seed"])] > 1:
            label += f" {str(record.get('config_hash'))[:8]}"  # runs with different settings
        axis.plot(steps, cosines, marker=".", label=label)
    axis.axhline(0.0, color="grey", linewidth=0.8)
    axis.set_xlabel("pre-finetuning step")
    axis.set_ylabel("cosine(grad NER, grad TC)")
    axis.set_title("Gradient agreement on the shared backbone")
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, help="run or multirun folders of train.py")
    parser.add_argument("--out", type=Path, default=Path("outputs/tables"), help="output folder (default: outputs/tables)")
    parser.add_argument("--no-plots", action="store_true", help="write the Markdown and CSV tables only")
    args = parser.parse_args()

    try:
        results = load_result_files(find_result_files(args.run_dirs))
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")
    if not results:
        sys.exit(f"error: no results/*.json below {[str(d) for d in args.run_dirs]}; pass run folders of train.py")

    try:
        tables = build_tables(results)
        diagnostics = [] if args.no_plots else load_diagnostics(args.run_dirs)
    except ValueError as error:
        sys.exit(f"error: {error}")
    if args.out.exists() and not args.out.is_dir():
        sys.exit(f"error: --out {args.out} is a file; give a folder for the tables and plots")
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(tables)
    (args.out / "table.md").write_text(markdown, encoding="utf-8")
    (args.out / "table.csv").write_text(render_csv(tables), encoding="utf-8")
    written = ["table.md", "table.csv"]
    if not args.no_plots:
        for table in tables:
            name = f"families_{table.regime.slug}.png"
            plot_families(table, args.out / name)
            written.append(name)
        if diagnostics:
            plot_gradient_cosine(diagnostics, args.out / "grad_cosine.png")
            written.append("grad_cosine.png")
    print(markdown)
    print(f"{len(results)} result files; wrote {', '.join(written)} to {args.out}")


if __name__ == "__main__":
    main()
