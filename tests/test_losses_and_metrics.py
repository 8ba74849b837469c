"""Pre-finetuning losses and downstream metrics on hand-checked inputs."""

from __future__ import annotations

import math

import pytest
import torch

from lightning_modules.losses import IGNORE_INDEX, info_nce, token_cross_entropy
from lightning_modules.metrics import ner_scores, tc_scores


def test_info_nce_matches_hand_computation():
    anchors = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    positives = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    temperature = 0.5
    # Cosine similarities: row 0 -> [1, 1/sqrt2], row 1 -> [0, 1/sqrt2].
    s = 1 / math.sqrt(2)
    row0 = -math.log(math.exp(1 / temperature) / (math.exp(1 / temperature) + math.exp(s / temperature)))
    row1 = -math.log(math.exp(s / temperature) / (math.exp(0) + math.exp(s / temperature)))
    expected = (row0 + row1) / 2

    loss = info_nce(anchors, positives, temperature, symmetric=False)

    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_info_nce_symmetric_averages_both_directions():
    anchors, positives = torch.randn(5, 8), torch.randn(5, 8)
    forward = info_nce(anchors, positives, 0.05, symmetric=False)
    backward = info_nce(positives, anchors, 0.05, symmetric=False)

    assert info_nce(anchors, positives, 0.05).item() == pytest.approx((forward + backward).item() / 2, rel=1e-5)


def test_info_nce_is_low_for_matching_pairs():
    embeddings = torch.eye(4)
    assert info_nce(embeddings, embeddings, 0.05).item() < 1e-3
    assert info_nce(embeddings, embeddings.roll(1, dims=0), 0.05).item() > 10


def test_info_nce_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="differ in shape"):
        info_nce(torch.randn(3, 4), torch.randn(2, 4), 0.05)


def test_token_cross_entropy_skips_ignored_positions():
    logits = torch.tensor([[[10.0, 0.0], [0.0, 10.0], [10.0, 0.0]]])
    labels = torch.tensor([[0, IGNORE_INDEX, 0]])
    wrong_at_ignored = torch.tensor([[0, 0, 0]])

    assert token_cross_entropy(logits, labels).item() < 1e-3
    assert token_cross_entropy(logits, wrong_at_ignored).item() > 1.0


def test_ner_scores_strict_iob2():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    predicted = [["B-PER", "I-PER", "O", "I-LOC"]]  # I-LOC without B- is no entity in strict mode

    scores = ner_scores(gold, predicted)

    assert scores["precision"] == pytest.approx(1.0)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["entity_f1"] == pytest.approx(2 / 3)


def test_tc_scores_accuracy_and_macro_f1():
    gold = torch.tensor([0, 0, 1, 1])
    predicted = torch.tensor([0, 0, 0, 1])

    scores = tc_scores(gold, predicted, num_labels=2)

    assert scores["accuracy"] == pytest.approx(0.75)
    # F1 of class 0 = 0.8, of class 1 = 2/3.
    assert scores["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
