"""Pictures of the computation graph that ``backward()`` walks, drawn with Graphviz.

Every op on Tensors records a node (its ``grad_fn``); ``draw_graph(loss)`` draws those nodes
(yellow ellipses) and the tensors between them (boxes: blue = a leaf that requires grad, green
= the output) with their values and, after a backward, their gradients. Two pictures:

1. a small expression, L = tanh(x * w + b), after ``backward(retain_graph=True)`` so that the
   gradients dL/dx, dL/dw, dL/db appear in the boxes (checked here against the chain rule:
   dL/dw = (1 - L^2) x);
2. the loss of the softmax classifier on a batch of 8 digits, L = cross_entropy(X @ W.T + b, y),
   drawn before backward.

Writes ``expression.svg`` and ``classifier_loss.svg`` (and their DOT sources, ``.gv``) into
``--out`` (default ``graphs/``, relative to the current folder). Needs the graphviz package and
its ``dot`` program; without ``dot`` the DOT sources are still written.

    python examples/08_graph_picture.py [--out graphs]
"""
import argparse
import os

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.data import load_digits
from minigrad.viz import GraphvizNotFoundError, draw_graph


def save(graph, folder: str, name: str) -> None:
    """Write name.svg, and name.gv, its DOT source (the source also without ``dot``)."""
    try:
        svg = graph.render(outfile=os.path.join(folder, f"{name}.svg"))
    except GraphvizNotFoundError as error:
        print(f"no picture: {error}")
        return
    print(f"wrote {svg} (and its DOT source {graph.filepath})")


def expression():
    """L = tanh(x * w + b) after backward: the graph with values and gradients."""
    x = mg.tensor(2.0, dtype=mg.float64, requires_grad=True, name="x")
    w = mg.tensor(-0.5, dtype=mg.float64, requires_grad=True, name="w")
    b = mg.tensor(0.3, dtype=mg.float64, requires_grad=True, name="b")
    L = (x * w + b).tanh()
    L.backward(retain_graph=True)  # keep the graph's inputs, so the picture shows all of it
    print(f"L = tanh(x * w + b) = {L.item():.6f}")
    print(f"dL/dx = {x.grad.item():.6f}, dL/dw = {w.grad.item():.6f}, dL/db = {b.grad.item():.6f}")
    chain_rule = (1 - L.item() ** 2) * x.item()
    print(f"chain rule by hand: dL/dw = (1 - L^2) * x = {chain_rule:.6f}")
    return draw_graph(L, legend=True)


def classifier_loss():
    """The softmax classifier's loss on 8 digits, before backward."""
    X_train, y_train, _, _ = load_digits()
    X = mg.Tensor(X_train[:8] / 16, name="X")
    rng = np.random.default_rng(0)
    W = mg.Tensor(rng.standard_normal((10, 64)).astype(np.float32) * 0.01, requires_grad=True)
    b = mg.zeros(10, requires_grad=True)
    loss = F.cross_entropy(X @ W.T + b, y_train[:8])
    graph = draw_graph(loss, params={"W": W, "b": b})
    ops = []
    node = loss.grad_fn
    while node is not None:  # follow the first tensor input back to the data
        ops.append(node.name())
        node = next((a.grad_fn for a in node.inputs if isinstance(a, mg.Tensor)
                     and a.grad_fn is not None), None)
    print(f"classifier loss {loss.item():.4f} on 8 digits (ln 10 = {np.log(10):.4f}); "
          f"ops from the loss back: {' <- '.join(ops)}")
    return graph


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="graphs", help="folder for the pictures")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    save(expression(), args.out, "expression")
    save(classifier_loss(), args.out, "classifier_loss")


if __name__ == "__main__":
    main()
