"""The prepared GPU check: what only a GPU can tell mobisweep, in one run of at most --minutes.

GPU time comes in short windows, so this is ready before the GPU is. One command measures, in
this order, each part in a share of the time (the last takes what is left):

1. **train step**: img/s of one SGD step (forward, backward, update) of mobisweep's MobileNet 1.0
and
   0.75 and timm's ``mobilenetv1_100`` at 224 px: fp32, then bf16 autocast + channels_last, then
   the same under ``torch.compile``; rounds interleaved, medians, and the ratios between them;
2. **latency** of the 16 alpha x rho points at 224 * rho, batch 1 and 64: CUDA events after warm-up,
   eager and replayed as a CUDA graph, median and CV of each;
3. **loader**: img/s of the image-folder path on full-size JPEGs it makes (500x375, from the Tiny
   ImageNet archive): a core decoding on the CPU (``data.decoder=jpeg-scaled``) against a core
   that only reads bytes plus the GPU's batched nvJPEG decode (``data.decoder=device``);
4. **thin vs shallow** (the paper's Table 5) on the full Tiny ImageNet (200 classes, 100,000 images)
   held in GPU memory at 128 px: ``python -m mobisweep`` trains MobileNet 0.75 and Shallow
   MobileNet, one seed each, for as many epochs as the remaining minutes allow; their gap and
   learning curves.

It writes ``gpu_check.csv`` (one row per figure) and ``report.md`` under ``--out``, and prints the
ratios. On a CPU the same command runs in miniature (``--device cpu --miniature``: tiny sizes, one
round), inside the default test suite, so that it never rots.

    .venv/bin/python benchmarks/gpu_check.py --out benchmarks/results/gpu_check        # on a GPU
    .venv/bin/python benchmarks/gpu_check.py --device cpu --miniature --out /tmp/check
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from folder_loader import make_tree

from mobisweep.data.decoders import (
    CropLoader,
    RandomCropPlan,
    collate_encoded,
    decode_on_device,
)
from mobisweep.models import MobileNetV1

REPO = Path(__file__).resolve().parents[1]
ALPHAS = (1.0, 0.75, 0.5, 0.25)
RHOS = (1.0, 6 / 7, 5 / 7, 4 / 7)


@dataclass(frozen=True)
class Sizes:
    """How big each part runs: the real check, or the miniature that the test suite runs."""

    step_resolution: int = 224
    step_batch: int = 128
    step_steps: int = 20
    rounds: int = 3
    latency_base: int = 224  # the points run at latency_base * rho
    latency_batches: tuple[int, ...] = (1, 64)
    latency_runs: int = 100
    loader_images: int = 256
    loader_batch: int = 64
    tiny_classes: int | None = None  # None: all 200
    tiny_subset: int | None = None
    tiny_resolution: int = 128
    max_epochs: int = 40


MINIATURE = Sizes(step_resolution=32, step_batch=4, step_steps=2, rounds=1, latency_base=32,
                  latency_batches=(1, 4),
                  latency_runs=3, loader_images=8, loader_batch=4, tiny_classes=2, tiny_subset=64,
                  tiny_resolution=32, max_epochs=1)


class Check:
    """The rows measured so far, the clock, and the report's lines."""

    def __init__(self, device: str, minutes: float, out: Path) -> None:
        self.device, self.out = device, out
        self.deadline = time.monotonic() + minutes * 60
        self.rows: list[dict] = []
        self.lines: list[str] = []

    def left_s(self) -> float:
        return self.deadline - time.monotonic()

    def record(self, part: str, name: str, metric: str, value: float) -> None:
        self.rows.append({"part": part, "name": name, "metric": metric, "value": value})

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)

    def sync(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        with (self.out / "gpu_check.csv").open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=["part", "name", "metric", "value"])
            writer.writeheader()
            writer.writerows(self.rows)
        (self.out / "report.md").write_text("\n".join(self.lines) + "\n")


def _models() -> dict[str, Callable[[], torch.nn.Module]]:
    import timm

    return {"mobisweep 1.0": lambda: MobileNetV1(alpha=1.0),
            "mobisweep 0.75": lambda: MobileNetV1(alpha=0.75),
            "timm mobilenetv1_100": lambda: timm.create_model("mobilenetv1_100")}


