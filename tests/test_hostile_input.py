"""Hostile input, table-driven: each case exits 2 with one line naming the field or file and the rule."""

import numpy as np
import pytest

from workbench.cli import main


def write(name, content):
    def make(tmp):
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif callable(content):
            content(path)
        else:
            path.write_text(content)
        return str(path)
    return make


def npz(**arrays):
    return lambda path: np.savez(path, **arrays)


def folder_without_run(tmp):
    (tmp / "empty").mkdir()
    return str(tmp / "empty")


CASES = [
    # schedule values: zero, negative, NaN, huge, not a number
    ("zero decay steps", ["train", "--decay-steps", "0"], "schedule.decay_steps must be a positive integer, got 0"),
    ("negative lr", ["train", "--initial-lr", "-0.1"], "schedule.initial_lr must be a positive number"),
    ("nan lr", ["train", "--initial-lr", "nan"], "schedule.initial_lr must be a positive number"),
    ("huge lr", ["train", "--initial-lr", "1e9"], "schedule.initial_lr must be a positive number no larger than 10"),
    ("huge steps", ["train", "--decay-steps", "1e12"], "schedule.decay_steps must be a positive integer"),
    ("text in a number", ["train", "--batch-size", "ten"], "data.batch_size must be a positive integer, got 'ten'"),
    ("rate above one", ["train", "--decay-rate", "2"], "schedule.decay_rate must be a number in (0, 1], got 2"),
    # config files
    ("toml syntax", ["train", "--config", write("a.toml", "[schedule\n")], "a.toml is not valid TOML"),
    ("unknown key", ["train", "--config", write("b.toml", "[training]\nspeed = 3\n")],
     "training.speed is not a known setting"),
    ("wrong type", ["train", "--config", write("c.toml", "[training]\nsteps = \"many\"\n")],
     "training.steps must be a non-negative integer"),
    ("missing config", ["train", "--config", "nowhere.toml"], "nowhere.toml does not exist"),
    # datasets
    ("missing dataset", ["train", "--dataset", "gone.npz"], "data.dataset: gone.npz is neither a built-in dataset"),
    ("corrupt npz", ["train", "--dataset", write("bad.npz", b"PK\x03\x04garbage")], "is not a readable .npz file"),
    ("empty csv", ["train", "--dataset", write("empty.csv", "")], "must have rows of a label"),
    ("wrong shape", ["train", "--dataset", write("flat.npz", npz(x_train=np.zeros(10), y_train=np.zeros(10)))],
     "x_train must have shape (N, features) or (N, H, W[, C])"),
    ("labels out of range", ["train", "--dataset", write("neg.npz", npz(x_train=np.zeros((4, 3, 3)),
                                                                        y_train=np.array([0, 1, -2, 1])))],
     "y_train must hold labels between 0 and 65535"),
    ("fractional labels", ["train", "--dataset", write("frac.npz", npz(x_train=np.zeros((3, 3, 3)),
                                                                       y_train=np.array([0, 1.5, 1])))],
     "y_train must be a vector of integer class labels"),
    ("cnn on flat rows", ["train", "--model", "cnn", "--dataset",
                          write("rows.csv", "0,1,2,3\n1,3,2,1\n0,0,0,1\n")],
     "model.name cnn needs image data of shape (height, width, channels)"),
    ("unknown model", ["train", "--model", "resnet"], "model.name must be one of mlp, cnn, a path to a .py plugin"),
    ("missing plugin", ["train", "--model", "missing.py"], "missing.py does not exist (a plugin is a .py file"),
    ("plugin raises on import", ["train", "--model", write("boom.py", "import keras\n\nraise RuntimeError('no')\n")],
     "boom.py:3: RuntimeError: no"),
    ("plugin syntax error", ["train", "--model", write("syntax.py", "def build_model(:\n")],
     "syntax.py:1: SyntaxError"),
    ("plugin without build_model", ["train", "--model", write("empty.py", "x = 1\n")],
     "must define build_model(input_shape, num_classes)"),
    ("plugin returns the wrong type", ["train", "--model", write("wrong.py", "def build_model(s, n):\n    return 42\n")],
     "build_model must return a keras.Model, got int"),
    # run folders
    ("resume a non-run", ["train", "--resume", folder_without_run],
     "is not a run folder (no config.toml or history.csv)"),
    ("export a non-run", ["export", folder_without_run], "is not a run folder"),
    ("plot a non-run", ["plot", folder_without_run, "--to", "x.png"], "is not a run folder"),
    ("plot to a bad suffix", ["plot", folder_without_run, "--to", "x.jpg"], "is not a run folder"),
]


@pytest.mark.parametrize("name, args, message", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_clear_line(name, args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = [a(tmp_path) if callable(a) else a for a in args]
    if argv[0] == "train" and "--resume" not in argv:
        argv += ["--quiet", "--steps", "2", "--out", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("workbench: error: ") and message in err[0]
    assert "Traceback" not in err[0]


def test_a_bad_resume_keeps_the_run_as_it_was(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["train", "--quiet", "--steps", "30", "--out", str(run_dir)]) == 0
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    assert main(["train", "--resume", str(run_dir), "--decay-rate", "0.5"]) == 2
    assert "cannot change schedule.decay_rate of a run" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
