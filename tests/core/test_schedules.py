"""Schedules: Keras-equivalent curves, numpy previews, configs, mid-run edits."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from workbench.core import schedule_math
from workbench.core.errors import ConfigError
from workbench.core.schedules import SCHEDULES, make_schedule

STEPS = np.arange(0, 5000, 7)


def _values(schedule, steps=STEPS):
    return np.array([float(schedule(int(s))) for s in steps])


def test_staircase_drops_every_decay_steps():
    ours = make_schedule("staircase", {"initial_lr": 0.01, "decay_steps": 300, "decay_rate": 0.5})
    keras_ref = keras.optimizers.schedules.ExponentialDecay(0.01, 300, 0.5, staircase=True)
    np.testing.assert_array_equal(_values(ours), _values(keras_ref))
    assert float(ours(299)) == pytest.approx(0.01) and float(ours(300)) == pytest.approx(0.005)


@pytest.mark.parametrize("family, params, reference", [
    ("exponential", dict(initial_lr=0.01, decay_steps=300, decay_rate=0.5),
     keras.optimizers.schedules.ExponentialDecay(0.01, 300, 0.5)),
    ("piecewise", dict(boundaries=[100, 900], values=[0.1, 0.01, 0.001]),
     keras.optimizers.schedules.PiecewiseConstantDecay([100, 900], [0.1, 0.01, 0.001])),
    ("cosine", dict(initial_lr=0.01, decay_steps=2000, alpha=0.1, warmup_steps=300),
     keras.optimizers.schedules.CosineDecay(0.0, 2000, 0.1, warmup_target=0.01, warmup_steps=300)),
    ("cosine_restarts", dict(initial_lr=0.01, first_decay_steps=400, t_mul=2.0, m_mul=0.8, alpha=0.05),
     keras.optimizers.schedules.CosineDecayRestarts(0.01, 400, 2.0, 0.8, 0.05)),
    ("cosine_restarts", dict(initial_lr=0.01, first_decay_steps=400, t_mul=1.0, m_mul=0.8, alpha=0.0),
     keras.optimizers.schedules.CosineDecayRestarts(0.01, 400, 1.0, 0.8, 0.0)),
    ("polynomial", dict(initial_lr=0.01, decay_steps=3000, end_lr=0.001, power=2.0),
     keras.optimizers.schedules.PolynomialDecay(0.01, 3000, 0.001, power=2.0)),
])
def test_families_match_keras_built_ins(family, params, reference):
    np.testing.assert_allclose(_values(make_schedule(family, params)), _values(reference), rtol=2e-5, atol=1e-9)


def test_one_cycle_rises_to_max_then_falls_to_its_floor():
    lr = make_schedule("one_cycle", {"max_lr": 0.01, "total_steps": 1000, "pct_start": 0.3,
                                     "div_factor": 25.0, "final_div_factor": 100.0})
    values = _values(lr, np.arange(0, 1001))
    assert values[0] == pytest.approx(0.01 / 25)
    assert values.argmax() == 300 and values.max() == pytest.approx(0.01)
    assert values[-1] == pytest.approx(0.01 / 2500, rel=1e-4)
    assert np.all(np.diff(values[:300]) > 0) and np.all(np.diff(values[301:]) <= 0)


@pytest.mark.parametrize("family", sorted(SCHEDULES))
def test_numpy_preview_is_the_same_curve(family):
    schedule = SCHEDULES[family]()
    traced = _values(schedule)
    # float32 in the graph vs float64 in numpy: tiny rates differ by rounding only.
    np.testing.assert_allclose(schedule.preview(STEPS), traced, rtol=2e-5, atol=1e-6 * traced.max())


@pytest.mark.parametrize("family", sorted(SCHEDULES))
def test_config_round_trips(family):
    schedule = SCHEDULES[family]()
    config = keras.optimizers.schedules.serialize(schedule)
    clone = keras.optimizers.schedules.deserialize(config)
    assert type(clone) is type(schedule)
    assert clone.get_config() == schedule.get_config() == schedule_math.FAMILIES[family].defaults()


def test_update_takes_effect_without_retracing():
    schedule = make_schedule("staircase", {"initial_lr": 0.01, "decay_steps": 10, "decay_rate": 0.5})

    @tf.function
    def lr_at(step):
        return schedule(step)

    assert float(lr_at(tf.constant(25))) == pytest.approx(0.0025)
    schedule.update(decay_steps=5, initial_lr=0.1)
    assert float(lr_at(tf.constant(25))) == pytest.approx(0.1 * 0.5**5)
    assert lr_at.experimental_get_tracing_count() == 1
    assert schedule.get_config() == {"initial_lr": 0.1, "decay_steps": 5, "decay_rate": 0.5}


@pytest.mark.parametrize("family, params, message", [
    ("staircase", {"decay_steps": 0}, "schedule.decay_steps must be a positive integer, got 0"),
    ("staircase", {"decay_steps": 2.5}, "schedule.decay_steps must be a positive integer, got 2.5"),
    ("staircase", {"initial_lr": -1.0}, "schedule.initial_lr must be a positive number no larger than 10, got -1.0"),
    ("staircase", {"initial_lr": float("nan")}, "schedule.initial_lr must be a positive number"),
    ("staircase", {"initial_lr": 1e9}, "schedule.initial_lr must be a positive number no larger than 10"),
    ("staircase", {"decay_rate": 1.5}, "schedule.decay_rate must be a number in (0, 1], got 1.5"),
    ("staircase", {"decay_rate": "fast"}, "schedule.decay_rate must be a number in (0, 1], got 'fast'"),
    ("staircase", {"alpha": 0.1}, "schedule.alpha is not a parameter of the staircase schedule"),
    ("piecewise", {"boundaries": [5, 3]}, "schedule.boundaries must be a list of increasing positive integers"),
    ("piecewise", {"boundaries": [5], "values": [0.1]}, "schedule.values must have one more entry than boundaries"),
    ("nonsense", {}, "schedule.family must be one of staircase, exponential"),
])
def test_bad_parameters_name_the_field_and_rule(family, params, message):
    with pytest.raises(ConfigError) as info:
        schedule_math.validate(family, params)
    assert str(info.value).startswith(message)


def test_rejected_update_changes_nothing():
    schedule = make_schedule("piecewise", {"boundaries": [10, 20], "values": [0.3, 0.2, 0.1]})
    with pytest.raises(ConfigError, match="cannot change length during a run"):
        schedule.update(boundaries=[10, 20, 30], values=[0.3, 0.2, 0.1, 0.05])
    with pytest.raises(ConfigError):
        schedule.update(values=[0.3, -1.0, 0.1])
    assert schedule.params == {"boundaries": [10, 20], "values": [0.3, 0.2, 0.1]}
    assert float(schedule(15)) == pytest.approx(0.2)
