"""A live grid of what a model generates (a GAN's digits): the images a plugin's ``generate`` returns.

The images are made on the training thread, between batches; this widget
only tiles the numpy array it is given into a pixmap.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

GAP = 1  # pixels between tiles


def tile(images: np.ndarray) -> np.ndarray:
    """(N, H, W[, C]) in [0, 1] → one (rows*H, cols*W, C) uint8 image, as square as N allows."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"generate must return images of shape (N, H, W[, 1 or 3]), got {images.shape}")
    count, height, width, channels = images.shape
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    grid = np.zeros((rows * (height + GAP) - GAP, cols * (width + GAP) - GAP, channels), np.uint8)
    pixels = (np.clip(np.nan_to_num(images), 0.0, 1.0) * 255).round().astype(np.uint8)
    for i in range(count):
        r, c = divmod(i, cols)
        grid[r * (height + GAP): r * (height + GAP) + height, c * (width + GAP): c * (width + GAP) + width] = pixels[i]
    return grid


class SampleGrid(QLabel):
    """Shows the newest generated images, scaled up by whole pixels to fill the space."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sampleGrid")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: np.ndarray | None = None  # the tiled grid, uint8 (H, W, C)
        self.updates = 0
        self.clear_images()

    def clear_images(self) -> None:
        self.image = None
        self.setPixmap(QPixmap())
        self.setText("Generated samples appear here\nwhile a model with generate() trains")

    def show_images(self, images) -> None:
        try:
            self.image = tile(images)
        except ValueError as exc:
            self.setText(str(exc))
            return
        self.updates += 1
        self._draw()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self.image is not None:
            self._draw()

    def _draw(self):
        grid = np.ascontiguousarray(self.image if self.image.shape[-1] == 3 else self.image[..., 0])
        height, width = grid.shape[:2]
        fmt = QImage.Format.Format_RGB888 if grid.ndim == 3 else QImage.Format.Format_Grayscale8
        image = QImage(grid.data, width, height, grid.strides[0], fmt).copy()  # copy: own the pixels
        scale = max(1, min(self.width() // width, self.height() // height))
        self.setPixmap(QPixmap.fromImage(image).scaled(width * scale, height * scale,
                                                       Qt.AspectRatioMode.KeepAspectRatio,
                                                       Qt.TransformationMode.FastTransformation))
