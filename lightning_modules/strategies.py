"""Pre-finetuning strategies: which objectives train, which adapters exist, whether the backbone learns."""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("ner", "tc")


@dataclass(frozen=True)
class Strategy:
    """One row of the ablation axis ``pretrain.strategy``."""

    name: str
    # Objectives trained during pre-finetuning; empty means no pre-finetuning stage at all.
    families: tuple[str, ...]
    # Adapter per family during pre-finetuning ({} means the plain backbone runs every family).
    adapters: dict[str, str]
    # Whether pre-finetuning updates the backbone weights.
    train_backbone: bool

    @property
    def adapter_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.adapters.values()))


STRATEGIES = {
    strategy.name: strategy
    for strategy in (
        Strategy("none", (), {}, train_backbone=False),
        Strategy("tpl", FAMILIES, {"ner": "ner", "tc": "tc"}, train_backbone=True),
    )
}


def get_strategy(name: str) -> Strategy:
    """Look up a strategy by its config name."""
    if name not in STRATEGIES:
        raise ValueError(f"pretrain.strategy={name!r} is not one of {sorted(STRATEGIES)}")
    return STRATEGIES[name]
