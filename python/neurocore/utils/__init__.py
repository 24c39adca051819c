"""Utilities: numerical gradient checking."""
from .gradcheck import gradcheck, GradcheckError

__all__ = ["gradcheck", "GradcheckError"]