def step_rate(net: torch.nn.Module, check: Check, sizes: Sizes, fast: bool) -> float:
    """img/s of ``sizes.step_steps`` SGD steps on a fixed batch, after two warm-up steps; ``fast``:
    channels_last, and bf16 autocast on a GPU (on a CPU without bf16 units it is emulated, and
    slower than fp32: the miniature keeps fp32 there)."""
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    fmt = torch.channels_last if fast else torch.contiguous_format
    x = torch.randn(sizes.step_batch, 3, sizes.step_resolution, sizes.step_resolution,
                    device=check.device).contiguous(memory_format=fmt)
    y = torch.randint(0, 1000, (sizes.step_batch,), device=check.device)
    for i in range(sizes.step_steps + 2):
        if i == 2:
            check.sync()
            start = time.perf_counter()
        with torch.autocast(check.device, dtype=torch.bfloat16,
                            enabled=fast and check.device == "cuda"):
            loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    check.sync()
    return sizes.step_batch * sizes.step_steps / (time.perf_counter() - start)


def fast_variant(device: str) -> str:
    return "bf16+channels_last" if device == "cuda" else "channels_last"


def train_step(check: Check, sizes: Sizes, compile_backend: str) -> None:
    fast = fast_variant(check.device)
    variants = {"fp32": (False, False), fast: (True, False), f"{fast}+compile": (True, True)}
    nets: dict[tuple[str, str], torch.nn.Module] = {}
    for model, make in _models().items():
        for variant, (channels_last, compiled) in variants.items():
            net = make().to(check.device).train()
            if channels_last:
                net = net.to(memory_format=torch.channels_last)
            nets[model, variant] = torch.compile(net, backend=compile_backend) if compiled else net
    rates: dict[tuple[str, str], list[float]] = {key: [] for key in nets}
    for key, net in nets.items():  # warm-up: compilation, cuDNN's algorithm search
        step_rate(net, check, replace(sizes, step_steps=1), fast=key[1] != "fp32")
    for _ in range(sizes.rounds):
        for key, net in nets.items():
            rates[key].append(step_rate(net, check, sizes, fast=key[1] != "fp32"))
    check.say(f"## 1. Training step, {sizes.step_resolution} px, batch {sizes.step_batch} "
              f"(img/s, median of {sizes.rounds} rounds)\n")
    check.say("| model | " + " | ".join(variants) + " |")
    check.say("|---|" + "---:|" * len(variants))
    medians = {key: statistics.median(values) for key, values in rates.items()}
    for model in _models():
        check.say(f"| {model} | " + " | ".join(f"{medians[model, v]:.0f}" for v in variants) + " |")
        for variant in variants:
            check.record(
                "train_step", f"{model} {variant}", "images_per_s", medians[model, variant]
            )
    check.say("")
    for variant in variants:
        ratio = medians["mobisweep 1.0", variant] / medians["timm mobilenetv1_100", variant]
        check.record("train_step", variant, "mobisweep_over_timm", ratio)
        check.say(f"- mobisweep 1.0 / timm, {variant}: {ratio:.2f}x")
    for model in _models():
        mixed = medians[model, fast] / medians[model, "fp32"]
        compiled = medians[model, f"{fast}+compile"] / medians[model, fast]
        check.record("train_step", model, "fast_over_fp32", mixed)
        check.record("train_step", model, "compile_over_eager", compiled)
        check.say(f"- {model}: {fast} / fp32 {mixed:.2f}x; compile / eager "
                  f"{compiled:.2f}x")


def _time_runs(run: Callable[[], None], check: Check, runs: int) -> list[float]:
    """Milliseconds per run: CUDA events on a GPU, the wall clock on a CPU."""
    times = []
    for _ in range(runs):
        if check.device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            run()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            begin = time.perf_counter()
            run()
            times.append((time.perf_counter() - begin) * 1e3)
    return times


def latency(check: Check, sizes: Sizes) -> None:
    check.say(f"\n## 2. Latency at {sizes.latency_base}·rho (ms, median of {sizes.latency_runs} "
              "runs after warm-up; CV in brackets)\n")
    modes = ["eager"] + (["cuda_graph"] if check.device == "cuda" else [])
    header = [f"{mode} b{batch}" for batch in sizes.latency_batches for mode in modes]
    check.say("| alpha | rho | px | " + " | ".join(header) + " |")
    check.say("|---|---|---|" + "---:|" * len(header))
    for alpha in ALPHAS:
        net = MobileNetV1(alpha=alpha).to(check.device).eval()
        net = net.to(memory_format=torch.channels_last)
        for rho in RHOS:
            resolution = round(sizes.latency_base * rho)
            cells = []
            for batch in sizes.latency_batches:
                x = torch.randn(batch, 3, resolution, resolution, device=check.device)
                x = x.contiguous(memory_format=torch.channels_last)
                with torch.no_grad():
                    runners = {"eager": lambda net=net, x=x: net(x)}
                    if "cuda_graph" in modes:
                        runners["cuda_graph"] = _graph(net, x)
                    for mode in modes:
                        for _ in range(3):
                            runners[mode]()
                        times = _time_runs(runners[mode], check, sizes.latency_runs)
                        median = statistics.median(times)
                        cv = statistics.pstdev(times) / statistics.mean(times)
                        name = f"alpha {alpha} rho {rho:.3f} batch {batch} {mode}"
                        check.record("latency", name, "median_ms", median)
                        check.record("latency", name, "cv", cv)
                        cells.append(f"{median:.3f} ({cv:.2f})")
            check.say(f"| {alpha} | {rho:.3f} | {resolution} | " + " | ".join(cells) + " |")


