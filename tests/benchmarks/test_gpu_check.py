"""The prepared GPU check (``benchmarks/gpu_check.py``) and the throughput benchmarks it builds on
run in miniature on the CPU, so that none has rotted on the day a GPU is lent."""

from __future__ import annotations

import csv
import math
import sys

import pytest
import torch

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))


def test_the_gpu_check_runs_in_miniature_and_writes_every_figure(tmp_path):
    import gpu_check

    gpu_check.main(["--device", "cpu", "--miniature", "--compile-backend", "eager",
                    "--out", str(tmp_path)])
    with (tmp_path / "gpu_check.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    figures = {(r["part"], r["name"], r["metric"]): float(r["value"]) for r in rows}
    assert all(math.isfinite(v) for v in figures.values())
    rates = [v for (part, _, metric), v in figures.items()
             if part == "train_step" and metric == "images_per_s"]
    assert len(rates) == 9 and min(rates) > 0  # three models x fp32, channels_last, compiled
    assert ("train_step", "channels_last", "mobisweep_over_timm") in figures
    medians = [k for k in figures if k[0] == "latency" and k[2] == "median_ms"]
    assert len(medians) == 16 * 2  # the 16 alpha x rho points at two batch sizes
    assert figures["loader", "cpu decode, per core", "images_per_s"] > 0
    assert figures["loader", "cpu batch decode", "images_per_s"] > 0
    assert figures["thin_vs_shallow", "epochs", "completed"] == 1
    assert -1 <= figures["thin_vs_shallow", "thin - shallow", "val/acc1 gap"] <= 1
    report = (tmp_path / "report.md").read_text()
    for heading in ("## 1. Training step", "## 2. Latency", "## 3. Image-folder loader",
                    "## 4. Thin vs shallow"):
        assert heading in report


def test_the_gpu_check_refuses_cuda_where_there_is_none():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    import gpu_check

    with pytest.raises(SystemExit, match="--device=cuda: no CUDA device here"):
        gpu_check.main(["--device", "cuda"])


@pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")  # decoder=torchvision
def test_the_folder_loader_benchmark_runs_in_miniature(tmp_path):
    import folder_loader

    rows = folder_loader.main(["--images", "6", "--repeats", "1", "--rhos", "1", "0.571",
                               "--csv", str(tmp_path / "loader.csv")])
    assert {(r["resolution"], r["decoder"]) for r in rows} == {
        (res, d) for res in (224, 128) for d in ("jpeg-scaled", "pil", "torchcodec", "torchvision")}
    assert all(r["images_per_s"] > 0 for r in rows)
    assert (tmp_path / "loader.csv").read_text().startswith("rho,resolution,decoder")


@pytest.mark.slow  # three Lightning fits: CI runs it (make test-slow)
def test_the_train_throughput_benchmark_runs_in_miniature(capsys):
    import train_throughput

    train_throughput.main(["--images", "256", "--batch", "64", "--step-resolution", "32",
                           "--step-batch", "4", "--steps", "1", "--repeats", "1"])
    out = capsys.readouterr().out
    for line in ("ratio mobisweep / timm", "ratio mobisweep / bare", "ratio loader / model"):
        assert line in out
