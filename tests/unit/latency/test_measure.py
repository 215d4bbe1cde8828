"""Measured latency: repeatable, in agreement with torch.utils.benchmark, serialized by its lock."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import textwrap

import pytest
import torch
from torch.utils import benchmark

from mobisweep.core.errors import ConfigError
from mobisweep.latency.breakdown import latency_breakdown
from mobisweep.latency.measure import measure_latency, median_of_medians, summarize
from mobisweep.models import MobileNetV1
from tests.conftest import REPO, run_module

# On an idle machine back-to-back medians agree within 1-5 %; on this shared 2-core VM its speed
# drifts between measurements (observed spreads of 6 % and 12 %), so the bound is 15 %.
REPEATABILITY = 0.15


def test_summary_statistics():
    stats = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert stats["median_ms"] == 3.0 and stats["iqr_ms"] == 2.0
    assert stats["mean_ms"] == 22.0 and stats["p90_ms"] == pytest.approx(61.6)
    assert stats["cv"] == pytest.approx(torch.tensor([1.0, 2, 3, 4, 100]).std().item() / 22.0)


@pytest.mark.slow
# timing on a shared machine: `make test-all` runs it, CI and the default suite do not
@pytest.mark.quiet
def test_repeatable_and_agrees_with_torch_benchmark(tmp_path):
    model = MobileNetV1()
    runs = [measure_latency(model, 224, lock_file=tmp_path / "lock") for _ in range(5)]
    center = median_of_medians(runs)
    spread = max(abs(r.median_ms - center) / center for r in runs)
    print(f"medians {[round(r.median_ms, 3) for r in runs]} ms, spread {100 * spread:.1f} %")
    assert spread <= REPEATABILITY

    # Alternate the two so that the machine's drift falls on both alike.
    net = model.eval()
    example = torch.randn(1, 3, 224, 224)
    timer = benchmark.Timer("net(x)", globals={"net": net, "x": example},
                            num_threads=torch.get_num_threads())
    ratios = []
    for _ in range(5):
        ours = measure_latency(model, 224, max_runs=150, lock_file=tmp_path / "lock").median_ms
        with torch.inference_mode():
            reference = timer.blocked_autorange(min_run_time=2.0).median * 1e3
        ratios.append(ours / reference)
    ratio = sorted(ratios)[2]
    print(f"mobisweep / torch.utils.benchmark per pair: {[round(r, 3) for r in ratios]}")
    assert abs(ratio - 1) <= 0.10


def test_smaller_model_at_lower_resolution_is_faster(tmp_path):
    small = measure_latency(MobileNetV1(alpha=0.25), 128, lock_file=tmp_path / "lock", min_runs=20)
    large = measure_latency(MobileNetV1(), 224, lock_file=tmp_path / "lock", min_runs=20)
    assert small.median_ms < large.median_ms


@pytest.mark.parametrize("backend", ["eager", "channels_last", "onnxruntime"])
def test_backends_report_their_conditions(tmp_path, backend):
    result = measure_latency(MobileNetV1(alpha=0.25), 64, backend=backend, threads=1, batch_size=2,
                             min_runs=10, max_runs=10, lock_file=tmp_path / "lock")
    assert (result.backend, result.device, result.threads, result.batch_size) == (
        backend, "cpu", 1, 2)
    assert result.runs == 10 and 0 < result.median_ms <= result.p90_ms
    metrics = result.metrics()
    assert metrics["latency/backend"] == backend and "latency/median_ms" in metrics


def test_the_callers_model_is_left_as_it_was(tmp_path):
    model = MobileNetV1(alpha=0.25).train()
    measure_latency(model, 64, min_runs=5, max_runs=5, lock_file=tmp_path / "lock")
    assert model.training and all(p.requires_grad for p in model.parameters())


def test_bad_settings_are_named():
    with pytest.raises(ConfigError, match="latency.backend='tensorrt'"):
        measure_latency(MobileNetV1(alpha=0.25), 64, backend="tensorrt")
    with pytest.raises(ConfigError, match="latency.batch_size=0"):
        measure_latency(MobileNetV1(alpha=0.25), 64, batch_size=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_events_path(tmp_path):
    result = measure_latency(MobileNetV1(), 224, device="cuda", lock_file=tmp_path / "lock")
    assert result.device == "cuda" and result.median_ms > 0


def test_without_cuda_the_cuda_device_is_refused():
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(ConfigError, match="latency.device='cuda': no CUDA device"):
        measure_latency(MobileNetV1(alpha=0.25), 64, device="cuda")


MEASURE = textwrap.dedent("""
    import json, sys
    from mobisweep.latency.measure import measure_latency
    from mobisweep.models import MobileNetV1
    result = measure_latency(MobileNetV1(alpha=0.5), 128, lock_file=sys.argv[1], threads=1,
                             min_runs=40, max_runs=40, warmup=3)
    print(json.dumps(result.window))
