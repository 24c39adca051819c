"""PyTorch-style neural-network building blocks: Module, layers, losses, init, functional.

>>> import neurocore as nc
>>> net = nc.nn.Sequential(nc.nn.Linear(2, 2), nc.nn.Sigmoid(), nc.nn.Linear(2, 1))
>>> net
Sequential(
  (0): Linear(in_features=2, out_features=2, bias=True)
  (1): Sigmoid()
  (2): Linear(in_features=2, out_features=1, bias=True)
)
"""
from . import functional, init, utils
from .activation import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax,
                         Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Softsign, Step, Swish, Tanh)
from .container import ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, FeatureAlphaDropout
from .embedding import Embedding
from .linear import Flatten, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, FocalLoss, HingeLoss, HuberLoss,
                   KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, MultiMarginLoss, NLLLoss, PerceptronLoss,
                   PoissonNLLLoss, SmoothL1Loss, TripletMarginLoss)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d,
                      LPPool1d, LPPool2d, MaxPool1d, MaxPool2d, MinPool2d)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

__all__ = [
    "Conv1d", "Conv2d",
    "Module", "Parameter",
    "Linear", "Identity", "Flatten", "Sequential", "ModuleList",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Step", "ReLU6", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Swish", "Mish", "Softplus", "Softsign",
    "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "HuberLoss", "SmoothL1Loss", "HingeLoss", "PerceptronLoss", "MultiMarginLoss", "KLDivLoss", "PoissonNLLLoss",
    "FocalLoss", "TripletMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
    "MaxPool1d", "MaxPool2d", "MinPool2d", "AvgPool1d", "AvgPool2d", "LPPool1d", "LPPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
    "Embedding", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
    "Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout",
    "functional", "init", "utils",
]
