"""The MobileNet v1 paper's published figures, as data (Howard et al., 2017, arXiv:1704.04861).

Each row names the mobisweep config overrides that build the same network at the paper's setting
(ImageNet: 224 px, 1000 classes), so the code can be checked against the paper row by row.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaperRow:
    """One model in one of the paper's tables."""

    table: int
    name: str
    overrides: tuple[str, ...]
    mult_adds_M: float
    params_M: float
    top1: float
    without_fc: bool = False  # the paper's mult-adds leave out the fully connected layer
    # Why mobisweep's count differs; a template filled from the count itself: {mult_adds}, {flops}
    # and each layer type ({conv}, {fc}, ...) in M.
    note: str = ""

    @property
    def resolution(self) -> int:
        for override in self.overrides:
            if override.startswith("data.resolution="):
                return int(override.split("=", 1)[1])
        return 224


def _mobilenet(table: int, name: str, alpha: float, resolution: int, mult_adds: float,
               params: float, top1: float) -> PaperRow:
    overrides = [] if alpha == 1.0 else [f"model.alpha={alpha}"]
    overrides += [] if resolution == 224 else [f"data.resolution={resolution}"]
    return PaperRow(table, name, tuple(overrides), mult_adds, params, top1)


PAPER_ROWS: tuple[PaperRow, ...] = (
    PaperRow(
        4,
        "Conv MobileNet",
        ("model.block=full",),
        4866,
        29.3,
        71.7,
        without_fc=True,
        note="the paper's 4866 M leaves out the FC layer ({fc:,.2f} M mult-adds)",
    ),
    _mobilenet(4, "MobileNet", 1.0, 224, 569, 4.2, 70.6),
    _mobilenet(5, "0.75 MobileNet", 0.75, 224, 325, 2.6, 68.4),
    PaperRow(5, "Shallow MobileNet", ("model.depth=0",), 307, 2.9, 65.3),
    _mobilenet(6, "1.0 MobileNet-224", 1.0, 224, 569, 4.2, 70.6),
    _mobilenet(6, "0.75 MobileNet-224", 0.75, 224, 325, 2.6, 68.4),
    _mobilenet(6, "0.5 MobileNet-224", 0.5, 224, 149, 1.3, 63.7),
    _mobilenet(6, "0.25 MobileNet-224", 0.25, 224, 41, 0.5, 50.6),
    _mobilenet(7, "1.0 MobileNet-224", 1.0, 224, 569, 4.2, 70.6),
    _mobilenet(7, "1.0 MobileNet-192", 1.0, 192, 418, 4.2, 69.1),
    _mobilenet(7, "1.0 MobileNet-160", 1.0, 160, 290, 4.2, 67.2),
    _mobilenet(7, "1.0 MobileNet-128", 1.0, 128, 186, 4.2, 64.4),
    PaperRow(
        8,
        "GoogleNet",
        ("model=googlenet",),
        1550,
        6.8,
        69.8,
        note="torchvision's GoogLeNet uses 3x3 kernels where Inception v1's '5x5' branch has "
        "5x5 (kept for its ported weights), so it counts fewer mult-adds and params",
    ),
    PaperRow(
        8,
        "VGG 16",
        ("model=vgg16",),
        15300,
        138,
        71.5,
        note="the paper's 15300 M is about the convolutions alone ({conv:,.0f} M); the three FC "
        "layers add {fc:,.0f} M",
    ),
    _mobilenet(8, "1.0 MobileNet-224", 1.0, 224, 569, 4.2, 70.6),
    _mobilenet(9, "0.50 MobileNet-160", 0.5, 160, 76, 1.32, 60.2),
    PaperRow(
        9,
        "Squeezenet",
        ("model=squeezenet",),
        1700,
        1.25,
        57.5,
        note="the paper's 1700 M is about twice SqueezeNet 1.0's {mult_adds:,.0f} M mult-adds: a "
        "FLOP count (2 per mult-add: {flops:,.0f} M), not mult-adds",
    ),
    PaperRow(
        9,
        "AlexNet",
        ("model=alexnet",),
        720,
        60,
        57.2,
        note="torchvision's AlexNet is the one-tower variant (64-192-384-256-256 channels), "
        "not the paper's original two-tower network",
    ),
)

# Table 2: share of mult-adds and of parameters per layer type, MobileNet 1.0-224.
TABLE_2: dict[str, tuple[float, float]] = {
    "conv1x1": (94.86, 74.59),
    "depthwise": (3.06, 1.06),
    "conv": (1.19, 0.02),
    "fc": (0.18, 24.33),
}
