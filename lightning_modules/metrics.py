"""Downstream metrics: seqeval entity F1 for NER, accuracy / macro F1 / MCC for text classification."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from seqeval.metrics import f1_score, precision_score, recall_score
from seqeval.scheme import IOB2
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_f1_score, multiclass_matthews_corrcoef


def ner_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, float]:
    """Entity-level micro precision, recall and F1 in seqeval's strict IOB2 mode, on word-level tags."""
    gold, predicted = [list(tags) for tags in gold], [list(tags) for tags in predicted]
    options = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    return {
        "entity_f1": float(f1_score(gold, predicted, **options)),
        "precision": float(precision_score(gold, predicted, **options)),
        "recall": float(recall_score(gold, predicted, **options)),
    }


def tc_scores(gold: torch.Tensor, predicted: torch.Tensor, num_labels: int) -> dict[str, float]:
    """Accuracy, macro F1 over the label set, and Matthews correlation."""
    return {
        "accuracy": float(multiclass_accuracy(predicted, gold, num_classes=num_labels, average="micro")),
        "macro_f1": float(multiclass_f1_score(predicted, gold, num_classes=num_labels, average="macro")),
        "mcc": float(multiclass_matthews_corrcoef(predicted, gold, num_classes=num_labels)),
    }
