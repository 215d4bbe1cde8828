"""A real tiny sweep, then what people look at: report.html and optuna-dashboard in headless
Chromium, the PNGs, and the notebook executed end to end."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbclient
import nbformat
import pytest
from PIL import Image

from mobisweep.results import load_summary, write_report

from .conftest import REPO, run_module

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
                          capture_output=True, text=True, timeout=120)


def test_report_files(study_dir):
    summary, _ = load_summary(str(study_dir))
    paths = write_report(summary, study_dir)
    names = {p.name for p in paths}
    assert names == {"report.html", "top1_vs_mult_adds.png", "top1_vs_params.png",
                     "top1_vs_latency.png", "paper_reference.png"}
    for path in paths:
        if path.suffix == ".png":
            with Image.open(path) as image:
                assert image.size[0] > 500 and len(image.convert("L").getcolors(256)) > 20
    html = (study_dir / "report.html").read_text()
    assert "0.25-32" in html and "0.5-56" in html  # points labelled alpha-resolution
    assert not re.search(r"<script[^>]*\bsrc=", html)  # plotly.js inline: the page works offline


def test_report_command(study_dir):
    result = run_module("mobisweep.report", str(study_dir))
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(study_dir / "report.html") in result.stdout


@needs_chromium
def test_report_renders_in_chromium(study_dir, tmp_path):
    summary, _ = load_summary(str(study_dir))
    write_report(summary, study_dir)
    url = (study_dir / "report.html").resolve().as_uri()
    dom = chromium("--dump-dom", url, user_dir=tmp_path / "dom").stdout
    assert dom.count('class="main-svg"') >= 2  # plotly drew its figure
    assert dom.count('class="scatterlayer') >= 4 and "top-1 vs mult-adds (Figure 4)" in dom
    shot = tmp_path / "report.png"
    chromium("--window-size=1400,1000", f"--screenshot={shot}", url, user_dir=tmp_path / "shot")
    with Image.open(shot) as image:
        assert image.size == (1400, 1000)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50  # a drawn plot, not a blank page
    if os.environ.get("MOBISWEEP_KEEP_SCREENSHOTS"):
        shutil.copy(shot, Path(os.environ["MOBISWEEP_KEEP_SCREENSHOTS"]) / "report.png")


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
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_notebook_runs_on_the_study(study_dir, monkeypatch):
    monkeypatch.setenv("MOBISWEEP_STUDY_DIR", str(study_dir))
    notebook = nbformat.read(REPO / "notebooks" / "pareto.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO)}}).execute()
    table = notebook.cells[-1].outputs[0]["data"]["text/plain"]
    assert "0.75 MobileNet" in table and "Shallow MobileNet" in table
    figures = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
               if "image/png" in o.get("data", {})]
    assert figures, "the trade-off curves were not drawn"
