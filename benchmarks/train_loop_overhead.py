"""Images/s of mobisweep's training loop (Lightning, W&B offline, progress bar) vs a bare PyTorch loop.

Same model, data module, batch, optimizer, schedule and threads; the two loops alternate, and the
ratio of medians over ``--repeats`` rounds is printed. Not a timed test: run it on an idle machine.

    .venv/bin/python benchmarks/train_loop_overhead.py --alpha 0.5 --images 6400 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate

from mobisweep.callbacks import ProgressBar, TrainingThroughput
from mobisweep.config import config_composer, instantiate_node
from mobisweep.models.factory import build_model
from mobisweep.module import ClassificationModule, parameter_groups
from mobisweep.tracking import finish, make_logger


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
    net = build_model(cfg).to(memory_format=torch.channels_last).train()
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
    module = ClassificationModule(build_model(cfg), num_classes=cfg.data.num_classes,
                                  optimizer=instantiate(cfg.optimizer),
                                  scheduler=instantiate(cfg.scheduler), **cfg.module)
    logger = make_logger(cfg.logger, name="benchmark")
    throughput = TrainingThroughput()
    trainer = instantiate(cfg.trainer, logger=logger, callbacks=[ProgressBar(), throughput],
                          default_root_dir=cfg.paths.output_dir)
    try:
        trainer.fit(module, datamodule=data)
    finally:
        finish(logger)
    return throughput.images_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--data", default="fashion_mnist")
    parser.add_argument("--images", type=int, default=6400)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("WANDB_SILENT", "true")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    bare, ours = [], []
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = compose(args, output_dir)
        bare_loop(cfg)  # warm-up: first-touch allocations, oneDNN kernel selection
        for _ in range(args.repeats):
            bare.append(bare_loop(cfg))
            ours.append(mobisweep_loop(cfg))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"alpha={args.alpha} data={args.data} images={args.images} batch={args.batch} "
          f"resolution={cfg.data.resolution}")
    print(f"bare PyTorch loop : {b:8.1f} img/s  (rounds: {', '.join(f'{v:.0f}' for v in bare)})")
    print(f"mobisweep loop    : {o:8.1f} img/s  (rounds: {', '.join(f'{v:.0f}' for v in ours)})")
    print(f"ratio mobisweep / bare = {o / b:.3f}")


if __name__ == "__main__":
    main()
