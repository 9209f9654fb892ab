"""Approach 5, stochastic gradient descent: many cheap steps on mini-batches.

The article's "simple" SGD: a DataLoader cuts the shuffled training set into batches, and each
batch gives one update:

    for epoch in range(epochs):
        for X_batch, y_batch in loader:               # 1437 images -> 45 batches of 32
            loss = L(X_batch, y_batch, W)
            loss.backward()
            W -= learning_rate * dL/dW

A batch gradient is a noisy estimate of the full one, but it costs 1/45 of it, so for the same
passes over the data SGD takes 45 times more steps. Printed: the loss and accuracy per epoch,
then gradient descent with the same number of passes (and its own learning rate) for
comparison.

    python examples/05_sgd_dataloader.py [--epochs 5] [--batch-size 32] [--lr 0.1]
"""
import argparse

import minigrad as mg
from digits_classifier import accuracy, load, softmax_loss
from minigrad.data import DataLoader, TensorDataset


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1, help="SGD's learning rate")
    parser.add_argument("--gd-lr", type=float, default=0.5,
                        help="gradient descent's learning rate, for the comparison")
    args = parser.parse_args()

    X_train, y_train, X_test, y_test = load()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=args.batch_size,
                        shuffle=True, seed=0)

    W = mg.zeros(10, X_train.shape[1], requires_grad=True)
    print(f"SGD: {len(loader)} batches of {args.batch_size} per epoch, lr {args.lr}")
    steps = 0
    for epoch in range(1, args.epochs + 1):
        for X_batch, y_batch in loader:
            loss = softmax_loss(X_batch, y_batch, W)
            W.grad = None
            loss.backward()
            W.data -= args.lr * W.grad.data
            steps += 1
        train_loss = softmax_loss(X_train, y_train, W).item()
        print(f"  epoch {epoch} | {steps:4d} steps | train loss {train_loss:.4f} | "
              f"train accuracy {accuracy(X_train, y_train, W):.1%}")
    sgd_accuracy = accuracy(X_test, y_test, W)

    V = mg.zeros(10, X_train.shape[1], requires_grad=True)
    for _ in range(args.epochs):  # gradient descent, one step per pass over the data
        V.grad = None
        softmax_loss(X_train, y_train, V).backward()
        V.data -= args.gd_lr * V.grad.data

    gd_loss = softmax_loss(X_train, y_train, V).item()
    print(f"gradient descent, the same {args.epochs} passes over the data ({args.epochs} steps, "
          f"lr {args.gd_lr}): train loss {gd_loss:.4f}, test accuracy "
          f"{accuracy(X_test, y_test, V):.1%}")
    print(f"SGD: train loss {train_loss:.4f}, test accuracy {sgd_accuracy:.1%} after {steps} "
          "steps")

if __name__ == "__main__":
    main()
