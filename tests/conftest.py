"""Shared fixtures: tiny, fast configurations on the real offline digits."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from workbench.core.config import RunConfig


@pytest.fixture
def tiny_config():
    """The default run, cut to a few dozen steps with a staircase that drops every 20."""
    return RunConfig().with_overrides({
        "training.steps": 60,
        "schedule.decay_steps": 20,
        "schedule.decay_rate": 0.5,
    })
