"""The pre-finetuning stage: train, then save a reusable artifact (backbone, adapters, manifest)."""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf, open_dict
from transformers import PreTrainedTokenizerBase

from datamodules.pretrain_datamodule import PretrainDataModule
from lightning_modules.backbone import load_backbone
from lightning_modules.encoder import AdaptedEncoder, build_lora_config
from lightning_modules.loggers import build_loggers, finish_loggers
from lightning_modules.pretrain_module import PretrainModule
from lightning_modules.run_info import config_hash, git_commit, package_versions, write_json
from lightning_modules.strategies import FAMILIES, Strategy, get_strategy

log = logging.getLogger(__name__)

# Bump when a code change alters what pre-finetuning produces, so cached artifacts are rebuilt.
PRETRAIN_CODE_VERSION = 3
MANIFEST = "manifest.json"
DIAGNOSTICS = "diagnostics.json"


# Objectives implemented per family. NOTE: distillation from a Hugging Face token-level teacher
# is not implemented yet, so the NER family supports silver tagging only.
OBJECTIVES = {"ner": ("silver_tagging",), "tc": ("infonce",)}


def check_objectives(cfg: DictConfig, strategy: Strategy) -> None:
    """Raise a ValueError naming the setting when a family's objective is not implemented."""
    for family in strategy.families:
        objective = cfg.pretrain[family].objective
        if objective not in OBJECTIVES[family]:
            raise ValueError(
                f"pretrain.{family}.objective={objective!r} is not supported; choose one of {list(OBJECTIVES[family])}"
            )


def relevant_pretrain_settings(cfg: DictConfig) -> dict:
    """Return the ``pretrain`` settings that can change the strategy's artifact.

    Settings of a family the strategy does not train are left out, and so are the mixing settings
    of a single-family strategy and the diagnostics of a strategy without them. So, for example,
    the ``ner`` artifact is reused when only TC settings change.
    """
    strategy = get_strategy(cfg.pretrain.strategy)
    settings = OmegaConf.to_container(cfg.pretrain, resolve=True)
    for family in FAMILIES:
        if family not in strategy.families:
            settings.pop(family, None)
            settings.get("loss_weights", {}).pop(family, None)
    if len(strategy.families) < 2:
        for key in ("mixing", "mixing_temperature"):
            settings.pop(key, None)
    if not strategy.interference_measurable:
        settings.pop("diagnostics", None)
    return settings


def pretrain_key(cfg: DictConfig) -> str:
    """Hash of everything that determines the pre-finetuning result."""
    adapter = cfg.adapter if get_strategy(cfg.pretrain.strategy).adapter_names else None
    return config_hash(
        cfg.backbone, adapter, relevant_pretrain_settings(cfg),
        {"seed": cfg.seed, "precision": str(cfg.trainer.precision), "code": PRETRAIN_CODE_VERSION},
    )


def artifact_dir(cfg: DictConfig) -> Path:
    return Path(cfg.paths.cache_dir) / "pretrain" / f"{cfg.pretrain.strategy}-{pretrain_key(cfg)}"


def missing_artifact_files(artifact: Path, strategy: Strategy) -> list[str]:
    """Return the expected files that an artifact folder lacks."""
    expected = ["backbone/config.json", "backbone/model.safetensors"]
    expected += [f"adapters/{name}/adapter_model.safetensors" for name in strategy.adapter_names]
    return [name for name in expected if not (artifact / name).is_file()]


def run_pretraining(
    cfg: DictConfig, strategy: Strategy, tokenizer: PreTrainedTokenizerBase, run_dir: Path, repo_dir: Path
) -> Path:
    """Return the artifact folder of this configuration, training it first unless a complete one exists."""
    check_objectives(cfg, strategy)
    target = artifact_dir(cfg)
    if (target / MANIFEST).is_file():
        missing = missing_artifact_files(target, strategy)
        if not missing:
            log.info("Reusing pre-finetuning artifact %s", target)
            _record_in_run(target, run_dir, strategy)
            return target
        log.warning("Pre-finetuning artifact %s lacks %s; training it again", target, missing)

    started = time.perf_counter()
    log.info("Pre-finetuning (%s) starts: %d steps, families %s", strategy.name, cfg.pretrain.max_steps, strategy.families)
    backbone = load_backbone(cfg.backbone, seed=cfg.seed)
    lora = build_lora_config(cfg.adapter, backbone.config.num_hidden_layers) if strategy.adapter_names else None
    encoder = AdaptedEncoder(backbone, strategy.adapter_names, lora)

    datamodule = PretrainDataModule(
        cfg.pretrain, list(strategy.families), tokenizer, Path(cfg.paths.data_dir), Path(cfg.paths.cache_dir), cfg.seed
    )
    datamodule.setup("fit")
    module = PretrainModule(encoder, strategy, cfg.pretrain, num_silver_tags=max(1, len(datamodule.silver_tags)))

    tags = [f"strategy:{strategy.name}", f"seed:{cfg.seed}", f"mixing:{cfg.pretrain.mixing}"]
    loggers = build_loggers(cfg, run_dir, f"pretrain-{strategy.name}", "pretrain", tags)
    try:
        trainer = pl.Trainer(
            **cfg.trainer, max_steps=cfg.pretrain.max_steps, logger=loggers, enable_checkpointing=False,
            default_root_dir=str(run_dir),
        )
        trainer.fit(module, datamodule=datamodule)
    finally:
        finish_loggers(loggers)

    seconds = time.perf_counter() - started
    _save_artifact(target, encoder, tokenizer, cfg, strategy, datamodule, module, seconds, repo_dir)
    log.info("Pre-finetuning done in %.0f s; steps per family %s; artifact %s", seconds, dict(module.steps_per_family), target)
    _record_in_run(target, run_dir, strategy)
    return target


