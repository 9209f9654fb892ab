"""Target 2, compute-bound: softmax and multiclass-SVM loss + gradient of a linear classifier,
X (4096, 3073) float32, W (3073, 10), against the hand-written vectorised numpy of CS231n
(forward + analytic backward). Target: minigrad at most 1.10x numpy.

Run: python benchmarks/bench_classifier.py
"""
import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from _timing import interleaved_medians, median_time, report, try_import_torch

N, D, C = 4096, 3073, 10
rng = np.random.default_rng(0)
X = rng.standard_normal((N, D)).astype(np.float32)
y = rng.integers(0, C, N)
W0 = (rng.standard_normal((D, C)) * 1e-3).astype(np.float32)


def numpy_softmax(W):
    scores = X @ W
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    probs = scores / scores.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean()
    probs[np.arange(N), y] -= 1
    probs /= N
    return loss, X.T @ probs


def numpy_svm(W):
    scores = X @ W
    correct = scores[np.arange(N), y][:, None]
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N
    mask = (margins > 0).astype(X.dtype)
    mask[np.arange(N), y] = -mask.sum(axis=1)
    return loss, X.T @ (mask / N)


Xt = mg.Tensor(X)


def minigrad_loss(loss_fn):
    def run():
        W = mg.Tensor(W0, requires_grad=True)
        loss = loss_fn(Xt @ W, y)
        loss.backward()
        return loss.item(), W.grad.data
    return run


def main():
    rows = []
    for name, np_fn, mg_loss in [("softmax", numpy_softmax, F.cross_entropy),
                                 ("svm", numpy_svm, F.multiclass_hinge_loss)]:
        run = minigrad_loss(mg_loss)
        ref_loss, ref_grad = np_fn(W0)
        loss, grad = run()
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-4)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-3, atol=1e-6)
        assert grad.dtype == np.float32
        t_np, t_mg = interleaved_medians([lambda: np_fn(W0), run], repeats=9)
        rows += [(f"{name}: numpy forward + analytic backward", t_np, 1.0),
                 (f"{name}: minigrad forward + backward()", t_mg, t_mg / t_np)]
        torch = try_import_torch()
        if torch is not None:
            tX, ty = torch.from_numpy(X), torch.from_numpy(y)
            tfn = (torch.nn.functional.cross_entropy if name == "softmax" else
                   lambda s, t: torch.nn.functional.multi_margin_loss(s, t) * (C))

            def torch_run():
                W = torch.tensor(W0, requires_grad=True)
                loss = tfn(tX @ W, ty)
                loss.backward()
                return W.grad
            t_t = median_time(torch_run, repeats=9)
            rows.append((f"{name}: torch eager (1 thread)", t_t, t_t / t_np))
    report(f"Linear classifier loss + gradient, X ({N}, {D}) float32, W ({D}, {C})", rows,
           target="minigrad <= 1.10x numpy")
    return rows


if __name__ == "__main__":
    main()
