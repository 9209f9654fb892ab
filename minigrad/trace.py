"""``backward(trace=True)``: print each chain-rule step so backprop can be followed by hand."""
import numpy as np

from .tensor import Tensor


def _fmt(a) -> str:
    if a is None:
        return "-"
    data = a.data if isinstance(a, Tensor) else np.asarray(a)
    if data.size == 1:
        return f"{data.item():.6g}"
    if data.size <= 6:
        return np.array2string(data, precision=4, separator=", ").replace("\n", "")
    return f"<{data.shape} mean={data.mean():.4g} |max|={np.abs(data).max():.4g}>"


def print_step(node, upstream, input_grads, file=None) -> None:
    """One line per input: node, upstream gradient dL/d(out), local gradient d(out)/d(in)
    (shown where it is elementwise: result / upstream), and the result dL/d(in)."""
    print(f"{node.name()}Backward: upstream dL/dout = {_fmt(upstream)}", file=file)
    up = upstream.data if isinstance(upstream, Tensor) else np.asarray(upstream)
    for i, g in enumerate(input_grads):
        if g is None:
            continue
        gd = g.data if isinstance(g, Tensor) else np.asarray(g)
        local = "-"
        if gd.shape == up.shape and np.all(up != 0):
            local = _fmt(gd / up)
        print(f"    input {i}: local dout/din = {local}   result dL/din = {_fmt(g)}", file=file)
