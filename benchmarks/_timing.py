"""Shared timing helpers: several repeats after a warm-up, medians, ratios in one run."""
import gc
import statistics
import time

# One BLAS thread for numpy, as for torch below: on a small shared machine threads add more
# noise than speed, and both sides of every ratio then run under the same conditions.
try:
    from threadpoolctl import threadpool_limits
except ImportError:
    pass
else:
    threadpool_limits(1)


def median_time(fn, repeats=7, warmup=2, number=1):
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs of ``number`` calls each.

    The cyclic garbage collector is paused while timing, as ``timeit`` does.
    """
    return interleaved_medians([fn], repeats=repeats, warmup=warmup, number=number)[0]


def interleaved_medians(fns, repeats=7, warmup=1, number=1):
    """Median seconds per call of each function in ``fns``, timed in turns (a, b, a, b, ...)
    so that a slow spell of a shared machine hits every contender alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for fn, bucket in zip(fns, times):
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                bucket.append((time.perf_counter() - t0) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return [statistics.median(bucket) for bucket in times]


def format_seconds(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.2f} {unit}"
    return f"{seconds * 1e9:.0f} ns"


def report(title, rows, target=None):
    """Print ``rows`` of (label, seconds, ratio-or-None) as an aligned table."""
    print(f"\n## {title}")
    for label, seconds, ratio in rows:
        r = f"{ratio:6.2f}x" if ratio is not None else ""
        print(f"  {label:<48} {format_seconds(seconds):>12}  {r}")
    if target is not None:
        print(f"  target: {target}")


def try_import_torch():
    try:
        import torch
        torch.set_num_threads(1)
        return torch
    except ImportError:
        return None
