"""Keras merging layers (being written)."""

__all__ = []
