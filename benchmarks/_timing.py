"""Shared timing helpers: several repeats after a warm-up, medians, ratios in one run."""
import gc
import statistics
import time


def median_time(fn, repeats=7, warmup=2, number=1):
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs of ``number`` calls each.

    The cyclic garbage collector is paused while timing, as ``timeit`` does.
    """
    for _ in range(warmup):
        fn()
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - t0) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(times)


def report(title, rows, target=None):
    """Print ``rows`` of (label, seconds, ratio-or-None) as an aligned table."""
    print(f"\n## {title}")
    for label, seconds, ratio in rows:
        r = f"{ratio:6.2f}x" if ratio is not None else ""
        print(f"  {label:<44} {seconds * 1e6:12.1f} us  {r}")
    if target is not None:
        print(f"  target: {target}")


def try_import_torch():
    try:
        import torch
        torch.set_num_threads(1)
        return torch
    except ImportError:
        return None
