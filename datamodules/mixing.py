"""Family mixing for multi-task pre-finetuning: which family each training step draws from."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping

from torch.utils.data import DataLoader

MIXING_MODES = ("round_robin", "proportional", "temperature", "sum")
# Schedule entry of a "sum" step: one batch of every family, losses added.
SUM_STEP = "sum"


def family_probabilities(sizes: Mapping[str, int], mode: str, temperature: float = 1.0) -> dict[str, float]:
    """Return the sampling probability of each family.

    ``proportional``: p(f) ~ size(f); ``temperature``: p(f) ~ size(f) ** (1 / T);
    ``round_robin`` and ``sum`` return equal shares (their schedules alternate or take every
    family at each step instead of sampling).
    """
    if mode not in MIXING_MODES:
        raise ValueError(f"pretrain.mixing={mode!r} is not one of {MIXING_MODES}")
    if any(size <= 0 for size in sizes.values()):
        raise ValueError(f"every pre-finetuning family needs data, got sizes {dict(sizes)}")

    if mode in ("round_robin", "sum"):
        weights = {family: 1.0 for family in sizes}
    elif mode == "proportional":
        weights = {family: float(size) for family, size in sizes.items()}
    else:
        if temperature <= 0:
            raise ValueError(f"pretrain.mixing_temperature must be positive, got {temperature}")
        weights = {family: float(size) ** (1.0 / temperature) for family, size in sizes.items()}

    total = sum(weights.values())
    return {family: weight / total for family, weight in weights.items()}


def family_schedule(sizes: Mapping[str, int], mode: str, num_steps: int, seed: int, temperature: float = 1.0) -> list[str]:
    """Return the family of every step: alternating for round_robin, every family for sum, seeded draws otherwise."""
    families = list(sizes)
    if mode == "sum":
        family_probabilities(sizes, mode)  # raises on an empty family
        return [SUM_STEP] * num_steps
    if mode == "round_robin":
        family_probabilities(sizes, mode)  # validates the sizes
        return [families[step % len(families)] for step in range(num_steps)]

    probabilities = family_probabilities(sizes, mode, temperature)
    rng = random.Random(seed)
    return rng.choices(families, weights=[probabilities[f] for f in families], k=num_steps)


class MixedFamilyLoader:
    """Iterate ``(family, batch)`` pairs following a fixed family schedule.

    Each family's DataLoader restarts (with a new shuffle) when it runs out, so a small family
    is repeated rather than ending the epoch.
    """

    def __init__(self, loaders: Mapping[str, DataLoader], schedule: list[str]):
        unknown = set(schedule) - set(loaders) - {SUM_STEP}
        if unknown:
            raise ValueError(f"schedule names families {sorted(unknown)} without a data loader")
        self.loaders = dict(loaders)
        self.schedule = schedule

    def __len__(self) -> int:
        return len(self.schedule)

    def __iter__(self) -> Iterator[tuple[str, object]]:
        iterators = {family: _repeat(loader) for family, loader in self.loaders.items()}
        for family in self.schedule:
            if family == SUM_STEP:
                yield family, {name: next(iterator) for name, iterator in iterators.items()}
            else:
                yield family, next(iterators[family])


def _repeat(loader: DataLoader) -> Iterator[object]:
    for _ in itertools.count():
        yield from loader
