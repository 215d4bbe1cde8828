"""Measured inference latency: eval mode, no grad, warm-up, then timed runs till the spread settles.

Backends: ``eager`` (PyTorch, NCHW), ``channels_last`` (PyTorch, NHWC memory format),
``onnxruntime`` (after ``torch.onnx.export``; ``pip install mobisweep[onnx]``). Devices: ``cpu`` and
``cuda`` (timed with CUDA events after a synchronize). The figure reports the median, p90, mean, IQR
and the coefficient of variation (stdev / mean) of the timed runs; it is flagged ``noisy`` when the
CV never fell below ``target_cv`` within ``max_runs`` / ``max_seconds``.

Only one process on a machine measures at a time: a file lock (``lock_file``) serializes
measurements of parallel trials, so they do not time each other's load.
"""

from __future__ import annotations

import copy
import io
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock
from torch import nn

from mobisweep.config.settings import check_settings
from mobisweep.core.errors import ConfigError
from mobisweep.core.metrics import DEPLOY_PREFIX, LATENCY_PREFIX

DEFAULT_LOCK = Path("/tmp/mobisweep-latency.lock")


@dataclass(frozen=True)
class Latency:
    """One latency measurement and the conditions it was taken under."""

    backend: str
    device: str
    threads: int
    batch_size: int
    resolution: int
    median_ms: float
    p90_ms: float
    mean_ms: float
    iqr_ms: float
    cv: float
    runs: int
    noisy: bool
    window: tuple[float, float]  # wall-clock start and end of the timed runs (time.time())

    def metrics(self, prefix: str = LATENCY_PREFIX) -> dict[str, float | str | bool]:
        """The figures a trial logs, under ``latency/`` (at the deployment resolution:
        ``latency_deploy/``; ``mobisweep.core.metrics``)."""
        return {f"{prefix}{k}": v for k, v in asdict(self).items() if k != "window"}


@contextmanager
def torch_threads(threads: int | None) -> Iterator[int]:
    """Run with ``threads`` intra-op threads (``None``: as configured), restoring them after."""
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def _torch_runner(model: nn.Module, example: torch.Tensor, device: str) -> Callable[[], float]:
    """A callable that runs one inference and returns its duration in milliseconds."""
    if device == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def run_cuda() -> float:
            start.record()
            model(example)
            end.record()
            end.synchronize()
            return start.elapsed_time(end)

        return run_cuda

    def run_cpu() -> float:
        begin = time.perf_counter_ns()
        model(example)
        return (time.perf_counter_ns() - begin) / 1e6

    return run_cpu


