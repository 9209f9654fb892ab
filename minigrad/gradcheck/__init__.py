"""Gradient checking: numeric gradients (the article's approach 2) and the checks built on them.

* ``numerical_grad(f, *inputs)``: central differences of a scalar function, in float64;
  ``verbose=True`` prints the article's W / W+h / dW table.
* ``numerical_backward(closure, params)``: numeric gradients as a backend: fills ``.grad`` the
  way ``backward()`` would, so any optimizer can train on them (slowly: 2 evaluations per
  parameter element).
* ``relative_error(a, b)``: CS231n's |a - b| / max(|a| + |b|, tiny), worst element.
* ``gradcheck(func, inputs)``: PyTorch's check of every Jacobian entry (or, with
  ``fast_mode=True``, of random projections); raises ``GradcheckError`` saying where.
* ``gradcheck_sparse(f, x, analytic_grad)``: a few random coordinates, as a table.
* ``gradcheck_graph(output)``: every op of a recorded graph checked on its own, so a wrong
  backward is named among correct ones.

Kinks (relu at 0, max ties) give false alarms in all of them; keep inputs away from kinks.
"""
from .check import GradcheckError, GradcheckWarning, gradcheck
from .graph import GraphCheckReport, NodeCheck, gradcheck_graph
from .numeric import NumericalBackward, numerical_backward, numerical_grad, relative_error
from .sparse import SparseCheck, SparseCheckReport, gradcheck_sparse

__all__ = ["numerical_grad", "numerical_backward", "NumericalBackward", "relative_error",
           "gradcheck", "GradcheckError", "GradcheckWarning", "gradcheck_sparse",
           "SparseCheck", "SparseCheckReport", "gradcheck_graph", "GraphCheckReport",
           "NodeCheck"]
