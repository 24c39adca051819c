"""Small data sets: the shipped 8x8 digits, and generated XOR and spirals."""
from ._digits import Bunch, load_digits
from ._synthetic import make_spirals, make_xor

__all__ = ["load_digits", "make_xor", "make_spirals", "Bunch"]
