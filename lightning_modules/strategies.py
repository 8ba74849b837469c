"""Pre-finetuning strategies: which objectives train, which adapters exist, whether the backbone learns."""

from __future__ import annotations

from dataclasses import dataclass, field

FAMILIES = ("ner", "tc")


@dataclass(frozen=True)
class Strategy:
    """One row of the ablation axis ``pretrain.strategy``."""

    name: str
    # Objectives trained during pre-finetuning; empty means no pre-finetuning stage of its own.
    families: tuple[str, ...]
    # Adapter per family during pre-finetuning ({} means the plain backbone runs every family).
    adapters: dict[str, str]
    # Whether pre-finetuning updates the backbone weights.
    train_backbone: bool
    # Composite strategies: the strategy whose artifact each family's downstream tasks start from.
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def adapter_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.adapters.values()))

    @property
    def interference_measurable(self) -> bool:
        """True when two families update one shared backbone, so their gradients can be compared."""
        return len(self.families) > 1 and self.train_backbone


STRATEGIES = {
    strategy.name: strategy
    for strategy in (
        # The pretrained encoder, unchanged: the baseline row.
        Strategy("none", (), {}, train_backbone=False),
        # One objective on the plain backbone; every downstream task starts from that backbone.
        Strategy("ner", ("ner",), {}, train_backbone=True),
        Strategy("tc", ("tc",), {}, train_backbone=True),
        # Both objectives on one plain backbone, alternated or summed as pretrain.mixing chooses.
        Strategy("naive", FAMILIES, {}, train_backbone=True),
        # Task-primary LoRAs: both objectives train the backbone, each through its own adapter.
        Strategy("tpl", FAMILIES, {"ner": "ner", "tc": "tc"}, train_backbone=True),
        # One LoRA shared by both families, backbone trained.
        Strategy("shared_lora", FAMILIES, {"ner": "shared", "tc": "shared"}, train_backbone=True),
        # Two task-primary LoRAs on a frozen backbone: only the adapters learn.
        Strategy("tpl_frozen", FAMILIES, {"ner": "ner", "tc": "tc"}, train_backbone=False),
        # Individual pre-finetuning (two backbones): NER tasks start from the ner artifact and TC
        # tasks from the tc artifact. A sweep's ner and tc rows reuse the same two artifacts.
        Strategy("individual", (), {}, train_backbone=False, sources={"ner": "ner", "tc": "tc"}),
    )
}


def get_strategy(name: str) -> Strategy:
    """Look up a strategy by its config name."""
    if name not in STRATEGIES:
        raise ValueError(f"pretrain.strategy={name!r} is not one of {sorted(STRATEGIES)}")
    return STRATEGIES[name]
