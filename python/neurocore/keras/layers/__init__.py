"""Keras-named layers over nc.nn modules. Data is channels-last: (N, H, W, C) for images.

Each layer builds lazily: ``build(input_shape)`` (shape without batch axis) creates the nn module once the
input shape is known; the output shape is found by running the built layer once on zeros.
"""
from ..activations import get as get_activation
from .base import Input, InputLayer, Layer
from .convolutional import Conv2D
from .core import Activation, Dense, Dropout, Flatten
from .pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D

__all__ = ["Layer", "InputLayer", "Input", "Dense", "Activation", "Flatten", "Dropout", "Conv2D",
           "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D", "get_activation"]
