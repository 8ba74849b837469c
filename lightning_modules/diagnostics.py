"""Interference diagnostics: do the two families' gradients on the shared backbone agree?

Each family's loss is differentiated separately with respect to the backbone parameters. Their
agreement is summarised as the cosine similarity of the concatenated gradients (overall and per
layer) and as the share of parameter tensors whose two gradients have a negative dot product
(the tensors in conflict).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping

import torch

_LAYER = re.compile(r"\.layers?\.(\d+)\.")


def layer_group(parameter_name: str) -> str:
    """Return the group a backbone parameter is reported under: ``layer_<i>``, ``embeddings`` or ``other``."""
    match = _LAYER.search(parameter_name)
    if match:
        return f"layer_{int(match.group(1))}"
    if "embeddings" in parameter_name:
        return "embeddings"
    return "other"


def _cosine(dot: float, norm_a: float, norm_b: float) -> float:
    if norm_a == 0.0 or norm_b == 0.0:
        return float("nan")
    return dot / math.sqrt(norm_a * norm_b)


def gradient_agreement(first: Mapping[str, torch.Tensor], second: Mapping[str, torch.Tensor]) -> dict:
    """Compare two gradients given as ``{parameter name: gradient}`` over the parameters both contain.

    Returns ``cosine`` (overall), ``layers`` (cosine per layer group), ``conflict_share`` (share of
    tensors, among those where both gradients are non-zero, with a negative dot product) and
    ``tensors`` (how many tensors were compared). Sums are accumulated in float64.
    """
    names = sorted(set(first) & set(second))
    if not names:
        raise ValueError("the two gradients share no parameter; nothing to compare")

    dots: dict[str, float] = defaultdict(float)
    norms_a: dict[str, float] = defaultdict(float)
    norms_b: dict[str, float] = defaultdict(float)
    conflicts = compared = 0
    for name in names:
        a, b = first[name].detach().double().flatten(), second[name].detach().double().flatten()
        dot, norm_a, norm_b = float(a @ b), float(a @ a), float(b @ b)
        group = layer_group(name)
        dots[group] += dot
        norms_a[group] += norm_a
        norms_b[group] += norm_b
        if norm_a > 0.0 and norm_b > 0.0:
            compared += 1
            conflicts += dot < 0.0

    layers = {group: _cosine(dots[group], norms_a[group], norms_b[group]) for group in sorted(dots)}
    overall = _cosine(sum(dots.values()), sum(norms_a.values()), sum(norms_b.values()))
    return {
        "cosine": overall,
        "layers": layers,
        "conflict_share": conflicts / compared if compared else float("nan"),
        "tensors": compared,
    }


def parameter_gradients(loss: torch.Tensor, parameters: Mapping[str, torch.nn.Parameter]) -> dict[str, torch.Tensor]:
    """Return ``{name: d loss / d parameter}`` without touching the parameters' ``.grad`` fields."""
    names = list(parameters)
    gradients = torch.autograd.grad(loss, [parameters[name] for name in names], allow_unused=True)
    return {name: gradient for name, gradient in zip(names, gradients, strict=True) if gradient is not None}
