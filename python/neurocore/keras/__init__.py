"""Keras-style front end built on nc.nn and nc.optim: Sequential and functional models (``Input``,
``Model(inputs, outputs)``), Keras-named layers, compile/fit/evaluate/predict, callbacks. Image data is
channels-last (N, H, W, C), as in Keras.

>>> import numpy as np
>>> import neurocore as nc
>>> from neurocore.keras import Sequential
>>> from neurocore.keras.layers import Dense
>>> model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(3, activation="softmax")])
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
>>> model.count_params()
67
>>> h = model.fit(np.zeros((10, 4)), np.zeros(10, dtype=int), epochs=2, verbose=0)
>>> sorted(h.history)
['accuracy', 'loss']
>>> model.predict(np.zeros((5, 4)), verbose=0).shape
(5, 3)
"""
from . import activations, callbacks, initializers, layers, losses, metrics, optimizers, regularizers, saving
from .keras_tensor import KerasTensor
from .layers import Input
from .models import Functional, Model, Sequential
from .saving import load_model

__all__ = ["Sequential", "Model", "Functional", "Input", "KerasTensor", "load_model", "layers", "callbacks",
           "optimizers", "losses", "metrics", "activations", "initializers", "regularizers", "saving"]
