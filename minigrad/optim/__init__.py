"""Optimizers behind one interface, from random search to Adam (``torch.optim``'s semantics).

>>> import minigrad as mg
>>> from minigrad import optim
>>> w = mg.tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> opt.step()
>>> w
tensor([ 0.8, -1.6], requires_grad=True)

Learning-rate schedules live in :mod:`minigrad.optim.lr_scheduler`.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .evaluations import Evaluations
from .optimizer import Optimizer
from .random_search import RandomSearch
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "Evaluations", "RandomSearch", "SGD", "Adagrad", "RMSprop", "Adam",
           "AdamW", "lr_scheduler"]