def _record_in_run(artifact: Path, run_dir: Path, strategy: Strategy) -> None:
    """Copy the artifact's manifest and diagnostics into the run folder, where result tables read them."""
    destination = run_dir / "pretrain" / strategy.name
    destination.mkdir(parents=True, exist_ok=True)
    for name in (MANIFEST, DIAGNOSTICS):
        if (artifact / name).is_file():
            shutil.copyfile(artifact / name, destination / name)


def _save_artifact(target, encoder, tokenizer, cfg, strategy, datamodule, module, seconds, repo_dir) -> None:
    # Written into a temporary folder and renamed at the end, so a crash never leaves an artifact
    # that looks complete.
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    encoder.save_backbone(partial / "backbone")
    tokenizer.save_pretrained(partial / "backbone")
    if strategy.adapter_names:
        encoder.save_adapters(partial / "adapters")
        (partial / "adapters" / "README.md").unlink(missing_ok=True)  # peft's generated model card

    manifest = {
        "strategy": strategy.name,
        "families": list(strategy.families),
        "adapters": strategy.adapters,
        "adapted_layers": list(build_lora_config(cfg.adapter, encoder.num_hidden_layers).layers_to_transform),
        "backbone": cfg.backbone.name,
        "silver_tags": datamodule.silver_tags,
        "data_sizes": {family: len(features) for family, features in datamodule.features.items()},
        "mixing": cfg.pretrain.mixing,
        "loss_weights": dict(cfg.pretrain.loss_weights),
        "steps_per_family": dict(module.steps_per_family),
        "seed": cfg.seed,
        "seconds": round(seconds, 1),
        "diagnostics": {
            "every_n_steps": module.diagnostics_every,
            "measurements": len(module.diagnostics_history),
            "seconds": round(module.diagnostics_seconds, 1),
        },
        "precision": str(cfg.trainer.precision),
        "config_hash": pretrain_key(cfg),
        "config": OmegaConf.to_container(cfg.pretrain, resolve=True),
        "git_commit": git_commit(repo_dir),
        "packages": package_versions(),
    }
    write_json(partial / MANIFEST, manifest)
    if module.diagnostics_history:
        diagnostics = {"strategy": strategy.name, "seed": cfg.seed, "config_hash": pretrain_key(cfg), "steps": module.diagnostics_history}
        write_json(partial / DIAGNOSTICS, diagnostics)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)


def read_manifest(artifact: Path) -> dict:
    return json.loads((artifact / MANIFEST).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class StartPoint:
    """The pre-finetuning result that the downstream tasks of one family start from."""

    artifact: Path
    pretrain_key: str
    # Adapter of the artifact that initialises each task's LoRA (None: a fresh LoRA).
    adapter: str | None


def source_config(cfg: DictConfig, strategy_name: str) -> DictConfig:
    """Return a copy of ``cfg`` with ``pretrain.strategy`` replaced, for composite strategies."""
    source = cfg.copy()
    with open_dict(source):
        source.pretrain.strategy = strategy_name
    return source


def start_points(
    cfg: DictConfig, strategy: Strategy, tokenizer: PreTrainedTokenizerBase, run_dir: Path, repo_dir: Path
) -> dict[str, StartPoint]:
    """Run (or reuse) the pre-finetuning that ``strategy`` needs and return each family's start point.

    A strategy without pre-finetuning returns ``{}``. A composite strategy such as ``individual``
    pre-finetunes one artifact per source strategy; they share the cache with the source rows.
    """
    if strategy.sources:
        points = {}
        for family, source_name in strategy.sources.items():
            source_cfg = source_config(cfg, source_name)
            source = get_strategy(source_name)
            artifact = run_pretraining(source_cfg, source, tokenizer, run_dir, repo_dir)
            points[family] = StartPoint(artifact, pretrain_key(source_cfg), source.adapters.get(family))
        return points
    if not strategy.families:
        return {}
    artifact = run_pretraining(cfg, strategy, tokenizer, run_dir, repo_dir)
    key = pretrain_key(cfg)
    return {family: StartPoint(artifact, key, strategy.adapters.get(family)) for family in FAMILIES}
