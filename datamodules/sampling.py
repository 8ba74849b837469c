"""Seeded training-data regimes: keep a fraction of a training split."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def fraction_sample(
    examples: Sequence[T], fraction: float, seed: int, label_of: Callable[[T], Hashable] | None = None
) -> list[T]:
    """Return a seeded sample of ``fraction`` of ``examples``, in their original order.

    With ``label_of`` the sample is stratified: each label keeps ``round(fraction * count)``
    examples and at least one, so no label disappears from a small regime. Without it, a plain
    sample of ``round(fraction * len(examples))`` examples (at least one) is drawn.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"train_fraction={fraction!r} is invalid: expected a number in (0, 1]")
    if fraction == 1 or not examples:
        return list(examples)

    rng = random.Random(seed)
    if label_of is None:
        groups = {None: list(range(len(examples)))}
    else:
        groups = defaultdict(list)
        for index, example in enumerate(examples):
            groups[label_of(example)].append(index)

    chosen: list[int] = []
    # Labels are visited in sorted order so the draw does not depend on the order of the file.
    for label in sorted(groups, key=repr):
        indices = groups[label]
        count = max(1, round(fraction * len(indices)))
        chosen.extend(rng.sample(indices, count))
    return [examples[index] for index in sorted(chosen)]
