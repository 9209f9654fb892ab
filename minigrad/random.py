"""The package's random number generator, so that one seed makes a whole run reproducible."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind ``mg.randn``, ``mg.rand`` and parameter initialisation."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used when no ``generator=`` is passed."""
    return _generator
