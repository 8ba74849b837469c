"""Time the backbone's training and inference steps in float32 and in bfloat16 mixed precision.

Usage: python scripts/bench_precision.py [--repeats 5]

Prints the machine (CPU model, torch thread count, bfloat16 support, torch version) and, per setting, the
seconds per step for both precisions. Training steps run forward and backward with the top
third of the layers trainable, as in downstream LoRA training; inference steps run forward only.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch
from omegaconf import OmegaConf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lightning_modules.backbone import load_backbone  # noqa: E402
from lightning_modules.encoder import adapted_layer_indices  # noqa: E402
from lightning_modules.precision import cpu_supports_bf16  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
# (train, batch size, sequence length)
SETTINGS = [(True, 32, 32), (True, 32, 128), (False, 128, 32), (False, 128, 128)]


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or what the platform module reports."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def seconds_per_step(model: torch.nn.Module, train: bool, batch: int, length: int, bf16: bool, repeats: int) -> float:
    """Return the mean seconds of ``repeats`` steps after one warm-up step."""
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(1000, 20000, (batch, length), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    model.train(train)

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            if train:
                model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state.float().sum().backward()
            else:
                with torch.inference_mode():
                    model(input_ids=input_ids, attention_mask=attention_mask)

    step()
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per setting (default: 5)")
    parser.add_argument("--backbone", default="minilm_l6", help="backbone config name in conf/backbone (default: minilm_l6)")
    args = parser.parse_args()

    model = load_backbone(OmegaConf.load(REPO_ROOT / "conf" / "backbone" / f"{args.backbone}.yaml"))
    trainable = set(adapted_layer_indices(model.config.num_hidden_layers, None))
    for name, parameter in model.named_parameters():
        parameter.requires_grad = any(f"layer.{index}." in name for index in trainable)

    print(f"machine: {cpu_model()}, {torch.get_num_threads()} threads, bfloat16 native: {cpu_supports_bf16()}, "
          f"torch {torch.__version__}, backbone {args.backbone}")
    print("| step | batch | tokens | float32 s | bf16-mixed s | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    for train, batch, length in SETTINGS:
        fp32 = seconds_per_step(model, train, batch, length, bf16=False, repeats=args.repeats)
        bf16 = seconds_per_step(model, train, batch, length, bf16=True, repeats=args.repeats)
        kind = "train" if train else "inference"
        print(f"| {kind} | {batch} | {length} | {fp32:.3f} | {bf16:.3f} | {fp32 / bf16:.2f}x |")


if __name__ == "__main__":
    main()
