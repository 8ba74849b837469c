"""Choice of the numeric precision for training and evaluation.

``trainer.precision: auto`` picks bfloat16 mixed precision where the hardware computes it natively
(recent x86 CPUs with AVX512-BF16 or AMX, and CUDA GPUs with bfloat16 support), float16 mixed
precision on older CUDA GPUs, and float32 everywhere else. Any explicit Lightning precision string
is passed through unchanged.
"""

from __future__ import annotations

import typing

import torch
from lightning_fabric.connector import _PRECISION_INPUT, _convert_precision_to_unified_args
from omegaconf import DictConfig, open_dict

AUTO = "auto"


def _literal_values(annotation: object) -> list:
    values = []
    for argument in typing.get_args(annotation):
        values += _literal_values(argument) if typing.get_args(argument) else [argument]
    return values


# Every value Lightning's Trainer accepts for ``precision``, plus ``auto``.
PRECISIONS = (AUTO, *_literal_values(_PRECISION_INPUT))


def cpu_supports_bf16() -> bool:
    """Return whether oneDNN runs bfloat16 matrix products natively on this CPU (see scripts/bench_precision.py)."""
    # NOTE: this is a private torch op. If a torch release drops it, auto falls back to float32 on CPUs.
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str | int, accelerator: str) -> str:
    """Return the precision Lightning will use: ``auto`` becomes the hardware's choice.

    Legacy values (``16``, ``"bf16"``, ...) become Lightning's full names (``16-mixed``, ...), and
    ``16-mixed`` on a CPU becomes ``bf16-mixed``, the precision Lightning switches to there.
    """
    uses_cuda = accelerator in ("gpu", "cuda") or (accelerator == AUTO and torch.cuda.is_available())
    if str(precision) != AUTO:
        unified = str(_convert_precision_to_unified_args(precision))
        if unified == "16-mixed" and not uses_cuda:
            return "bf16-mixed"
        return unified
    if uses_cuda:
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    if accelerator in ("cpu", AUTO) and not _mps_selected(accelerator) and cpu_supports_bf16():
        return "bf16-mixed"
    return "32-true"


def _mps_selected(accelerator: str) -> bool:
    # Lightning's "auto" picks Apple's MPS device when it exists; bfloat16 there is left to an explicit setting.
    return accelerator == AUTO and torch.backends.mps.is_available()


def resolve_trainer_precision(cfg: DictConfig) -> str:
    """Replace ``cfg.trainer.precision`` by its resolved value in place and return it."""
    resolved = resolve_precision(cfg.trainer.precision, str(cfg.trainer.accelerator))
    with open_dict(cfg):
        cfg.trainer.precision = resolved
    return resolved
