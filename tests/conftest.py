import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))  # tests/op_specs.py and other test helpers

import minigrad as mg  # noqa: E402
from hypothesis import settings  # noqa: E402

# CI runs the property tests on a fixed sequence of examples (no flakiness between runs);
# locally hypothesis explores new examples each run and remembers failures in .hypothesis/.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The tests multiply small matrices; on a small shared machine a threaded BLAS spends more
# time handing work between threads than computing (5-50x slower under load). One thread.
try:
    from threadpoolctl import threadpool_limits
except ImportError:  # scikit-learn (the data extra) brings it
    pass
else:
    threadpool_limits(1)


@pytest.fixture(autouse=True)
def _isolate_global_state():
    """Each test starts with the default dtype and grad mode, whatever the previous one did."""
    dtype = mg.get_default_dtype()
    yield
    mg.set_default_dtype(dtype)
    assert mg.is_grad_enabled(), "a test left grad mode off"
    assert not mg.is_anomaly_enabled(), "a test left anomaly mode on"


@pytest.fixture
def rng():
    return np.random.default_rng(0)
