"""Datasets and mini-batch loading (PyTorch's torch.utils.data, the parts a training loop needs)."""
from .dataloader import DataLoader, default_collate
from .dataset import Dataset, TensorDataset

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]
