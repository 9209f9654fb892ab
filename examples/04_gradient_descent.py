"""Approach 4, gradient descent: step against the gradient, again and again.

    for step in range(steps):
        loss = L(X_train, y_train, W)        # the whole training set, every step
        loss.backward()                      # dL/dW, exact (approach 3)
        W -= learning_rate * dL/dW

The learning rate (alpha in the article) sets the step size. Each step sees all 1437 training
images, so each update is exact but costs a full pass over the data: the problem the next
example (SGD) solves. Prints the loss falling from ln(10) and the accuracies.

    python examples/04_gradient_descent.py [--steps 100] [--lr 0.5]
"""
import argparse

import numpy as np

import minigrad as mg
from digits_classifier import accuracy, load, softmax_loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="full-batch steps")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate (alpha)")
    args = parser.parse_args()

    X_train, y_train, X_test, y_test = load()
    W = mg.zeros(10, X_train.shape[1], requires_grad=True)
    print(f"gradient descent on all {len(y_train)} training images per step, lr {args.lr}")

    losses = []
    for step in range(args.steps + 1):
        loss = softmax_loss(X_train, y_train, W)
        losses.append(loss.item())
        if step % (args.steps // 10 or 1) == 0:
            print(f"  step {step:4d} | loss {loss.item():.4f} | train accuracy "
                  f"{accuracy(X_train, y_train, W):.1%}")
        if step == args.steps:
            break
        W.grad = None                          # gradients add up; start from none
        loss.backward()
        W.data -= args.lr * W.grad.data        # the update, on the raw array: not recorded

    print(f"gradient descent: loss {losses[0]:.4f} (ln 10 = {np.log(10):.4f}) -> "
          f"{losses[-1]:.4f} in {args.steps} steps ({args.steps} passes over the data), "
          f"test accuracy {accuracy(X_test, y_test, W):.1%}")


if __name__ == "__main__":
    main()
