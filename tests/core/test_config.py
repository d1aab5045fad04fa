"""Run configs: defaults, TOML round trips, overrides and field-named errors."""

import pytest

from workbench.core.config import RunConfig
from workbench.core.errors import ConfigError


def test_defaults_are_the_seeds_run():
    config = RunConfig()
    assert config.data.dataset == "digits" and config.model.name == "mlp"
    assert config.schedule.family == "staircase"
    assert config.schedule.params == {"initial_lr": 0.001, "decay_steps": 1000, "decay_rate": 0.1}


def test_toml_round_trip(tmp_path):
    config = RunConfig().with_overrides({
        "schedule.family": "piecewise", "schedule.boundaries": [10, 20], "schedule.values": [0.1, 0.01, 0.001],
        "training.deterministic": True, "data.dataset": 'my "quoted" data.npz'})
    config.save(tmp_path / "run.toml")
    assert RunConfig.load(tmp_path / "run.toml") == config


def test_changing_family_drops_the_old_parameters():
    config = RunConfig().with_overrides({"schedule.family": "cosine", "schedule.warmup_steps": 10})
    assert config.schedule.params == {"initial_lr": 0.001, "decay_steps": 3000, "alpha": 0.0, "warmup_steps": 10}


@pytest.mark.parametrize("toml, message", [
    ("[data]\nbatch_size = 0\n", "data.batch_size must be a positive integer, got 0"),
    ("[data]\nbatch_size = \"big\"\n", "data.batch_size must be a positive integer, got 'big'"),
    ("[data]\nvalidation_split = 0.95\n", "data.validation_split must be a number in [0, 0.9), got 0.95"),
    ("[data]\nshuffle = true\n", "data.shuffle is not a known setting"),
    ("[model]\nname = \"resnet\"\n", "model.name must be one of mlp, cnn, a path to a .py plugin, got 'resnet'"),
    ("[schedule]\ndecay_steps = -3\n", "schedule.decay_steps must be a positive integer, got -3"),
    ("[training]\nsteps = 0\nepochs = 0\n", "training.steps must be positive when training.epochs is 0"),
    ("[training]\ndeterministic = \"yes\"\n", "training.deterministic must be true or false, got 'yes'"),
    ("[trainig]\nsteps = 5\n", "trainig is not a known setting"),
    ("data = 5\n", "data must be a table ([data]), got 5"),
])
def test_bad_files_name_the_field_and_rule(tmp_path, toml, message):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        RunConfig.load(path)
    assert str(info.value).startswith(message)


def test_toml_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[schedule]\ndecay_steps = = 3\n")
    with pytest.raises(ConfigError, match=r"broken.toml is not valid TOML: .*line 2"):
        RunConfig.load(path)


def test_saving_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "run.toml"
    RunConfig().save(path)
    before = path.read_text()

    def explode(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(RunConfig, "to_toml", explode)
    with pytest.raises(RuntimeError):
        RunConfig().with_overrides({"training.steps": 5}).save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.toml"]
