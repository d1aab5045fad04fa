"""The configuration of one run: dataclasses, validation, TOML load and save.

Every value is checked here, with a message that names the field and the rule
(``schedule.decay_steps must be a positive integer, got 0``), so the CLI, the
window and the training run all see the same rules.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import schedule_math
from .errors import ConfigError
from .files import atomic_write_text

MODELS = ("mlp", "cnn")
OPTIMIZERS = ("rmsprop", "adam", "sgd")
COLOR_MODES = ("grayscale", "rgb")
NAN_POLICIES = ("stop", "rollback", "pause")
STRATEGIES = ("default", "mirrored", "multiworker")


@dataclass
class DataConfig:
    dataset: str = "digits"  # digits | mnist | path to .npz, .csv or an image folder
    validation_split: float = 0.1
    batch_size: int = 64
    image_size: list = field(default_factory=lambda: [28, 28])  # image folders only
    color_mode: str = "grayscale"  # image folders only


@dataclass
class ModelConfig:
    name: str = "mlp"  # mlp | cnn | path/to/your_step.py (see workbench.core.plugins)
    optimizer: str = "rmsprop"


@dataclass
class ScheduleConfig:
    family: str = "staircase"
    params: dict = field(default_factory=lambda: schedule_math.FAMILIES["staircase"].defaults())


@dataclass
class StepConfig:
    """Step options of the built-in model: the seed's other reasons for a custom step."""

    clip_norm: float = 0.0  # clip gradients to this global norm; 0: off
    l2: float = 0.0  # weight of an extra L2 penalty on the kernels; 0: off
    frozen: list = field(default_factory=list)  # layer names whose weights stay as they are
    top3_accuracy: bool = False  # an extra metric computed in the step
    plateau_patience: int = 0  # epochs without a better val_loss before the LR drops; 0: off
    plateau_factor: float = 0.5  # what the LR is multiplied by then


@dataclass
class TrainingConfig:
    epochs: int = 0  # 0: as many epochs as `steps` needs
    steps: int = 3000  # 0: no limit, run `epochs` epochs
    seed: int = 42
    deterministic: bool = False
    checkpoint_steps: int = 500  # 0: not by steps
    checkpoint_seconds: int = 60  # 0: not by time
    on_nan: str = "stop"  # stop | rollback (last checkpoint, LR x0.1) | pause (the window asks)
    nan_retries: int = 3  # rollbacks allowed before giving up
    strategy: str = "default"  # default | mirrored (all local GPUs, else CPUs) | multiworker (TF_CONFIG)
    steps_per_execution: int = 1  # fast mode: batches per call; every step is still recorded


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    step: StepConfig = field(default_factory=StepConfig)

    def to_dict(self) -> dict:
        """Plain nested dict in the TOML layout (schedule parameters inline)."""
        return {
            "data": dataclasses.asdict(self.data),
            "model": dataclasses.asdict(self.model),
            "schedule": {"family": self.schedule.family, **self.schedule.params},
            "training": dataclasses.asdict(self.training),
            "step": dataclasses.asdict(self.step),
        }

    @classmethod
    def from_dict(cls, raw: dict) -> "RunConfig":
        """Build and validate a config; missing values take their defaults."""
        if not isinstance(raw, dict):
            raise ConfigError("config", "must be a table of sections", raw)
        names = ("data", "model", "schedule", "training", "step")
        _reject_unknown(raw, names, "")
        sections = {name: _section(raw, name) for name in names}
        return cls(
            data=_data(sections["data"]),
            model=_model(sections["model"]),
            schedule=_schedule(sections["schedule"]),
            training=_training(sections["training"]),
            step=_step(sections["step"]),
        )

    def with_overrides(self, overrides: dict) -> "RunConfig":
        """A new config with ``{"section.key": value}`` overrides applied and validated.

        Changing ``schedule.family`` drops the old family's parameters.
        """
        raw = self.to_dict()
        for dotted, value in overrides.items():
            section, key = dotted.split(".", 1)
            if dotted == "schedule.family" and value != raw["schedule"]["family"]:
                raw["schedule"] = {"family": value}
            raw.setdefault(section, {})[key] = value
        return RunConfig.from_dict(raw)

    def to_toml(self) -> str:
        return dumps_toml(self.to_dict())

    def save(self, path) -> None:
        atomic_write_text(Path(path), self.to_toml())

    @classmethod
    def load(cls, path) -> "RunConfig":
        return cls.from_dict(read_toml(path))


