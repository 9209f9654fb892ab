"""Neural-network building blocks in PyTorch's style: ``Module``, ``Parameter``, layers, losses.

``import minigrad.nn.functional as F`` for the stateless functions; ``nn.init`` for
initialisers.
"""
from . import functional, init
from .activations import Identity, ReLU, Sigmoid, Tanh
from .container import Sequential
from .linear import Linear
from .losses import CrossEntropyLoss, MSELoss, MulticlassHingeLoss
from .module import IncompatibleKeys, Module
from .parameter import Parameter

__all__ = ["Parameter", "Module", "IncompatibleKeys", "Linear", "Sequential", "ReLU", "Tanh",
           "Sigmoid", "Identity", "CrossEntropyLoss", "MulticlassHingeLoss", "MSELoss",
           "functional", "init"]
