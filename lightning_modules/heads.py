"""Task heads and pooling. Heads are separate from the backbone and never saved into it."""

from __future__ import annotations

import torch
from torch import nn


def mean_pool(hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the hidden states ``(batch, seq, hidden)`` over the non-padding positions."""
    mask = attention_mask.unsqueeze(-1).to(hidden_states.dtype)
    summed = (hidden_states * mask).sum(dim=1)
    return summed / mask.sum(dim=1).clamp(min=1.0)


class TokenTaggingHead(nn.Module):
    """Dropout and a linear layer over every token's hidden state."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(hidden_states))


class SequenceClassificationHead(nn.Module):
    """Pooling over tokens (mean, or the first token with ``pooling="cls"``), dropout and a linear layer."""

    def __init__(self, hidden_size: int, num_labels: int, pooling: str = "mean", dropout: float = 0.1):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling={pooling!r} is not supported; use mean or cls")
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "mean":
            pooled = mean_pool(hidden_states, attention_mask)
        else:
            pooled = hidden_states[:, 0]
        return self.classifier(self.dropout(pooled))
