"""Example records shared by every reader and data module."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NerExample:
    """One sentence with one IOB2 tag per word (``tokens`` and ``tags`` have equal length)."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.tags):
            raise ValueError(f"NerExample has {len(self.tokens)} tokens but {len(self.tags)} tags: {self.tokens!r}")


@dataclass(frozen=True)
class TcExample:
    """One text (or text pair) with its label name."""

    text: str
    label: str
    text_pair: str | None = None


@dataclass(frozen=True)
class TextPair:
    """An (anchor, positive) pair for the contrastive objective."""

    anchor: str
    positive: str
