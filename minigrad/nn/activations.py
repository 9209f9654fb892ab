"""Activation layers: parameter-free modules wrapping an elementwise function."""
from . import functional as F
from .module import Module

__all__ = ["ReLU", "Tanh", "Sigmoid", "Identity"]


class ReLU(Module):
    """max(x, 0) elementwise."""

    def forward(self, x):
        return F.relu(x)


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x):
        return F._as_tensor(x).tanh()


class Sigmoid(Module):
    """1 / (1 + e^-x) elementwise."""

    def forward(self, x):
        return F._as_tensor(x).sigmoid()


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); ignores any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