def parse_value(text):
    """Text a person typed (a form field, a command-line flag) as int, float, comma list or string.

    The config's validation then names the field and the rule if the value does not fit.
    """
    if not isinstance(text, str):
        return text
    text = text.strip()
    if "," in text:
        return [parse_value(part) for part in text.split(",") if part.strip()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_toml(path) -> dict:
    """Parse a TOML file; problems become a ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "does not exist", show_got=False) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read ({exc})", show_got=False) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"is not valid TOML: {exc}", show_got=False) from None


def _section(raw, name):
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(name, "must be a table ([" + name + "])", value)
    return value


def _reject_unknown(section: dict, known, prefix: str):
    for key in section:
        if key not in known:
            where = f"{prefix}.{key}" if prefix else key
            raise ConfigError(where, f"is not a known setting (known: {', '.join(known)})", show_got=False)


def _int(value, where, low, rule):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(where, rule, value)
    return value


def _choice(value, where, choices):
    if value not in choices:
        raise ConfigError(where, f"must be one of {', '.join(choices)}", value)
    return value


def _data(raw) -> DataConfig:
    _reject_unknown(raw, [f.name for f in dataclasses.fields(DataConfig)], "data")
    cfg = DataConfig(**raw)
    if not isinstance(cfg.dataset, str) or not cfg.dataset.strip():
        raise ConfigError("data.dataset", "must be digits, mnist or a path to a dataset", cfg.dataset)
    split = cfg.validation_split
    if isinstance(split, bool) or not isinstance(split, (int, float)) or not 0 <= split < 0.9 or math.isnan(split):
        raise ConfigError("data.validation_split", "must be a number in [0, 0.9)", split)
    cfg.validation_split = float(split)
    _int(cfg.batch_size, "data.batch_size", 1, "must be a positive integer")
    if cfg.batch_size > 65536:
        raise ConfigError("data.batch_size", "must be at most 65536", cfg.batch_size)
    size = cfg.image_size
    if not (isinstance(size, list) and len(size) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4096 for v in size)):
        raise ConfigError("data.image_size", "must be two integers [height, width] between 1 and 4096", size)
    _choice(cfg.color_mode, "data.color_mode", COLOR_MODES)
    return cfg


def _model(raw) -> ModelConfig:
    _reject_unknown(raw, [f.name for f in dataclasses.fields(ModelConfig)], "model")
    cfg = ModelConfig(**raw)
    if not (isinstance(cfg.name, str) and cfg.name.endswith(".py")):  # a .py file is a plugin
        _choice(cfg.name, "model.name", MODELS + ("a path to a .py plugin",))
    _choice(cfg.optimizer, "model.optimizer", OPTIMIZERS)
    return cfg


def _schedule(raw) -> ScheduleConfig:
    raw = dict(raw)
    family = raw.pop("family", "staircase")
    return ScheduleConfig(family=family, params=schedule_math.validate(family, raw))


def _training(raw) -> TrainingConfig:
    _reject_unknown(raw, [f.name for f in dataclasses.fields(TrainingConfig)], "training")
    cfg = TrainingConfig(**raw)
    _int(cfg.epochs, "training.epochs", 0, "must be a non-negative integer (0: as many as steps needs)")
    _int(cfg.steps, "training.steps", 0, "must be a non-negative integer (0: no limit)")
    if cfg.epochs == 0 and cfg.steps == 0:
        raise ConfigError("training.steps", "must be positive when training.epochs is 0", 0)
    _int(cfg.seed, "training.seed", 0, "must be a non-negative integer")
    if not isinstance(cfg.deterministic, bool):
        raise ConfigError("training.deterministic", "must be true or false", cfg.deterministic)
    _int(cfg.checkpoint_steps, "training.checkpoint_steps", 0, "must be a non-negative integer (0: off)")
    _int(cfg.checkpoint_seconds, "training.checkpoint_seconds", 0, "must be a non-negative integer (0: off)")
    _choice(cfg.on_nan, "training.on_nan", NAN_POLICIES)
    _int(cfg.nan_retries, "training.nan_retries", 0, "must be a non-negative integer")
    _choice(cfg.strategy, "training.strategy", STRATEGIES)
    _int(cfg.steps_per_execution, "training.steps_per_execution", 1, "must be a positive integer")
    if cfg.steps_per_execution > 1000:
        raise ConfigError("training.steps_per_execution", "must be at most 1000", cfg.steps_per_execution)
    if cfg.steps_per_execution > 1 and cfg.strategy != "default":
        raise ConfigError("training.steps_per_execution", "above 1 needs training.strategy = \"default\"",
                          cfg.steps_per_execution)
    return cfg


def _number(value, where, low, high, rule):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(where, rule, value)
    return float(value)


def _step(raw) -> StepConfig:
    _reject_unknown(raw, [f.name for f in dataclasses.fields(StepConfig)], "step")
    cfg = StepConfig(**raw)
    cfg.clip_norm = _number(cfg.clip_norm, "step.clip_norm", 0, 1e6, "must be a number from 0 (off) to 1e6")
    cfg.l2 = _number(cfg.l2, "step.l2", 0, 1, "must be a number from 0 (off) to 1")
    if not isinstance(cfg.frozen, list) or not all(isinstance(n, str) for n in cfg.frozen):
        raise ConfigError("step.frozen", "must be a list of layer names", cfg.frozen)
    if not isinstance(cfg.top3_accuracy, bool):
        raise ConfigError("step.top3_accuracy", "must be true or false", cfg.top3_accuracy)
    _int(cfg.plateau_patience, "step.plateau_patience", 0, "must be a non-negative integer (0: off)")
    cfg.plateau_factor = _number(cfg.plateau_factor, "step.plateau_factor", 1e-6, 1,
                                 "must be a number in (0, 1]")
    return cfg


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps_toml(tables: dict) -> str:
    """Write a dict of flat tables as TOML (the subset configs use)."""
    lines = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
        lines.append("")
    return "\n".join(lines)
