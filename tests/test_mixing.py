"""Family schedules of the multi-task pre-finetuning loader."""

from __future__ import annotations

from collections import Counter

import pytest
from torch.utils.data import DataLoader

from datamodules.mixing import MixedFamilyLoader, family_probabilities, family_schedule


def test_round_robin_alternates():
    assert family_schedule({"ner": 10, "tc": 1000}, "round_robin", 5, seed=0) == ["ner", "tc", "ner", "tc", "ner"]


def test_temperature_probabilities_follow_formula():
    probabilities = family_probabilities({"ner": 100, "tc": 400}, "temperature", temperature=2.0)
    # size ** (1 / T): 10 and 20.
    assert probabilities == pytest.approx({"ner": 1 / 3, "tc": 2 / 3})


def test_temperature_schedule_frequencies_match_formula():
    schedule = family_schedule({"ner": 100, "tc": 400}, "temperature", 30000, seed=1, temperature=2.0)
    share = Counter(schedule)["ner"] / len(schedule)
    assert share == pytest.approx(1 / 3, abs=0.01)


def test_proportional_schedule_is_seeded():
    first = family_schedule({"ner": 1, "tc": 3}, "proportional", 100, seed=7)
    assert first == family_schedule({"ner": 1, "tc": 3}, "proportional", 100, seed=7)
    assert first != family_schedule({"ner": 1, "tc": 3}, "proportional", 100, seed=8)


def test_unknown_mixing_mode_is_rejected():
    with pytest.raises(ValueError, match="pretrain.mixing='uniform'"):
        family_probabilities({"ner": 1}, "uniform")


def test_mixed_loader_repeats_small_family():
    loader = MixedFamilyLoader(
        {"ner": DataLoader([1, 2], batch_size=1), "tc": DataLoader([10, 20, 30], batch_size=1)},
        ["ner", "ner", "ner", "tc"],
    )
    batches = list(loader)
    assert len(loader) == 4
    assert [family for family, _ in batches] == ["ner", "ner", "ner", "tc"]
    assert [int(batch) for _, batch in batches[:3]] == [1, 2, 1]


def test_sum_steps_carry_every_family():
    schedule = family_schedule({"ner": 2, "tc": 3}, "sum", 3, seed=0)
    loader = MixedFamilyLoader(
        {"ner": DataLoader([1, 2], batch_size=1), "tc": DataLoader([10, 20, 30], batch_size=1)}, schedule
    )
    batches = list(loader)
    assert [family for family, _ in batches] == ["sum", "sum", "sum"]
    assert [{name: int(batch) for name, batch in parts.items()} for _, parts in batches] == [
        {"ner": 1, "tc": 10}, {"ner": 2, "tc": 20}, {"ner": 1, "tc": 30},
    ]