def _graph(net: torch.nn.Module, x: torch.Tensor) -> Callable[[], None]:
    """The forward pass captured once as a CUDA graph: one launch instead of ~90 kernels."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            net(x)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        net(x)
    return graph.replay


def loader(check: Check, sizes: Sizes, archive: Path, cores: int) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # what one loader worker has
    with tempfile.TemporaryDirectory() as folder:
        make_tree(archive, Path(folder), sizes.loader_images, classes=1)
        paths = sorted(str(p) for p in (Path(folder) / "train").rglob("*.jpg"))
        cpu = CropLoader("jpeg-scaled", RandomCropPlan(224), 224)
        read = CropLoader("device", RandomCropPlan(224), 224)
        rates: dict[str, list[float]] = {"cpu decode, per core": [], "bytes read, per core": [],
                                         f"{check.device} batch decode": []}
        for _ in range(sizes.rounds):
            start = time.perf_counter()
            for path in paths:
                cpu(path)
            rates["cpu decode, per core"].append(len(paths) / (time.perf_counter() - start))
            start = time.perf_counter()
            samples = [(read(path), 0) for path in paths]
            rates["bytes read, per core"].append(len(paths) / (time.perf_counter() - start))
            batches = [collate_encoded(samples[i:i + sizes.loader_batch])
                       for i in range(0, len(samples), sizes.loader_batch)]
            decode_on_device(*batches[0][0], 224, check.device)  # warm-up: nvJPEG's handles
            check.sync()
            start = time.perf_counter()
            for (encoded, crops), _ in batches:
                decode_on_device(encoded, crops, 224, check.device)
            check.sync()
            rates[f"{check.device} batch decode"].append(len(paths) / (time.perf_counter() - start))
    torch.set_num_threads(threads)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    cpu_path = cores * medians["cpu decode, per core"]
    device_path = min(
        cores * medians["bytes read, per core"], medians[f"{check.device} batch decode"]
    )
    check.say(f"\n## 3. Image-folder loader, {len(paths)} JPEGs of 500x375, RandomResizedCrop 224 "
              f"(img/s, median of {sizes.rounds} rounds)\n")
    for name, value in medians.items():
        check.record("loader", name, "images_per_s", value)
        check.say(f"- {name}: {value:.0f}")
    check.record("loader", f"{cores} cores, decode on the cpu", "images_per_s", cpu_path)
    check.record("loader", f"{cores} cores, decode on the {check.device}", "images_per_s",
                 device_path)
    check.say(f"- with {cores} loader cores: decoding on the CPU {cpu_path:.0f} img/s, on the "
              f"{check.device} {device_path:.0f} img/s ({device_path / cpu_path:.2f}x)")


def thin_vs_shallow(check: Check, sizes: Sizes, archive: Path, trainer: str) -> None:
    """Both networks trained by ``python -m mobisweep`` for the epochs that the time left allows."""
    from mobisweep.data import TinyImageNetDataModule

    models = ("mobilenet_075", "mobilenet_shallow")
    # Decoded into the cache the runs below read (paths.data_dir=data), before the clock is split.
    TinyImageNetDataModule(root=str(archive), classes=sizes.tiny_classes,
                           num_classes=sizes.tiny_classes or 200, resolution=sizes.tiny_resolution,
                           cache_dir=str(REPO / "data/tiny-imagenet-cache")).load()
    epoch_images = (sizes.tiny_subset or 500 * (sizes.tiny_classes or 200))
    # Epoch time from part 1's fast rate at 224 px, scaled to 128 px, with half of it again for
    # validation and the loop: a guess that max_time below keeps honest.
    step = [
        r["value"] for r in check.rows if r["name"] == f"mobisweep 1.0 {fast_variant(check.device)}"
    ]
    rate = step[0] * (sizes.step_resolution / sizes.tiny_resolution) ** 2 if step else 1.0
    epoch_s = 1.5 * epoch_images / rate
    per_model_s = max(0.0, check.left_s() - 60) / len(models)
    epochs = int(min(sizes.max_epochs, max(1, per_model_s // epoch_s)))
    data = f"{sizes.tiny_subset} images of {sizes.tiny_classes} classes" if sizes.tiny_classes \
        else "the full Tiny ImageNet (200 classes, 100,000 images)"
    check.say(f"\n## 4. Thin vs shallow on {data}, in memory, augmented on the {check.device}, at "
              f"{sizes.tiny_resolution} px: {epochs} epochs each, seed 0\n")
    curves: dict[str, list[dict]] = {}
    for model in models:
        with tempfile.TemporaryDirectory() as run_dir:
            limit = max(60, int(per_model_s))
            overrides = [
                f"hydra.run.dir={run_dir}",
                f"model={model}",
                "data=tiny_imagenet",
                f"data.root={archive}",
                "data.train_subset=null",
                "data.val_subset=null",
                f"data.base_resolution={sizes.tiny_resolution}",
                f"trainer={trainer}",
                f"trainer.max_epochs={epochs}",
                f"+trainer.max_time=00:00:{limit // 60:02d}:{limit % 60:02d}",
                "optimizer.lr=0.05",
                "scheduler.warmup_epochs=0.5",
                "latency=none",
                "logger=csv",
                "seed=0",
            ]
            if sizes.tiny_classes:
                overrides += [f"data.classes={sizes.tiny_classes}",
                              f"data.train_subset={sizes.tiny_subset}",
                              f"data.val_subset={sizes.tiny_subset}"]
            done = subprocess.run([sys.executable, "-m", "mobisweep", *overrides], cwd=REPO,
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"thin vs shallow: {model} failed:\n{done.stderr[-3000:]}")
            curves[model] = json.loads((Path(run_dir) / "result.json").read_text())["curves"]
    check.say("| epoch | " + " | ".join(f"{m} top-1" for m in models) + " |")
    check.say("|---:|" + "---:|" * len(models))
    for epoch in range(max(len(c) for c in curves.values())):
        cells = [f"{100 * c[epoch]['val/acc1']:.2f}" if epoch < len(c) else "" for c in
                 curves.values()]
        check.say(f"| {epoch + 1} | " + " | ".join(cells) + " |")
        for model, curve in curves.items():
            if epoch < len(curve):
                check.record("thin_vs_shallow", model, f"epoch {epoch + 1} val/acc1",
                             curve[epoch]["val/acc1"])
    thin, shallow = (curves[m][-1]["val/acc1"] for m in models)
    check.record("thin_vs_shallow", "thin - shallow", "val/acc1 gap", thin - shallow)
    check.record("thin_vs_shallow", "epochs", "completed",
                 min(len(c) for c in curves.values()))
    check.say(f"\n- thin (0.75 MobileNet) - shallow: {100 * (thin - shallow):+.2f} points after "
              f"{min(len(c) for c in curves.values())} epochs (the paper: +3.1 at 224 px on "
              "ImageNet)")


def main(argv: list[str] | None = None) -> Check:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--miniature", action="store_true", help="tiny sizes, one round")
    parser.add_argument("--archive", type=Path,
                        default=REPO.parent / "shared/data/tiny-imagenet-200.tar.gz")
    parser.add_argument("--cores", type=int, default=8, help="loader cores per GPU to size for")
    parser.add_argument("--compile-backend", default="inductor",
                        help="torch.compile's backend (eager: tracing only, for the miniature)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/gpu_check")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device=cuda: no CUDA device here (--device cpu --miniature runs the "
                         "check in miniature)")
    sizes = MINIATURE if args.miniature else Sizes()
    check = Check(args.device, args.minutes, args.out)
    name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    check.say(f"# GPU check: {name}, torch {torch.__version__}"
              + (" (miniature)" if args.miniature else "") + "\n")
    started = time.monotonic()
    parts = {"train_step": lambda: train_step(check, sizes, args.compile_backend),
             "latency": lambda: latency(check, sizes),
             "loader": lambda: loader(check, sizes, args.archive, args.cores),
             "thin_vs_shallow": lambda: thin_vs_shallow(
                 check, sizes, args.archive, "gpu" if args.device == "cuda" else "default")}
    for part, run in parts.items():
        begun = time.monotonic()
        run()
        check.record(part, "part", "seconds", time.monotonic() - begun)
    seconds = {r["part"]: r["value"] for r in check.rows if r["metric"] == "seconds"}
    check.say(f"\n{time.monotonic() - started:.0f} s in all ("
              + ", ".join(f"{part} {s:.0f} s" for part, s in seconds.items()) + ").")
    check.write()
    return check


if __name__ == "__main__":
    main()
