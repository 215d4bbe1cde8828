"""A real tiny sweep, then what people look at: report.html and optuna-dashboard in headless
Chromium, the PNGs, and the notebook executed end to end."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbclient
import nbformat
import optuna
import pytest
from PIL import Image

from mobisweep.core.metrics import TOP1
from mobisweep.cost.count import count_cost
from mobisweep.models import MobileNetV1
from mobisweep.paper.plots import beside_paper
from mobisweep.paper.published import PAPER_ROWS
from mobisweep.results.panels import PANELS
from mobisweep.results.report_page import write_report
from mobisweep.results.sources import open_summary
from tests.conftest import REPO, run_module

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make system-deps installs it)")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--virtual-time-budget=10000"]


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    """A 2x2 alpha-rho grid on digits, trained for real on a tiny budget."""
    cwd = tmp_path_factory.mktemp("sweep")
    result = run_module("mobisweep", "+sweep=alpha_rho", "data=digits", "data.train_subset=200",
                        "data.val_subset=null", "trainer.max_epochs=1", "latency.min_runs=5",
                        "latency.max_runs=5", "logger.mode=offline", "model.alpha=0.5,0.25",
                        "data.rho=1.0,0.571", "-m", cwd=cwd, env={"WANDB_MODE": "offline"})
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "sweeps" / "alpha_rho"


def chromium(*args: str, user_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={user_dir}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_report_files(study_dir):
    summary, _ = open_summary(str(study_dir))
    paths = write_report(summary, study_dir, beside=beside_paper)
    names = {p.name for p in paths}
    assert names == {"report.html", "top1_vs_mult_adds.png", "top1_vs_params.png",
                     "top1_vs_latency.png"}  # no vs_paper.png: alpha 1.0 at rho 1 did not run
    for path in paths:
        if path.suffix == ".png":
            with Image.open(path) as image:
                assert image.size[0] > 500 and len(image.convert("L").getcolors(256)) > 20
    html = (study_dir / "report.html").read_text()
    assert "0.25-32" in html and "0.5-56" in html  # points labelled alpha-resolution
    assert not re.search(r"<script[^>]*\bsrc=", html)  # plotly.js inline: the page works offline
    assert "width α × resolution ρ" in html  # the experiment's own title
    table = html[html.index('<table class="trials"'):html.index("</table>")]
    assert table.count("<tr>") == 1 + 4 and "mult-adds M" in table  # a header and every trial
    assert '"width":1400' not in html and "100%" in html  # as wide as the window


def test_a_panel_with_nothing_measured_is_left_out_and_said(study_dir, tmp_path):
    """The same study as if run with latency=none: two panels drawn, the latency one named as not
    drawn, and no PNG for it (no blank axes)."""
    summary, _ = open_summary(str(study_dir))
    unmeasured = replace(summary, rows=[
        replace(row, figures={k: v for k, v in row.figures.items() if not k.startswith("latency")})
        for row in summary.rows])
    paths = write_report(unmeasured, tmp_path)
    assert {p.name for p in paths} == {"report.html", "top1_vs_mult_adds.png", "top1_vs_params.png"}
    html = (tmp_path / "report.html").read_text()
    assert "Not drawn, nothing measured in this study: top-1 vs measured latency" in html
    assert '"xaxis2"' in html and '"xaxis3"' not in html  # two panels, side by side


def test_report_command(study_dir):
    result = run_module("mobisweep.report", str(study_dir))
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(study_dir / "report.html") in result.stdout


def test_export_writes_the_record_alone(study_dir, tmp_path):
    """``--export DIR``: trials.csv and curves.csv of what has run, nothing else, the study
    untouched (what a running reference sweep commits part by part)."""
    before = digest(study_dir)
    result = run_module("mobisweep.report", str(study_dir), "--export", str(tmp_path / "part"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "part").iterdir()) == ["curves.csv", "trials.csv"]
    rows = list(csv.DictReader((tmp_path / "part" / "trials.csv").open()))
    assert len(rows) == 4 and {r["state"] for r in rows} == {"COMPLETE"}
    assert digest(study_dir) == before


def digest(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_reading_a_study_writes_nothing(study_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_module("mobisweep.report", str(empty))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "neither a sweep folder" in result.stderr and not any(empty.iterdir())
    before = digest(study_dir)
    url = f"sqlite:///{study_dir / 'study.db'}"
    result = run_module("mobisweep.report", url, "--study", "no_such_study", cwd=tmp_path)
    assert result.returncode == 2 and "study='no_such_study': no such study" in result.stderr
    assert "it holds: alpha_rho" in result.stderr
    summary, _ = open_summary(url)  # the storage's only study, named by nobody
    assert summary.study_name == "alpha_rho" and summary.count("COMPLETE") == 4
    assert digest(study_dir) == before and not (tmp_path / "sweeps").exists()


def test_report_from_trials_csv_alone(study_dir, tmp_path):
    """A committed sweep (trials.csv and curves.csv, no study storage) reads as the study did."""
    copy = tmp_path / "alpha_rho"
    copy.mkdir()
    for name in ("trials.csv", "curves.csv"):
        shutil.copy(study_dir / name, copy / name)
    from_study, _ = open_summary(str(study_dir))
    from_csv, out_dir = open_summary(str(copy / "trials.csv"))
    assert out_dir == copy and from_csv.objectives == from_study.objectives
    assert from_csv.directions == from_study.directions
    assert [r.rank for r in from_csv.rows] == [r.rank for r in from_study.rows]
    assert from_csv.hypervolume == pytest.approx(from_study.hypervolume)
    assert {r.label for r in from_csv.rows} == {r.label for r in from_study.rows}
    result = run_module("mobisweep.report", str(copy))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0.25-32" in (copy / "report.html").read_text() and not (copy / "study.db").exists()


@needs_chromium
def test_report_renders_in_chromium(study_dir, tmp_path):
    summary, _ = open_summary(str(study_dir))
    write_report(summary, study_dir)
    url = (study_dir / "report.html").resolve().as_uri()
    dom = chromium("--dump-dom", url, user_dir=tmp_path / "dom").stdout
    assert dom.count('class="main-svg"') >= 2  # plotly drew its figure
    assert dom.count('class="scatterlayer') >= 3 and "top-1 vs mult-adds" in dom
    assert dom.count("<tr>") >= 5  # the trials table, drawn
    for width in (1400, 1920):
        shot = tmp_path / f"report-{width}.png"
        chromium(f"--window-size={width},1000", f"--screenshot={shot}", url,
                 user_dir=tmp_path / f"shot{width}")
        with Image.open(shot) as image:
            assert image.size == (width, 1000)
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
            assert colours is not None and len(colours) > 50  # a drawn plot, not a blank page
        if os.environ.get("MOBISWEEP_KEEP_SCREENSHOTS"):
            shutil.copy(shot, Path(os.environ["MOBISWEEP_KEEP_SCREENSHOTS"]) / shot.name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@needs_chromium
def test_optuna_dashboard_shows_the_study(study_dir, tmp_path):
    copy = tmp_path / "study.db"  # never point the dashboard at a live study: it has corrupted one
    shutil.copy(study_dir / "study.db", copy)
    port = free_port()
    dashboard = Path(sys.executable).with_name("optuna-dashboard")  # the console script
    server = subprocess.Popen([str(dashboard), f"sqlite:///{copy}",
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        dom = chromium("--dump-dom", f"http://127.0.0.1:{port}/dashboard",
                       user_dir=tmp_path / "dash").stdout
        assert "alpha_rho" in dom
        shot = tmp_path / "dashboard.png"
        chromium("--window-size=1400,900", f"--screenshot={shot}",
                 f"http://127.0.0.1:{port}/dashboard/studies/1", user_dir=tmp_path / "dshot")
        with Image.open(shot) as image:
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 20
        if os.environ.get("MOBISWEEP_KEEP_SCREENSHOTS"):
            shutil.copy(shot, Path(os.environ["MOBISWEEP_KEEP_SCREENSHOTS"]) / "dashboard.png")
        # The trial page lists every figure a trial measured (user attributes) beside its values.
        page = f"http://127.0.0.1:{port}/dashboard/studies/1/trials"
        dom = chromium("--dump-dom", page, user_dir=tmp_path / "trials").stdout
        assert "val/acc5" in dom and "latency/cv" in dom, dom[-2000:]
        if os.environ.get("MOBISWEEP_KEEP_SCREENSHOTS"):
            chromium("--window-size=1400,1400", f"--screenshot={tmp_path / 'trials.png'}", page,
                     user_dir=tmp_path / "tshot")
            shutil.copy(tmp_path / "trials.png",
                        Path(os.environ["MOBISWEEP_KEEP_SCREENSHOTS"]) / "dashboard-trials.png")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_notebook_runs_on_the_study(study_dir, monkeypatch):
    """The notebook's figures are the study's: checked against what mobisweep computes here."""
    # The storage URL form, with the study named: as on a PostgreSQL server of many studies.
    url = f"sqlite:///{study_dir / 'study.db'}"
    monkeypatch.setenv("MOBISWEEP_STUDY", url)
    monkeypatch.setenv("MOBISWEEP_STUDY_NAME", "alpha_rho")
    notebook = nbformat.read(REPO / "notebooks" / "pareto.ipynb", as_version=4)
    # What the notebook computed, read back exactly (its tables are for people).
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json; print(json.dumps({'trials': trials.to_dict('records'), "
        "'thin_vs_shallow': thin_vs_shallow.to_dict('records'), 'axes': len(fig.axes)}, "
        "default=str))"))
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO)}}).execute()
    stderr = [o for cell in notebook.cells for o in cell.get("outputs", [])
              if o.get("name") == "stderr"]
    assert not stderr, stderr
    shown = json.loads(notebook.cells[-1].outputs[0]["text"])

    summary, _ = open_summary(url, "alpha_rho")
    printed = "".join(o.get("text", "") for o in notebook.cells[1].outputs)
    assert printed == (f"alpha_rho: {summary.count('COMPLETE')} complete, "
                       f"{summary.count('FAIL')} failed, hypervolume {summary.hypervolume:.4g}\n")
    assert [(r["trial"], r["label"], r[TOP1.name]) for r in shown["trials"]] == \
        [(r.number, r.label, r.figures[TOP1.name]) for r in summary.rows]
    assert shown["axes"] == len(PANELS)
    resolution = max(int(r.config["resolution"]) for r in summary.rows)
    paper = {row.name: row for row in PAPER_ROWS if row.table == 5}
    for row, (alpha, depth) in zip(shown["thin_vs_shallow"], ((0.75, 5), (1.0, 0))):
        cost = count_cost(MobileNetV1(alpha=alpha, depth=depth, num_classes=10), resolution)
        assert row["M mult-adds"] == round(cost.mult_adds_M, 2)
        assert row["M params"] == round(cost.params_M, 3)
        assert row["paper top-1 (ImageNet)"] == paper[row["model"]].top1
        assert row["paper M mult-adds (224 px)"] == paper[row["model"]].mult_adds_M
        ran = [r.figures[TOP1.name] for r in summary.rows if r.state == "COMPLETE"
               and float(r.config["alpha"]) == alpha and int(r.config["depth"]) == depth
               and int(r.config["resolution"]) == resolution]
        assert row["top-1 here (%)"] == (round(100 * max(ran), 2) if ran else None)
    figures = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
               if "image/png" in o.get("data", {})]
    assert figures, "the trade-off curves were not drawn"


def live_page(action: str, page: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """A page that reloads itself: rendered once on load (a virtual-time budget would follow its
    reloads for ever)."""
    flags = [f for f in CHROMIUM_FLAGS if not f.startswith("--virtual-time-budget")]
    return subprocess.run([CHROMIUM, *flags, f"--user-data-dir={tmp_path / 'chrome'}",
                           "--window-size=1400,1800", action, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)


@needs_chromium
@pytest.mark.slow  # a real sweep watched while it runs: CI runs it (make test-slow)
def test_a_running_sweep_is_watched_live_and_left_intact(tmp_path):
    """``report --watch`` beside a running sweep: the page (as headless Chromium renders it) shows
    each trial once it has ended, reloads itself, and the study is intact afterwards."""
    sweep = subprocess.Popen(
        [sys.executable, "-m", "mobisweep", "+sweep=alpha_rho", "data=digits",
         "data.train_subset=600", "trainer.max_epochs=8", "latency=none", "logger.mode=offline",
         "model.alpha=0.5,0.25", "data.rho=1.0,0.571", "-m"], cwd=tmp_path,
        env={**os.environ, "WANDB_MODE": "offline"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    folder = tmp_path / "sweeps" / "alpha_rho"
    watcher = None
    try:
        deadline = time.monotonic() + 300
        while not (folder / "study.db").is_file():
            assert sweep.poll() is None and time.monotonic() < deadline, "the sweep did not start"
            time.sleep(0.5)
        watcher = subprocess.Popen([sys.executable, "-m", "mobisweep.report", str(folder),
                                    "--watch", "1"], cwd=REPO, stdout=subprocess.PIPE, text=True)
        page = folder / "report.html"
        shown: list[int] = []  # trials shown COMPLETE, each time the page was looked at
        reloading: list[bool] = []
        while sweep.poll() is None:
            assert time.monotonic() < deadline, "the sweep did not finish"
            if page.is_file():
                dom = live_page("--dump-dom", page, tmp_path).stdout
                shown.append(dom.count(">COMPLETE<"))
                reloading.append('http-equiv="refresh" content="1"' in dom)
                if len(shown) == 1:
                    live_page(f"--screenshot={tmp_path / 'before.png'}", page, tmp_path)
            time.sleep(1)
        assert sweep.returncode == 0, sweep.stderr.read()[-3000:]
        for _ in range(60):  # the watcher's next look after the last trial
            dom = live_page("--dump-dom", page, tmp_path).stdout
            if dom.count(">COMPLETE<") == 4:
                break
            time.sleep(1)
        live_page(f"--screenshot={tmp_path / 'after.png'}", page, tmp_path)
    finally:
        for process in (sweep, watcher):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    # The sweep's own last report replaces the watcher's page: all four, and no more reloading.
    assert dom.count(">COMPLETE<") == 4
    assert shown and min(shown) < 4  # it was looked at while trials were still running
    assert any(reloading)  # and the watcher's page reloaded itself meanwhile
    assert shown == sorted(shown)  # and each trial appeared once it had ended, never went away
    with sqlite3.connect(folder / "study.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    study = optuna.load_study(study_name="alpha_rho", storage=f"sqlite:///{folder / 'study.db'}")
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 4
    for name in ("before.png", "after.png"):
        with Image.open(tmp_path / name) as image:
            assert image.size == (1400, 1800)