""")


def test_two_processes_take_turns_under_the_lock(tmp_path):
    lock = str(tmp_path / "latency.lock")
    workers = [subprocess.Popen([sys.executable, "-c", MEASURE, lock], cwd=REPO,
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    windows = sorted(json.loads(w.communicate(timeout=300)[0].strip().splitlines()[-1])
                     for w in workers)
    assert all(w.returncode == 0 for w in workers)
    (first_start, first_end), (second_start, second_end) = windows
    assert first_end <= second_start, f"timed windows overlap: {windows}"


def test_breakdown_covers_the_forward_pass():
    times = latency_breakdown(MobileNetV1(alpha=0.5), 128, runs=5, warmup=2)
    assert times["total"] > 0 and times["conv1x1"] > 0 and times["depthwise"] > 0
    parts = sum(v for k, v in times.items() if k != "total")
    assert parts == pytest.approx(times["total"], rel=1e-6)


def test_latency_command_prints_the_table_and_breakdown():
    result = run_module("mobisweep.latency", "model.alpha=0.25", "data.resolution=128",
                        "latency.min_runs=20", "latency.max_runs=20", "+breakdown=true")
    assert result.returncode == 0, result.stderr[-2000:]
    for text in ("mobilenet_v1-0.25 at 128x128", "median ms", "Where the time goes", "Conv DW"):
        assert text in result.stdout


def test_piped_output_keeps_every_figure_whole(tmp_path):
    """`python -m mobisweep.latency ... | cat` (a log, not a terminal, no COLUMNS): nothing is
    cut."""
    result = run_module("mobisweep.latency", "model.alpha=0.25", "data.resolution=64",
                        "latency.min_runs=5", "latency.max_runs=5", "latency.warmup=1",
                        f"latency.lock_file={tmp_path / 'lock'}",
                        env={"COLUMNS": ""})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "…" not in result.stdout, result.stdout
    header = next(line for line in result.stdout.splitlines() if "median ms" in line)
    row = result.stdout.splitlines()[result.stdout.splitlines().index(header) + 2]
    cells = [c.strip() for c in row.split("│")[1:-1]]
    columns = [c.strip() for c in header.split("┃")[1:-1]]
    assert re.fullmatch(r"\d+\.\d{3}", cells[columns.index("median ms")]), row


@pytest.mark.slow  # eight processes; CI runs it (make test-slow)
def test_the_ranking_benchmark_runs_in_miniature(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "latency_ranking.py"), "--points", "2",
         "--out", str(tmp_path), "latency.min_runs=3", "latency.max_runs=3", "latency.rounds=2",
         "latency.warmup=1"], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"side-by-side: Spearman between passes 1 and 2: -?\d\.\d{3}", result.stdout)
    rows = list(csv.DictReader(open(tmp_path / "latency_ranking.csv")))
    assert [(r["way"], r["pass"]) for r in rows] == [
        (way, str(p)) for way in ("per-trial", "side-by-side") for p in (1, 2) for _ in range(2)]
    assert all(float(r["latency/median_ms"]) > 0 for r in rows)