def _onnx_runner(model: nn.Module, example: torch.Tensor, device: str,
                 threads: int) -> Callable[[], float]:
    try:
        import onnxruntime as ort
    except ImportError as error:
        raise ConfigError("latency.backend", "onnxruntime",
                          "needs onnxruntime: pip install 'mobisweep[onnx]'") from error
    buffer = io.BytesIO()
    # dynamo=False: the TorchScript exporter needs no onnxscript and handles every model here;
    # its deprecation notice is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (example,), buffer, input_names=["input"],  # type: ignore[arg-type]
                          output_names=["logits"], dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    providers = ["CUDAExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
    session = ort.InferenceSession(buffer.getvalue(), options, providers=providers)
    feed = {"input": example.detach().cpu().numpy()}

    def run_onnx() -> float:
        begin = time.perf_counter_ns()
        session.run(None, feed)
        return (time.perf_counter_ns() - begin) / 1e6

    return run_onnx


def summarize(samples_ms: list[float]) -> dict[str, float]:
    """Median, p90, mean, IQR and coefficient of variation of timed runs."""
    values = np.asarray(samples_ms)
    q25, median, q75, p90 = np.percentile(values, [25, 50, 75, 90])
    mean = float(values.mean())
    return {"median_ms": float(median), "p90_ms": float(p90), "mean_ms": mean,
            "iqr_ms": float(q75 - q25), "cv": float(values.std(ddof=1) / mean)}


def measure_latency(
    model: nn.Module,
    resolution: int,
    *,
    batch_size: int = 1,
    device: str = "cpu",
    backend: str = "eager",
    threads: int | None = None,
    warmup: int = 10,
    min_runs: int = 50,
    max_runs: int = 500,
    max_seconds: float = 30.0,
    target_cv: float = 0.05,
    lock_file: str | Path | None = DEFAULT_LOCK,
    in_channels: int = 3,
) -> Latency:
    """Measure ``model``'s inference latency on a ``batch_size`` × ``resolution``² input.

    Times rounds of ``min_runs`` until the CV of all timed runs is below ``target_cv``, or
    ``max_runs`` or ``max_seconds`` is reached (then ``noisy`` is set). The model is measured on a
    copy in eval mode, so the caller's model keeps its device, layout and mode.
    """
    check_settings(backend, device, batch_size, threads)
    net = _copy_for_inference(model, device, channels_last=backend == "channels_last")
    example = torch.randn(batch_size, in_channels, resolution, resolution, device=device)
    if backend == "channels_last":
        example = example.contiguous(memory_format=torch.channels_last)
    lock = FileLock(str(lock_file)) if lock_file else None
    with torch_threads(threads) as used_threads, torch.inference_mode():
        if backend == "onnxruntime":
            runner = _onnx_runner(net, example, device, used_threads)
        else:
            runner = _torch_runner(net, example, device)
        with lock if lock else _no_lock():
            for _ in range(warmup):
                runner()
            samples: list[float] = []
            began = time.time()
            deadline = time.perf_counter() + max_seconds
            while True:
                samples.extend(runner() for _ in range(min_runs))
                stats = summarize(samples)
                settled = stats["cv"] <= target_cv
                if settled or len(samples) >= max_runs or time.perf_counter() >= deadline:
                    break
            window = (began, time.time())
    return Latency(backend=backend, device=device, threads=used_threads, batch_size=batch_size,
                   resolution=resolution, runs=len(samples), noisy=not settled, window=window,
                   **stats)


@contextmanager
def _no_lock() -> Iterator[None]:
    yield


def _copy_for_inference(model: nn.Module, device: str, channels_last: bool) -> nn.Module:
    net = copy.deepcopy(model).eval().to(device)
    # A model trained channels_last keeps that layout: set the one this backend is measured in.
    net = net.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    for param in net.parameters():
        param.requires_grad_(False)
    return net


def median_of_medians(measurements: list[Latency]) -> float:
    return statistics.median(m.median_ms for m in measurements)


# Keys of a ``conf/latency/`` config that are not measure_latency's settings.
NOT_SETTINGS = ("enabled", "resolution", "rounds", "turn_seconds", "side_by_side")


def measure_configured(model: nn.Module, resolution: int, latency_cfg) -> Latency:
    """``measure_latency`` with the settings of a ``conf/latency/`` config."""
    settings = {k: v for k, v in latency_cfg.items() if k not in NOT_SETTINGS}
    return measure_latency(model, resolution, **settings)


def resolutions(cfg, prefixes: tuple[str, str] = (LATENCY_PREFIX, DEPLOY_PREFIX)
                ) -> list[tuple[str, int]]:
    """``(prefix, px)`` of each input size a trial's latency is measured at: its training
    resolution and, where ``latency.resolution`` names another, that one too."""
    deploy = cfg.latency.get("resolution")
    return [(prefixes[0], int(cfg.data.resolution)),
            *([(prefixes[1], int(deploy))] if deploy else [])]


def measure_latencies(model: nn.Module, cfg, prefixes: tuple[str, str] = (LATENCY_PREFIX,
                                                                          DEPLOY_PREFIX)
                      ) -> dict[str, float | str | bool]:
    """A trial's latency figures: at its training resolution (``latency/*``) and, where
    ``latency.resolution`` names another input size, there too (``latency_deploy/*``). The
    latency of a network does not depend on its weights: this can run before training."""
    figures: dict[str, float | str | bool] = {}
    for prefix, resolution in resolutions(cfg, prefixes):
        figures.update(measure_configured(model, resolution, cfg.latency).metrics(prefix))
    return figures
