"""Family mixing for multi-task pre-finetuning: which family each training step draws from."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping

from torch.utils.data import DataLoader

MIXING_MODES = ("round_robin", "proportional", "temperature")


def family_probabilities(sizes: Mapping[str, int], mode: str, temperature: float = 1.0) -> dict[str, float]:
    """Return the sampling probability of each family.

    ``proportional``: p(f) ~ size(f); ``temperature``: p(f) ~ size(f) ** (1 / T);
    ``round_robin`` returns equal shares (its schedule alternates instead of sampling).
    """
    if mode not in MIXING_MODES:
        raise ValueError(f"pretrain.mixing={mode!r} is not one of {MIXING_MODES}")
    if any(size <= 0 for size in sizes.values()):
        raise ValueError(f"every pre-finetuning family needs data, got sizes {dict(sizes)}")

    if mode == "round_robin":
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
    """Return the family of every step: alternating for round_robin, seeded draws otherwise."""
    families = list(sizes)
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
        unknown = set(schedule) - set(loaders)
        if unknown:
            raise ValueError(f"schedule names families {sorted(unknown)} without a data loader")
        self.loaders = dict(loaders)
        self.schedule = schedule

    def __len__(self) -> int:
        return len(self.schedule)

    def __iter__(self) -> Iterator[tuple[str, object]]:
        iterators = {family: _repeat(loader) for family, loader in self.loaders.items()}
        for family in self.schedule:
            yield family, next(iterators[family])


def _repeat(loader: DataLoader) -> Iterator[object]:
    for _ in itertools.count():
        yield from loader
