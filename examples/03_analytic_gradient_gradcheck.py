"""Approach 3, the analytic gradient, and the gradient check the article recommends.

The loss is a function of W, so calculus gives its gradient exactly; minigrad records the
operations as they run and ``loss.backward()`` applies the chain rule through them (for the
softmax cross-entropy, dL/dscores = softmax(scores) - onehot(y), then dL/dW = that^T X / N).
One backward pass costs about one forward pass, whatever the number of weights.

Then the check, in float64: the analytic gradient against the numeric one, as the CS231n
relative error |a - n| / (|a| + |n|):

* ``gradcheck_sparse``: 10 random coordinates (the usual practice; 20 loss evaluations);
* every coordinate: its worst entry and the error of the whole gradient vector;
* ``gradcheck``: PyTorch's entry-by-entry check, and what it says about a wrong backward.

    python examples/03_analytic_gradient_gradcheck.py
"""
import time

import numpy as np

import minigrad as mg
from digits_classifier import load, small_random_weights, softmax_loss
from minigrad.gradcheck import (GradcheckError, gradcheck, gradcheck_sparse, numerical_grad,
                                relative_error)


class WrongSquare(mg.Function):
    """x^2 with a deliberately wrong derivative (x instead of 2x): what a gradient check is for."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # the bug: d(x^2)/dx is 2x


def timed(function):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main():
    X, y, _, _ = load(dtype=np.float64)  # a gradient check wants float64
    W = small_random_weights()

    def loss_of(W):
        return softmax_loss(X, y, W)

    def forward_backward():
        loss = loss_of(W)
        loss.backward()  # fills W.grad
        return loss

    loss, analytic_seconds = timed(forward_backward)
    analytic = W.grad.numpy()
    numeric, numeric_seconds = timed(lambda: numerical_grad(loss_of, W, eps=1e-5))
    print(f"loss {loss.item():.6f}; gradient of W {W.shape}: forward + backward "
          f"{analytic_seconds * 1e3:.2f} ms, numeric (1301 loss evaluations) "
          f"{numeric_seconds * 1e3:.0f} ms, {numeric_seconds / analytic_seconds:.0f} times slower")

    report = gradcheck_sparse(loss_of, W, analytic, num_checks=10, seed=0)
    print(report)
    print(f"sparse check: max relative error {report.max_relative_error:.2e}")

    errors = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-300)
    worst = np.unravel_index(errors.argmax(), errors.shape)
    whole = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic)
                                                  + np.linalg.norm(numeric))
    print(f"all {analytic.size} coordinates: max relative error "
          f"{relative_error(analytic, numeric):.2e}, at W[{worst[0]}, {worst[1]}] whose gradient "
          f"is only {analytic[worst]:.2g} (small slopes show the rounding of the loss most); "
          f"whole vector |a - n| / (|a| + |n|) = {whole:.2e}")

    passed = gradcheck(loss_of, (W,))
    print(f"gradcheck (every entry, atol 1e-5, rtol 1e-3): {passed}")

    x = mg.tensor([0.5, -1.5, 2.0], dtype=mg.float64, requires_grad=True)
    try:
        gradcheck(WrongSquare.apply, (x,))
    except GradcheckError as error:
        print("gradcheck of WrongSquare:", str(error).splitlines()[1].strip())


if __name__ == "__main__":
    main()
