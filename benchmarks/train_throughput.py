"""Training throughput, three ratios measured side by side in one process (medians of rounds):

1. one training step (forward, backward, SGD) of mobisweep's MobileNet vs timm's `mobilenetv1_100`:
   alpha 1.0, same resolution, batch, memory format (channels_last) and threads;
2. the whole `python -m mobisweep` training loop (Lightning, metrics, W&B offline, progress bar)
   vs a bare PyTorch loop over the same model, data, optimizer and schedule;
3. the default data pipeline (Fashion-MNIST in memory: batches, resize, flip, translate) vs the
   model's training step, in images/s: the loader must not be what a trial waits for.

Not a timed test: run it on an idle machine.

    .venv/bin/python benchmarks/train_throughput.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import timm
import torch
import torch.nn.functional as F
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate

from mobisweep.config.loading import config_composer
from mobisweep.core.instantiate import instantiate_node
from mobisweep.models import MobileNetV1
from mobisweep.models.factory import build_model
from mobisweep.train.callbacks import ProgressBar, TrainingThroughput
from mobisweep.train.lightning_module import ClassificationModule, parameter_groups
from mobisweep.train.tracking import finish, make_logger


def compose(args: argparse.Namespace, output_dir: str):
    GlobalHydra.instance().clear()
    with config_composer() as compose_config:
        return compose_config([f"model.alpha={args.alpha}", f"data={args.data}",
                               f"data.train_subset={args.images}", f"data.batch_size={args.batch}",
                               f"paths.output_dir={output_dir}", "trainer.max_epochs=1",
                               "trainer.limit_val_batches=0", "logger.mode=offline"])


def bare_loop(cfg) -> float:
    """The loop a user would write by hand: same data path, model, optimizer and schedule."""
    torch.manual_seed(cfg.seed)
    data = instantiate_node(cfg.data)
    data.setup()
    net = build_model(cfg.model, cfg.data.resolution).to(memory_format=torch.channels_last).train()
    optimizer = instantiate(cfg.optimizer)(parameter_groups(net, cfg.module.weight_decay, False))
    steps = len(data.train_dataloader())
    scheduler = instantiate(cfg.scheduler)(optimizer, total_steps=steps, steps_per_epoch=steps)
    images, start = 0, time.perf_counter()
    for x, y in data.train_dataloader():
        x = data.transform(x, training=True)
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        images += len(y)
    return images / (time.perf_counter() - start)


def mobisweep_loop(cfg) -> float:
    """What ``python -m mobisweep`` runs: Lightning Trainer, metrics, W&B offline, progress bar."""
    torch.manual_seed(cfg.seed)
    data = instantiate_node(cfg.data)
    module = ClassificationModule(
        build_model(cfg.model, cfg.data.resolution),
        num_classes=cfg.data.num_classes,
        optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler),
        **cfg.module,
    )
    logger = make_logger(cfg.logger, name="benchmark")
    throughput = TrainingThroughput()
    trainer = instantiate(cfg.trainer, logger=logger, callbacks=[ProgressBar(), throughput],
                          default_root_dir=cfg.paths.output_dir)
    try:
        trainer.fit(module, datamodule=data)
    finally:
        finish(logger)
    return throughput.images_per_s


def step_images_per_s(net: torch.nn.Module, batch: int, resolution: int, steps: int) -> float:
    """Images/s of ``steps`` SGD steps on a fixed random batch (after two warm-up steps)."""
    net = net.to(memory_format=torch.channels_last).train()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, resolution, resolution).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,))
    for i in range(steps + 2):
        if i == 2:
            start = time.perf_counter()
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return batch * steps / (time.perf_counter() - start)


def loader_images_per_s(cfg) -> float:
    """The data pipeline alone, as training consumes it: batches plus the on-device transform."""
    data = instantiate_node(cfg.data)
    data.setup()
    images, start = 0, time.perf_counter()
    for x, y in data.train_dataloader():
        x = data.transform(x, training=True)
        images += len(y)
    return images / (time.perf_counter() - start)


def rounds(label: str, values: list[float]) -> str:
    return f"{label:34s} {statistics.median(values):8.1f} img/s  (rounds: " \
           f"{', '.join(f'{v:.0f}' for v in values)})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=0.5, help="alpha of the loop comparison")
    parser.add_argument("--data", default="fashion_mnist")
    parser.add_argument("--images", type=int, default=6400)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--step-resolution", type=int, default=112)
    parser.add_argument("--step-batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compile", action="store_true",
                        help="also time torch.compile'd MobileNetV1 in the step comparison")
    args = parser.parse_args(argv)
    os.environ.setdefault("WANDB_SILENT", "true")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}, timm {timm.__version__}, {torch.get_num_threads()} threads")

    # 1. One training step: mobisweep's MobileNet vs timm's, alpha 1.0, 1000 classes.
    ours_net, timm_net = MobileNetV1(alpha=1.0), timm.create_model("mobilenetv1_100")
    ours_step, timm_step, compiled_step = [], [], []
    if args.compile:
        compiled = torch.compile(MobileNetV1(alpha=1.0))
        start = time.perf_counter()
        step_images_per_s(compiled, args.step_batch, args.step_resolution, 1)
        print(f"torch.compile warm-up: {time.perf_counter() - start:.0f} s")
    for _ in range(args.repeats):
        ours_step.append(
            step_images_per_s(ours_net, args.step_batch, args.step_resolution, args.steps)
        )
        timm_step.append(
            step_images_per_s(timm_net, args.step_batch, args.step_resolution, args.steps)
        )
        if args.compile:
            compiled_step.append(step_images_per_s(compiled, args.step_batch,
                                                   args.step_resolution, args.steps))
    print(f"1. training step, alpha 1.0, {args.step_resolution} px, batch {args.step_batch}")
    print(rounds("   mobisweep MobileNetV1", ours_step))
    print(rounds("   timm mobilenetv1_100", timm_step))
    if args.compile:
        print(rounds("   mobisweep, torch.compile", compiled_step))
        print(f"   ratio compiled / eager = "
              f"{statistics.median(compiled_step) / statistics.median(ours_step):.3f}")
    step_ratio = statistics.median(ours_step) / statistics.median(timm_step)
    print(f"   ratio mobisweep / timm = {step_ratio:.3f}  (>= 0.95: no slower)")

    # 2 and 3. The loop and the loader on the default data.
    bare, ours, loader = [], [], []
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = compose(args, output_dir)
        bare_loop(cfg)  # warm-up: first-touch allocations, oneDNN kernel selection
        for _ in range(args.repeats):
            bare.append(bare_loop(cfg))
            ours.append(mobisweep_loop(cfg))
            loader.append(loader_images_per_s(cfg))
    print(f"2. training loop, alpha={args.alpha} data={args.data} images={args.images} "
          f"batch={args.batch} resolution={cfg.data.resolution}")
    print(rounds("   bare PyTorch loop", bare))
    print(rounds("   mobisweep loop", ours))
    print(f"   ratio mobisweep / bare = {statistics.median(ours) / statistics.median(bare):.3f}"
          "  (>= 0.90: within 10 %)")
    print("3. data pipeline vs model (same data, batch, resolution)")
    print(rounds("   loader + transform", loader))
    print(rounds("   training step (bare loop)", bare))
    print(f"   ratio loader / model = {statistics.median(loader) / statistics.median(bare):.1f}x"
          "  (>= 3x: the loader keeps up)")


if __name__ == "__main__":
    main()
