"""Datasets and mini-batch loading (PyTorch's torch.utils.data, the parts a training loop needs), and
sequence tools for token data (one_hot, pad_sequences, Tokenizer)."""
from .dataloader import DataLoader, default_collate
from .dataset import Dataset, TensorDataset
from .text import Tokenizer, Vocabulary, one_hot, pad_sequences

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate",
           "one_hot", "pad_sequences", "Tokenizer", "Vocabulary"]
