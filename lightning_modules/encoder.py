"""A backbone with named LoRA adapters on its top layers, routed per forward pass."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from omegaconf import DictConfig
from peft import LoraConfig, get_peft_model, load_peft_weights, set_peft_model_state_dict
from torch import nn
from transformers import PreTrainedModel

log = logging.getLogger(__name__)

# Parameter names of a LoRA module carry the adapter name after "lora_A." / "lora_B.".
_LORA_PARAMETER = re.compile(r"\.lora_(?:A|B)\.([^.]+)\.")


def adapted_layer_indices(num_hidden_layers: int, num_layers: int | None) -> list[int]:
    """Return the indices of the top layers that get LoRA (default: the last third, at least 1)."""
    count = max(1, num_hidden_layers // 3) if num_layers is None else int(num_layers)
    if not 1 <= count <= num_hidden_layers:
        raise ValueError(
            f"adapter.num_layers={num_layers} is invalid for a backbone with {num_hidden_layers} layers; "
            f"choose a value from 1 to {num_hidden_layers}, or null for the last third."
        )
    return list(range(num_hidden_layers - count, num_hidden_layers))


def build_lora_config(adapter_cfg: DictConfig, num_hidden_layers: int) -> LoraConfig:
    """Translate the ``adapter`` config group into a peft ``LoraConfig`` on the top layers."""
    return LoraConfig(
        r=adapter_cfg.rank,
        lora_alpha=adapter_cfg.alpha,
        lora_dropout=adapter_cfg.dropout,
        target_modules=list(adapter_cfg.target_modules),
        layers_to_transform=adapted_layer_indices(num_hidden_layers, adapter_cfg.num_layers),
        layers_pattern=adapter_cfg.layers_pattern,
    )


def adapter_of(parameter_name: str) -> str | None:
    """Return the adapter a parameter belongs to, or None for a backbone parameter."""
    match = _LORA_PARAMETER.search(parameter_name)
    return match.group(1) if match else None


class AdaptedEncoder(nn.Module):
    """A backbone encoder with zero or more named LoRA adapters.

    ``forward(..., adapter=name)`` runs the backbone with only that adapter active. Switching the
    active adapter never changes which parameters are trainable: peft's ``set_adapter`` turns
    ``requires_grad`` off for inactive adapters, so the flags chosen by ``set_trainable`` are
    restored after every switch. An inactive adapter takes no part in the forward pass, so it
    gets no gradient and an optimizer step leaves it bit-identical.
    """

    def __init__(self, backbone: PreTrainedModel, adapter_names: Sequence[str] = (), lora: LoraConfig | None = None):
        super().__init__()
        self.adapter_names = tuple(adapter_names)
        self.hidden_size = backbone.config.hidden_size
        self.num_hidden_layers = backbone.config.num_hidden_layers

        if self.adapter_names:
            if lora is None:
                raise ValueError(f"adapters {self.adapter_names} need a LoraConfig")
            self.model = get_peft_model(backbone, lora, adapter_name=self.adapter_names[0])
            for name in self.adapter_names[1:]:
                self.model.add_adapter(name, lora)
        else:
            self.model = backbone

        self._active_adapter: str | None = None
        self._requires_grad: dict[str, bool] = {}
        self.set_trainable(backbone=True, adapters=self.adapter_names)

    def set_trainable(self, backbone: bool, adapters: Iterable[str]) -> None:
        """Choose the trainable parameters: the whole backbone or none of it, and the named adapters."""
        adapters = set(adapters)
        unknown = adapters - set(self.adapter_names)
        if unknown:
            raise ValueError(f"unknown adapters {sorted(unknown)}; this encoder has {list(self.adapter_names)}")

        for name, parameter in self.model.named_parameters():
            owner = adapter_of(name)
            parameter.requires_grad = backbone if owner is None else owner in adapters
        self._requires_grad = {name: p.requires_grad for name, p in self.model.named_parameters()}

    def backbone_parameters(self) -> list[nn.Parameter]:
        return [p for _, p in self.named_backbone_parameters()]

    def named_backbone_parameters(self) -> list[tuple[str, nn.Parameter]]:
        """Return ``(name, parameter)`` for every parameter that belongs to no adapter."""
        return [(name, p) for name, p in self.model.named_parameters() if adapter_of(name) is None]

    def adapter_parameters(self, adapter: str) -> list[nn.Parameter]:
        return [p for name, p in self.model.named_parameters() if adapter_of(name) == adapter]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, adapter: str | None = None) -> torch.Tensor:
        """Return the last hidden states ``(batch, seq, hidden)`` with ``adapter`` active."""
        self._activate(adapter)
        output = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return output.last_hidden_state

    def _activate(self, adapter: str | None) -> None:
        if not self.adapter_names:
            if adapter is not None:
                raise ValueError(f"adapter {adapter!r} requested, but this encoder has no adapters")
            return
        if adapter not in self.adapter_names:
            raise ValueError(f"adapter {adapter!r} is not one of {list(self.adapter_names)}")
        if adapter == self._active_adapter:
            return

        self.model.base_model.set_adapter(adapter)
        for name, parameter in self.model.named_parameters():
            parameter.requires_grad = self._requires_grad[name]
        self._active_adapter = adapter

    def save_backbone(self, folder: Path) -> None:
        """Save the backbone without adapters as safetensors (the encoder itself is left as it is)."""
        backbone = copy.deepcopy(self.model).unload() if self.adapter_names else self.model
        backbone.save_pretrained(folder)

    def save_adapters(self, folder: Path) -> None:
        """Save each adapter into ``folder/<adapter name>`` in peft's format."""
        for name in self.adapter_names:
            self.model.save_pretrained(folder, selected_adapters=[name])

    def load_adapter_weights(self, folder: Path, into: str) -> None:
        """Initialise adapter ``into`` from the peft adapter saved in ``folder``."""
        saved = LoraConfig.from_pretrained(folder)
        current = self.model.peft_config[into]
        for field in ("r", "lora_alpha", "layers_to_transform", "target_modules"):
            if _normalised(getattr(saved, field)) != _normalised(getattr(current, field)):
                raise ValueError(
                    f"adapter in {folder} has {field}={getattr(saved, field)!r} but the configured adapter has "
                    f"{getattr(current, field)!r}; use the same adapter settings as the pre-finetuning run."
                )
        result = set_peft_model_state_dict(self.model, load_peft_weights(str(folder)), adapter_name=into)
        missing = [k for k in result.missing_keys if f".{into}." in k and "lora_" in k]
        if missing:
            raise ValueError(f"adapter in {folder} lacks weights for {missing[:3]} ...")
        log.info("Initialised adapter %r from %s", into, folder)


def _normalised(value: object) -> object:
    if isinstance(value, (list, set, tuple)):
        return sorted(value)
    return value
