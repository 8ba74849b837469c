"""Pre-finetuning objectives: token cross-entropy for silver tags and in-batch InfoNCE for pairs."""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Label id of positions without a label (padding, special tokens, non-first sub-tokens).
IGNORE_INDEX = -100


def token_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over labelled positions; ``logits`` is ``(batch, seq, labels)``."""
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)


def info_nce(anchors: torch.Tensor, positives: torch.Tensor, temperature: float, symmetric: bool = True) -> torch.Tensor:
    """In-batch InfoNCE over cosine similarities; row i of each input is a positive pair.

    Every other positive in the batch is a negative for anchor i. The symmetric form averages
    the anchor-to-positive and positive-to-anchor losses.
    """
    if anchors.shape != positives.shape:
        raise ValueError(f"anchors {tuple(anchors.shape)} and positives {tuple(positives.shape)} differ in shape")

    # Computed in float32 even under mixed precision: with a small temperature, bfloat16 rounding
    # of the cosine similarities would be magnified into the logits.
    with torch.autocast(device_type=anchors.device.type, enabled=False):
        anchors, positives = anchors.float(), positives.float()
        similarity = F.normalize(anchors, dim=-1) @ F.normalize(positives, dim=-1).T / temperature
    targets = torch.arange(similarity.shape[0], device=similarity.device)
    loss = F.cross_entropy(similarity, targets)
    if symmetric:
        loss = (loss + F.cross_entropy(similarity.T, targets)) / 2
    return loss
