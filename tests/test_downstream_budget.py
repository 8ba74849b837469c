"""Downstream step budget and the majority-class baseline."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from datamodules.examples import TcExample
from lightning_modules.downstream_stage import majority_baseline, training_steps


@pytest.mark.parametrize(
    ("examples", "max_epochs", "expected"),
    [(14041, 20, 300), (100, 20, 80), (200, 20, 140), (100, None, 300), (1, 20, 20)],
)
def test_training_steps_caps_small_sets_by_epochs(examples, max_epochs, expected):
    downstream = OmegaConf.create({"max_steps": 300, "max_epochs": max_epochs, "batch_size": 32})
    assert training_steps(examples, downstream) == expected


def test_majority_baseline_uses_train_majority_on_test():
    splits = {
        "train": [TcExample("a", "x"), TcExample("b", "x"), TcExample("c", "y")],
        "test": [TcExample("d", "y"), TcExample("e", "x"), TcExample("f", "y"), TcExample("g", "y")],
    }
    assert majority_baseline("tc", splits) == pytest.approx(0.25)
    assert majority_baseline("ner", splits) is None

