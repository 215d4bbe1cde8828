"""LightningDataModules of the study; each is a config in ``conf/data/``."""

from mobisweep.data.digits import DigitsDataModule
from mobisweep.data.fashion_mnist import FashionMNISTDataModule
from mobisweep.data.folder import ImageFolderDataModule
from mobisweep.data.imagenet import (
    ImageNet100DataModule,
    ImageNetDataModule,
    ImagenetteDataModule,
    ImagewoofDataModule,
)
from mobisweep.data.tiny_imagenet import TinyImageNetDataModule

__all__ = [
    "DigitsDataModule", "FashionMNISTDataModule", "ImageFolderDataModule", "ImageNet100DataModule",
    "ImageNetDataModule", "ImagenetteDataModule", "ImagewoofDataModule", "TinyImageNetDataModule",
]
