"""Command line: ``workbench`` opens the window; ``workbench train`` runs headless.

Exit codes: 0 done; 2 bad input (one line on stderr naming the field and the
rule); 1 a failure during the run (whatever was trained so far is saved);
130 interrupted with Ctrl+C (also saved).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# Before TensorFlow loads: keep its C++ start-up chatter off the terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .core import schedule_math
from .core.config import RunConfig, parse_value
from .core.errors import ConfigError, RunFailed, WorkbenchError
from .core.progress import TerminalProgress

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags as one line and exit code 2."""

    def error(self, message):
        raise ConfigError("command line", message, show_got=False)


def _schedule_flags() -> dict[str, str]:
    """``--initial-lr`` → ``initial_lr`` for every parameter of every family."""
    names = {p.name for fam in schedule_math.FAMILIES.values() for p in fam.params}
    return {"--" + name.replace("_", "-"): name for name in sorted(names)}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workbench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the desktop window (the default)")
    gui.add_argument("--config", help="a run config (TOML) to open")

    train = sub.add_parser("train", help="train headless and write a run folder")
    train.add_argument("--config", help="a run config (TOML); flags override it")
    train.add_argument("--out", help="run folder to write (default: runs/<date-time>)")
    train.add_argument("--resume", metavar="RUN_DIR",
                       help="continue RUN_DIR from its last checkpoint (--steps/--epochs may extend it)")
    # Values are read as text and checked by the config, so messages name the field.
    settings = {
        "--dataset": "data.dataset", "--validation-split": "data.validation_split",
        "--batch-size": "data.batch_size", "--model": "model.name", "--optimizer": "model.optimizer",
        "--schedule": "schedule.family", "--epochs": "training.epochs", "--steps": "training.steps",
        "--seed": "training.seed", "--checkpoint-steps": "training.checkpoint_steps",
        "--checkpoint-seconds": "training.checkpoint_seconds", "--on-nan": "training.on_nan",
        "--nan-retries": "training.nan_retries", "--strategy": "training.strategy",
    }
    for flag, field in settings.items():
        train.add_argument(flag, dest=field, metavar=field.split(".")[1].upper(), help=f"sets {field}")
    for flag, name in _schedule_flags().items():
        train.add_argument(flag, dest=f"schedule.{name}", metavar="VALUE",
                           help=f"schedule parameter {name} (lists: comma-separated)")
    train.add_argument("--deterministic", dest="training.deterministic", action=argparse.BooleanOptionalAction,
                       default=None, help="deterministic ops (same seed → same history)")
    train.add_argument("--quiet", action="store_true", help="no progress output")

    export = sub.add_parser("export", help="export a run's trained model")
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument("--format", default="keras", help="keras | savedmodel | tflite | weights")
    export.add_argument("--to", help="where to write (default: RUN_DIR/export/…)")

    finder = sub.add_parser("find-lr", help="LR range finder: sweep the rate, suggest a starting LR")
    finder.add_argument("--config", help="a run config (TOML); its data, model and optimizer are used")
    finder.add_argument("--start", default="1e-7")
    finder.add_argument("--end", default="10")
    finder.add_argument("--steps", default="100")
    finder.add_argument("--csv", help="write lr, loss, smoothed loss per step here")
    finder.add_argument("--plot", help="write the loss-vs-LR plot here (.png or .svg)")

    compare = sub.add_parser("compare", help="compare run folders: a table of final figures, an overlay plot")
    compare.add_argument("run_dirs", metavar="RUN_DIR", nargs="+")
    compare.add_argument("--plot", help="write the overlay of LR and loss here (.png or .svg)")

    plot = sub.add_parser("plot", help="render a run's plots to PNG or SVG (headless)")
    plot.add_argument("run_dir", metavar="RUN_DIR")
    plot.add_argument("--to", required=True, help="FILE.png or FILE.svg")
    plot.add_argument("--plot", default="training", help="training (LR and loss) | metrics")
    plot.add_argument("--width", default="1200")
    plot.add_argument("--height", default="700")
    plot.add_argument("--dpi", default="96")
    plot.add_argument("--csv", help="also write the plotted data to this CSV file")
    return parser


RESUMABLE_OVERRIDES = {"training.steps", "training.epochs", "training.on_nan", "training.nan_retries",
                       "training.checkpoint_steps", "training.checkpoint_seconds"}


def resolve_config(args) -> RunConfig:
    """The config file (or defaults, or the resumed run's) with the command line's overrides applied."""
    overrides = {k: parse_value(v) for k, v in vars(args).items() if "." in k and v is not None}
    if getattr(args, "resume", None):
        if args.config or args.out:
            raise ConfigError("--resume", "continues a run folder as it was; it cannot take --config or --out",
                              show_got=False)
        fixed = sorted(set(overrides) - RESUMABLE_OVERRIDES)
        if fixed:
            raise ConfigError("--resume", f"cannot change {fixed[0]} of a run (only steps, epochs, "
                              "checkpoints and the NaN policy)", show_got=False)
        from .core.runs import open_run

        config = open_run(args.resume).config
    else:
        config = RunConfig.load(args.config) if args.config else RunConfig()
    return config.with_overrides(overrides) if overrides else config


