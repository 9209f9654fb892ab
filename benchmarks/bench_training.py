"""Target 3, end to end: a softmax classifier on the digits, 200 epochs, batch 64, SGD, the
DataLoader included, against a hand-written numpy loop doing the same arithmetic (CS231n's
vectorised softmax loss and gradient: the loss value of each batch, and its gradient).
Target: minigrad at most 2x numpy.

Run: python benchmarks/bench_training.py [--epochs N]
"""
import argparse

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from _timing import interleaved_medians, median_time, report, try_import_torch
from minigrad.data import DataLoader, TensorDataset
from minigrad.data.datasets import load_digits

X_train, y_train, _, _ = load_digits()
X_train = (np.asarray(X_train, dtype=np.float32) / 16.0).reshape(len(X_train), -1)
y_train = np.asarray(y_train, dtype=np.int64)
N, D = X_train.shape
C = 10
BATCH, LR = 64, 0.1


def numpy_loop(epochs):
    rng = np.random.default_rng(0)
    W = np.zeros((D, C), np.float32)
    b = np.zeros(C, np.float32)
    for _ in range(epochs):
        perm = rng.permutation(N)
        for i in range(0, N, BATCH):
            idx = perm[i:i + BATCH]
            xb, yb = X_train[idx], y_train[idx]
            n = len(idx)
            scores = xb @ W + b
            scores -= scores.max(axis=1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=1, keepdims=True)
            rows = np.arange(n)
            loss = -np.log(scores[rows, yb]).mean()  # noqa: F841 - a loop computes its loss
            scores[rows, yb] -= 1
            scores /= n
            W -= LR * (xb.T @ scores)
            b -= LR * scores.sum(axis=0)
    return W


def minigrad_loop(epochs):
    W = mg.zeros(D, C, requires_grad=True)
    b = mg.zeros(C, requires_grad=True)
    opt = mg.optim.SGD([W, b], lr=LR)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH, shuffle=True, seed=0)
    for _ in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(xb @ W + b, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return W.data


def main(argv=None):
    import minigrad.optim  # noqa: F401
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args(argv)
    e = args.epochs
    t_np, t_mg = interleaved_medians([lambda: numpy_loop(e), lambda: minigrad_loop(e)],
                                     repeats=5)
    rows = [(f"numpy loop, {e} epochs", t_np, 1.0), (f"minigrad loop, {e} epochs", t_mg, t_mg / t_np)]
    torch = try_import_torch()
    if torch is not None:
        tX, ty = torch.from_numpy(X_train), torch.from_numpy(y_train)

        def torch_loop():
            W = torch.zeros(D, C, requires_grad=True)
            b = torch.zeros(C, requires_grad=True)
            opt = torch.optim.SGD([W, b], lr=LR)
            gen = torch.Generator().manual_seed(0)
            loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(tX, ty),
                                                 batch_size=BATCH, shuffle=True, generator=gen)
            for _ in range(e):
                for xb, yb in loader:
                    loss = torch.nn.functional.cross_entropy(xb @ W + b, yb)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        t_t = median_time(torch_loop, repeats=1, warmup=0)
        rows.append((f"torch eager loop, {e} epochs", t_t, t_t / t_np))
    report(f"Training: softmax classifier on digits ({N} samples), batch {BATCH}, SGD", rows,
           target="minigrad <= 2x numpy")
    return rows


if __name__ == "__main__":
    main()
