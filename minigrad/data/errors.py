"""The errors a data file can raise: a broken file, and a pickle that tries to run code."""
import pickle


class DataFileError(ValueError):
    """A data file that is truncated or not in the expected format; the message names the file."""


class UnsafePickleError(DataFileError, pickle.UnpicklingError):
    """A pickle that asks for something other than plain containers and numpy arrays.

    Raised before anything it names is imported or called, so nothing from the file runs.
    """
