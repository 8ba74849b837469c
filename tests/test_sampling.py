"""Seeded data regimes: fractions of a training split, stratified by label for TC."""

from __future__ import annotations

from collections import Counter

import pytest

from datamodules.sampling import fraction_sample

LABELS = ["a"] * 600 + ["b"] * 300 + ["c"] * 95 + ["d"] * 5


def _examples() -> list[tuple[int, str]]:
    return list(enumerate(LABELS))


def _label(example: tuple[int, str]) -> str:
    return example[1]


def test_stratified_sample_keeps_label_shares():
    sample = fraction_sample(_examples(), 0.1, seed=0, label_of=_label)
    counts = Counter(label for _, label in sample)
    assert counts == {"a": 60, "b": 30, "c": 10, "d": 1}


def test_stratified_sample_keeps_every_label():
    sample = fraction_sample(_examples(), 0.01, seed=0, label_of=_label)
    counts = Counter(label for _, label in sample)
    assert set(counts) == {"a", "b", "c", "d"}
    assert counts["a"] == 6


def test_sample_is_seeded_and_ordered():
    first = fraction_sample(_examples(), 0.1, seed=3, label_of=_label)
    again = fraction_sample(_examples(), 0.1, seed=3, label_of=_label)
    other = fraction_sample(_examples(), 0.1, seed=4, label_of=_label)
    assert first == again
    assert first != other
    assert [index for index, _ in first] == sorted(index for index, _ in first)


def test_plain_sample_size():
    sample = fraction_sample(list(range(1000)), 0.1, seed=0)
    assert len(sample) == 100
    assert len(set(sample)) == 100


def test_full_fraction_keeps_all():
    assert fraction_sample(list(range(7)), 1.0, seed=0) == list(range(7))


@pytest.mark.parametrize("fraction", [0, -0.5, 1.5])
def test_invalid_fraction_is_rejected(fraction):
    with pytest.raises(ValueError, match="train_fraction"):
        fraction_sample(list(range(10)), fraction, seed=0)