class _Interrupts:
    """First Ctrl+C: stop at the next batch and save (exit 130). A second one: stop at once."""

    def __init__(self, control):
        import signal

        self.control, self.signal, self.count = control, signal, 0
        self.previous = signal.signal(signal.SIGINT, self._on_interrupt)

    def _on_interrupt(self, signum, frame):
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt
        print("\nworkbench: stopping after this batch and saving (Ctrl+C again to quit now)", file=sys.stderr)
        self.control.stop()

    def restore(self):
        self.signal.signal(self.signal.SIGINT, self.previous)


def _train(args) -> int:
    from .core.control import RunControl
    from .core.session import run

    config = resolve_config(args)
    out = Path(args.resume or args.out or Path("runs") / time.strftime("%Y%m%d-%H%M%S"))
    progress = TerminalProgress(sys.stderr, quiet=args.quiet)
    if config.training.on_nan == "pause":  # a window's run: headless, nobody would answer the pause
        print('workbench: training.on_nan = "pause" needs the window; headless it stops at a NaN '
              '(or pass --on-nan rollback)', file=sys.stderr)
        config = config.with_overrides({"training.on_nan": "stop"})
    if args.resume:
        config.save(out / "config.toml")  # the extended steps, if any, are part of the run now
    control = RunControl()
    interrupts = _Interrupts(control)
    try:
        result = run(config, control, reporter=progress, out_dir=out, resume=bool(args.resume))
    except RunFailed as exc:
        progress.finish()
        print(f"workbench: run failed: {exc}\nworkbench: partial results saved in {out}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        progress.finish()
        print(f"\nworkbench: interrupted; saved up to the last checkpoint in {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        interrupts.restore()
    progress.finish()
    if interrupts.count:
        print(f"workbench: interrupted at step {result.summary['steps']}; saved in {out} "
              f"(continue with: workbench train --resume {out})", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(progress.summary_line(result.summary, out))
    return EXIT_OK


def _export(args) -> int:
    from .core.export import FORMATS, default_path, export_model
    from .core.runs import open_run

    if args.format not in FORMATS:
        raise ConfigError("--format", f"must be one of {', '.join(FORMATS)}", args.format)
    folder = open_run(args.run_dir)
    path = Path(args.to) if args.to else default_path(folder.path, args.format)
    written = export_model(folder.load_model(), args.format, path, metadata=folder.metadata())
    print(f"exported {args.format} → {written}")
    return EXIT_OK


def _plot(args) -> int:
    from . import figures
    from .core.runs import open_run

    folder = open_run(args.run_dir)
    sizes = {}
    for name in ("width", "height", "dpi"):
        value = parse_value(getattr(args, name))
        sizes[name] = value
    title = f"{folder.path.name}: {folder.config.schedule.family} " + ", ".join(
        f"{k}={v}" for k, v in folder.config.schedule.params.items())
    written = figures.render(folder.history, args.plot, args.to, events=folder.events, epochs=folder.epochs,
                             title=title, **sizes)
    print(f"plot → {written}")
    if args.csv:
        print(f"data → {figures.save_plot_data_csv(folder.history, args.csv, folder.epochs)}")
    return EXIT_OK


def _find_lr(args) -> int:
    from .core.lr_finder import find_lr

    config = RunConfig.load(args.config) if args.config else RunConfig()
    numbers = {name: parse_value(getattr(args, name)) for name in ("start", "end", "steps")}
    for name, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"--{name}", "must be a number", value)
    result = find_lr(config, start=float(numbers["start"]), end=float(numbers["end"]), steps=numbers["steps"])
    if args.csv:
        from .core.files import atomic_write_text

        rows = "\n".join(f"{lr!r},{loss!r},{sm!r}" for lr, loss, sm in zip(result.lrs, result.losses,
                                                                          result.smoothed))
        atomic_write_text(Path(args.csv), "lr,loss,smoothed\n" + rows + "\n")
    if args.plot:
        from . import figures

        figures.render_lr_finder(result, args.plot)
    ended = "stopped when the loss diverged" if result.stopped_early else "full sweep"
    print(f"suggested learning rate: {result.suggestion:.3g} ({len(result.lrs)} steps, {ended})")
    return EXIT_OK


def _compare(args) -> int:
    from .core.runs import comparison_rows, format_table, open_run

    folders = [open_run(path) for path in args.run_dirs]
    print(format_table(comparison_rows(folders)))
    if args.plot:
        from . import figures

        print(f"plot → {figures.render_comparison(folders, args.plot)}")
    return EXIT_OK


def _gui(args) -> int:
    if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        print("workbench: no display found; running the default configuration headless "
              "(`workbench train`) instead", file=sys.stderr)
        return _train(build_parser().parse_args(["train"] + (["--config", args.config] if args.config else [])))
    from .gui.app import main as gui_main

    return gui_main(["--config", args.config] if args.config else [])


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return _train(args)
        if args.command == "export":
            return _export(args)
        if args.command == "plot":
            return _plot(args)
        if args.command == "find-lr":
            return _find_lr(args)
        if args.command == "compare":
            return _compare(args)
        if args.command is None:
            args.config = None
        return _gui(args)
    except WorkbenchError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug or an unexpected failure: a message, not a traceback
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"workbench: failed: {type(exc).__name__}: {exc} (set WORKBENCH_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_FAILED
