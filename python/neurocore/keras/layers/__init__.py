"""Keras-named layers over nc.nn modules. Data is channels-last: (N, H, W, C) for images, (N, T, C) for sequences.

Each layer builds lazily: ``build(input_shape)`` (shape without batch axis) creates the nn module once the
input shape is known; the output shape is found by running the built layer once on zeros. Each family lives in
its own module; this package re-exports every module's ``__all__``.
"""
from ..activations import get as get_activation
from . import base, convolutional, core, embedding, input_layer, merging, normalization, pooling, recurrent, reshaping
from .base import *  # noqa: F401,F403
from .convolutional import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .input_layer import *  # noqa: F401,F403
from .merging import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .reshaping import *  # noqa: F401,F403

_MODULES = (base, input_layer, core, convolutional, pooling, normalization, reshaping, embedding, recurrent, merging)
__all__ = ["get_activation"] + [name for module in _MODULES for name in module.__all__]
