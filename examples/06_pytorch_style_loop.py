"""The same SGD, written the PyTorch way: a model, a loss module and an optimizer.

The article's PyTorch loop runs unchanged on minigrad:

    model = nn.Linear(64, 10)                       # W (10, 64) and a bias: no bias trick
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for inputs, labels in train_loader:
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()                       # forget the previous batch's gradients
        loss.backward()                             # fill p.grad for every parameter
        optimizer.step()                            # p -= lr * p.grad

``zero_grad`` matters because backward adds into ``.grad`` (so gradients can be accumulated on
purpose). Swapping SGD for Adam is one line: that is the point of the optimizer interface, and
the next example's subject. Evaluation runs under ``mg.no_grad()``: no graph is recorded.

    python examples/06_pytorch_style_loop.py [--epochs 5] [--optimizer sgd|adam]
"""
import argparse

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import DataLoader, TensorDataset, load_digits, preprocess


def evaluate(model, X, y) -> tuple:
    """(mean loss, accuracy) of ``model`` on all of ``X``, without recording a graph."""
    with mg.no_grad():
        scores = model(mg.Tensor(X))
        loss = nn.functional.cross_entropy(scores, y)
    return loss.item(), float((scores.numpy().argmax(axis=1) == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    args = parser.parse_args()

    mg.manual_seed(0)  # the layer's initial weights and the shuffling draw from it
    X_train, y_train, X_test, y_test = load_digits()
    X_train, X_test = preprocess(X_train, X_test, scale_by="std")
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)

    model = nn.Sequential(nn.Linear(64, 10))
    loss_fn = nn.CrossEntropyLoss()
    if args.optimizer == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=0.1)
    else:
        optimizer = optim.Adam(model.parameters(), lr=0.01)
    print(model)
    print(f"{type(optimizer).__name__}, {sum(p.numel() for p in model.parameters())} parameters")

    for epoch in range(1, args.epochs + 1):
        model.train()
        for inputs, labels in train_loader:
            preds = model(inputs)
            loss = loss_fn(preds, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        train_loss, train_accuracy = evaluate(model, X_train, y_train)
        print(f"  epoch {epoch} | train loss {train_loss:.4f} | train accuracy "
              f"{train_accuracy:.1%}")

    test_loss, test_accuracy = evaluate(model, X_test, y_test)
    print(f"{optimizer.evaluations.grad} gradient evaluations (one per step); "
          f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.1%}")


if __name__ == "__main__":
    main()
