"""Run comparison: two run folders, both drawn, one table row each."""

import xml.dom.minidom

import pytest

from workbench.cli import main
from workbench.core.config import RunConfig
from workbench.core.runs import comparison_rows, format_table, open_run
from workbench.core.session import run


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    folders = []
    for rate in (0.1, 0.5):
        out = tmp_path_factory.mktemp(f"rate{rate}")
        run(RunConfig().with_overrides({"training.steps": 60, "schedule.decay_steps": 20,
                                        "schedule.decay_rate": rate}), out_dir=out)
        folders.append(out)
    return folders


def test_table_has_a_row_per_run_with_its_schedule(two_runs):
    rows = comparison_rows([open_run(p) for p in two_runs])
    assert [r["schedule"] for r in rows] == [
        "staircase initial_lr=0.001 decay_steps=20 decay_rate=0.1",
        "staircase initial_lr=0.001 decay_steps=20 decay_rate=0.5"]
    assert all(r["steps"] == 60 and 0 <= r["test_accuracy"] <= 1 for r in rows)
    assert rows[0]["final_lr"] == pytest.approx(1e-5) and rows[1]["final_lr"] == pytest.approx(2.5e-4)
    assert "decay_rate=0.5" in format_table(rows)


def test_figure_draws_both_runs(two_runs):
    import pyqtgraph as pg

    from workbench.figures import comparison_figure

    folders = [open_run(p) for p in two_runs]
    widget = comparison_figure(folders)
    plot = widget.ci.getItem(0, 0)
    lr_curves = [i for i in plot.listDataItems()]
    loss_curves = [i for i in plot.scene().items() if isinstance(i, pg.PlotDataItem) and i not in lr_curves]
    assert len(lr_curves) == 2 and len(loss_curves) == 2
    hidden = comparison_figure(folders, visible=[True, False]).ci.getItem(0, 0)
    assert len(hidden.listDataItems()) == 1
    widget.close()


def test_compare_command_prints_the_table_and_writes_the_overlay(two_runs, tmp_path, capsys):
    assert main(["compare", *map(str, two_runs), "--plot", str(tmp_path / "c.svg")]) == 0
    out = capsys.readouterr().out
    assert out.count("staircase initial_lr=0.001") == 2
    doc = xml.dom.minidom.parse(str(tmp_path / "c.svg"))
    paths = doc.getElementsByTagName("path")
    dashed = [p for p in paths if p.parentNode.getAttribute("stroke-dasharray")]
    losses = [p for p in paths if p.getAttribute("d").count("L") == 59 and p not in dashed]
    rates = [p for p in dashed if p.getAttribute("d").count("L") > 1]
    assert len(losses) == 2 and len(rates) == 2  # a loss curve and a dashed LR staircase per run
