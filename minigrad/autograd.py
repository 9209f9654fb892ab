"""The autograd core: the ``Function`` base class, grad modes, and the backward engine.

A graph is made of ``Function`` instances (nodes). Each node holds the arguments it was applied
to (``inputs``) and whatever its ``forward`` saved; a Tensor points at the node that made it
(``grad_fn``). A node never holds its output, so the graph has no reference cycles and memory is
freed as soon as the last Tensor of a graph goes away.

The engine walks the graph once, iteratively (a chain of a million nodes needs no recursion).
Every node gets a sequence number when it is created, and a node is always created after the
nodes that feed it; so running the reached nodes from the newest to the oldest (a heap) is a
reverse topological order, found without a separate pass over the graph. The engine:

* calls each node's ``backward`` once, with the sum of every gradient that flowed into it
  (gradients accumulate at fan-out);
* undoes broadcasting in one place (``sum_to_shape``) and casts each gradient to its input's
  dtype, so no op repeats that logic and a float32 parameter always gets a float32 gradient;
* frees what each node saved (unless ``retain_graph``); a second backward through a freed node
  raises ``RuntimeError`` rather than returning a wrong answer.

In the ordinary case the backward rules run on plain ndarrays with recording off. With
``create_graph=True`` they run on Tensors with recording on, so the gradient is itself a
differentiable function of the inputs (gradients of gradients, Hessian-vector products).
"""
from __future__ import annotations

import functools
import gc
import itertools
import traceback
import weakref
from contextvars import ContextVar
from heapq import heappop, heappush

import numpy as np

from .errors import AnomalyError, GradientShapeError, ShapeError
from .tensor import Tensor

__all__ = [
    "Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "is_anomaly_enabled", "backward", "grad", "sum_to_shape", "mark_changed",
]

# --------------------------------------------------------------------------- grad modes

# The modes are context variables: per thread (and per asyncio task), as grad mode is per
# thread in PyTorch. ``no_grad()`` in one thread does not stop another thread's recording.
_grad_mode = ContextVar("minigrad_grad_enabled", default=True)
_anomaly_mode = ContextVar("minigrad_anomaly_enabled", default=False)
_grad_enabled = _grad_mode.get        # bound methods: one C call per op
_anomaly_enabled = _anomaly_mode.get


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default); False inside ``no_grad()``."""
    return _grad_mode.get()


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _anomaly_mode.get()


class _GradMode:
    """Base of the grad-mode switches: a context manager that is also a decorator."""

    _mode = True

    def __enter__(self):
        self.__dict__.setdefault("_tokens", []).append(_grad_mode.set(self._mode))  # re-entrant

    def __exit__(self, *exc):
        _grad_mode.reset(self._tokens.pop())
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: ops run without recording a graph (inference, updates)."""

    _mode = False


class enable_grad(_GradMode):
    """Context manager and decorator: turn recording back on, e.g. inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradMode):
    """``with set_grad_enabled(flag):`` records the graph only when ``flag`` is true."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)

    def __call__(self, func):
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper


class detect_anomaly:
    """Context manager: a NaN or inf made by any op, forward or backward, raises at once.

    The error names the op and the line of user code that created it, instead of letting the
    bad value poison every parameter silently. It costs a finiteness check per op and a stack
    capture per node, so use it for debugging only.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_anomaly_mode.set(self.check_nan))  # the object may be re-entered
        return self

    def __exit__(self, *exc):
        _anomaly_mode.reset(self._tokens.pop())
        return False


def _user_frame() -> str:
    """The innermost stack frame outside the minigrad package, as 'file:line in func: code'."""
    import os
    pkg = os.path.dirname(os.path.abspath(__file__))
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(pkg + os.sep):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"


def _nonfinite(a) -> bool:
    data = a.data if isinstance(a, Tensor) else a
    return isinstance(data, np.ndarray) and data.dtype.kind in "fc" and not np.isfinite(data).all()


# --------------------------------------------------------------------------- Function


class Function:
    """A differentiable operation: one node of the graph.

    Subclass it with two static methods, side by side::

        class Cube(mg.Function):
            "f(x) = x^3,  f'(x) = 3 x^2"
            @staticmethod
            def forward(ctx, x):              # x: np.ndarray
                ctx.save_for_backward(x)
                return x ** 3
            @staticmethod
            def backward(ctx, grad):          # grad: dL/df, shaped like f's output
                (x,) = ctx.saved_tensors
                return 3 * x * x * grad       # dL/dx, one per input of forward

        y = Cube.apply(t)

    A recorded node keeps ``inputs`` (the positional arguments of ``apply``) and, if any were
    given, ``kwargs``, so ``type(node).forward(new_ctx, *raw_inputs, **kwargs)`` re-runs it.

    ``forward`` receives the ndarrays behind Tensor arguments (other arguments as given) and
    returns an ndarray. ``backward`` returns one gradient per positional argument of ``forward``
    (None where there is none, or where ``ctx.needs_input_grad[i]`` is False: a gradient
    nobody asked for is wasted work); the engine sums each one back to its input's shape, so a
    backward may return a broadcast-shaped gradient.

    ``save_for_backward`` is for inputs and the output of ``forward``; keep anything else
    (masks, shapes) as a plain attribute on ``ctx``: such values are constants. Write backward
    with operators, methods and numpy ufuncs: with ``create_graph=True`` the engine passes Tensors
    (``saved_tensors`` then gives the input Tensors and a Tensor for the output), so the same
    rule records a differentiable graph of the gradient.
    """

    __slots__ = ("inputs", "needs_input_grad", "saved_tensors", "retained", "seq", "created_at",
                 "__weakref__", "__dict__")

    # ------------------------------------------------------------------ recording
    @classmethod
    def apply(cls, *args, **kwargs):
        raw = []
        needs = []
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a.data)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        requires = True in needs
        ctx = _new_object(cls)
        ctx.saved_tensors = ()
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        except (ValueError, IndexError, TypeError) as exc:
            raise _op_error(cls, args, exc) from None
        if out.__class__ is not np.ndarray:  # numpy turns 0-d results into scalars
            out = _as_output(cls, out)
        t = _new_object(Tensor)  # Tensor._make, inlined: this runs once per op
        t.data = out
        t.grad = None
        t.name = None
        if requires and _grad_enabled():
            ctx.inputs = args
            ctx.needs_input_grad = tuple(needs)
            ctx.retained = None
            ctx.seq = _next_seq()
            if kwargs:
                ctx.kwargs = kwargs  # so the node can be re-run (gradcheck_graph)
            t.requires_grad = True
            t.grad_fn = ctx
        else:
            t.requires_grad = False
            t.grad_fn = None
        if _anomaly_enabled():
            _check_forward(ctx, t)
        return t

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    # ------------------------------------------------------------------ ctx helpers
    def save_for_backward(self, *arrays):
        """Keep inputs and/or the output of ``forward`` for ``backward``, which reads them back
        as ``ctx.saved_tensors``: the arrays, or Tensors while the engine records a graph of the
        gradient (``create_graph=True``)."""
        self.saved_tensors = arrays

    def _as_tensor(self, value):
        """Map a saved array back to the Tensor it belongs to (an input, else the output)."""
        for a in self.inputs:
            if isinstance(a, Tensor):
                if value is a.data:
                    return a
            elif value is a:
                return a
        return Tensor._make(value, self)  # the output of this node: differentiable through it

    @classmethod
    def name(cls) -> str:
        """The op's name as shown in errors and graphs (``Mul``, ``Sum``, ...)."""
        return cls.__name__

    def __repr__(self):
        return f"<{self.name()}Backward>"


_new_object = object.__new__
_next_seq = itertools.count().__next__  # creation order of nodes: a topological order
_UNARY = object()  # the missing second argument of a one-input ufunc


def apply_ufunc(cls, x, y=_UNARY, *more):
    """``cls.apply(x[, y])`` of a ``UfuncFunction`` ``cls``. The Tensor operators call it
    directly: binding a classmethod per op costs a fifth of a small multiply."""
    xd, nx = (x.data, x.requires_grad) if isinstance(x, Tensor) else (x, False)
    if y is _UNARY:
        args = (x,)
        raw = (xd,)
        needs = (nx,)
    else:
        if more or cls.ufunc.nin != 2:  # a second argument of a 1-input ufunc would be `out`
            raise TypeError(f"{cls.name()} takes {cls.ufunc.nin} input(s), got "
                            f"{2 + len(more)}")
        yd, ny = (y.data, y.requires_grad) if isinstance(y, Tensor) else (y, False)
        args = (x, y)
        raw = (xd, yd)
        needs = (nx, ny)
        nx = nx or ny
    try:
        out = cls.ufunc(*raw)
    except (ValueError, TypeError) as exc:
        raise _op_error(cls, args, exc) from None
    if out.__class__ is not np.ndarray:
        out = _as_output(cls, out)
    t = _new_object(Tensor)
    t.data = out
    t.grad = None
    t.name = None
    if nx and _grad_enabled():
        ctx = _new_object(cls)
        ctx.inputs = args
        ctx.needs_input_grad = needs
        saves = cls.saves
        ctx.saved_tensors = raw if saves == "inputs" else (out,) if saves == "output" else ()
        ctx.retained = None
        ctx.seq = _next_seq()
        t.requires_grad = True
        t.grad_fn = ctx
    else:
        ctx = cls
        t.requires_grad = False
        t.grad_fn = None
    if _anomaly_enabled():
        _check_forward(ctx, t)
    return t


class UfuncFunction(Function):
    """An op that is one numpy ufunc, e.g. ``Mul``: ``ufunc = np.multiply`` (elementwise ops,
    and ``MatMul``: ``np.matmul`` is a generalized ufunc).

    ``saves`` says what its ``backward`` reads: ``"inputs"``, ``"output"`` or ``""``. Such an op
    is recorded without a Python ``forward`` call, and its node is only made when it is
    recorded: on a small tensor the dispatch costs more than the arithmetic (the overhead
    benchmark). ``forward`` still exists, so a node re-runs like any other.
    """

    __slots__ = ()
    ufunc = None
    saves = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.saves not in ("inputs", "output", ""):
            raise TypeError(f"{cls.__name__}.saves must be 'inputs', 'output' or '', "
                            f"got {cls.saves!r}")
        if cls.ufunc is not None and not isinstance(cls.ufunc, np.ufunc):
            raise TypeError(f"{cls.__name__}.ufunc must be a numpy ufunc (np.sin, np.add, ...), "
                            f"got {type(cls.ufunc).__name__}")

    @staticmethod
    def forward(ctx, x, y=_UNARY):
        xs = (x,) if y is _UNARY else (x, y)
        out = ctx.ufunc(*xs)
        saves = ctx.saves
        ctx.saved_tensors = xs if saves == "inputs" else (out,) if saves == "output" else ()
        return out

    apply = classmethod(apply_ufunc)


def _check_forward(ctx, out):
    """Anomaly mode: remember where the node was created; refuse a non-finite output."""
    where = _user_frame()
    if out.grad_fn is not None:
        ctx.created_at = where
    if _nonfinite(out.data):
        raise AnomalyError(f"{ctx.name()} produced a non-finite value (nan or inf) in its "
                           f"forward; created at {where}")


def describe(value) -> str:
    """A short description of an op argument for error messages: shape and dtype of arrays,
    the value of small things (axes, numbers), the type of anything else."""
    if isinstance(value, (Tensor, np.ndarray)):
        return f"{tuple(value.shape)} {value.dtype}"
    text = repr(value)
    if isinstance(value, (int, float, bool, tuple, list, slice, type(None), np.generic)) \
            and len(text) <= 40:
        return text
    return f"{type(value).__name__} {text[:30]}"


def _op_error(cls, args, exc):
    """Re-raise an error from inside an op's forward with the op's name and its inputs."""
    inputs = ", ".join(describe(a) for a in args)
    msg = str(exc)
    if isinstance(exc, ValueError) and any(w in msg for w in ("shape", "broadcast", "dimension",
                                                               "size")):
        kind = ShapeError
        if "broadcast" in msg:
            return ShapeError(f"{cls.name()}: inputs {inputs} do not broadcast together ({msg})")
    elif isinstance(exc, IndexError):
        kind = IndexError
    elif isinstance(exc, TypeError):
        kind = TypeError  # never numpy's subclasses: some cannot be built from a message
    else:
        kind = ValueError
    return kind(f"{cls.name()}: {msg} (inputs: {inputs})")


def _as_output(cls, out):
    """A forward's result as an ndarray: numbers (numpy returns scalars from 0-d ufuncs) are
    wrapped; anything that is not numeric is refused."""
    arr = np.asarray(out) if isinstance(out, (np.generic, int, float, bool)) else out
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise TypeError(f"{cls.name()}.forward returned {type(out).__name__} "
                        f"{repr(out)[:40]}: it must return a numeric numpy array")
    return arr


# --------------------------------------------------------------------------- in-place changes
# PyTorch counts versions per tensor; minigrad notes, for each array changed in place, the
# sequence number of its latest change (the counter that numbers the nodes). A node whose saved
# array changed after the node was made would compute a wrong gradient: the engine refuses it.
# Only nodes made before the latest change anywhere are looked at, so the check costs one
# comparison per node when nothing was changed in place.

_changed = {}  # id(array) -> (weak reference to the array, seq of its latest in-place change)
_latest_change = -1


def mark_changed(array) -> None:
    """Note that ``array`` (and the array it is a view of) was changed in place. The Tensor
    in-place ops (``add_``, ``zero_``, ``t[i] = v``, ...) and the optimizers call it."""
    global _latest_change
    seq = _next_seq()
    for a in (array, array.base):
        if isinstance(a, np.ndarray):
            key = id(a)
            entry = _changed.get(key)
            if entry is None:  # the note goes when the array goes (so its id is never stale)
                entry = (weakref.ref(a, lambda _, k=key: _changed.pop(k, None)), seq)
            _changed[key] = (entry[0], seq)
    _latest_change = seq


def _check_saved_unchanged(fn):
    """Refuse to run ``fn.backward`` when an array it saved was changed in place after ``fn``
    was made (directly, or through another view of the same memory)."""
    for s in fn.saved_tensors:
        if not isinstance(s, np.ndarray):
            continue
        for a in (s, s.base):
            entry = _changed.get(id(a))
            if entry is not None and entry[1] > fn.seq and entry[0]() is a:
                where = getattr(fn, "created_at", None)
                raise RuntimeError(
                    f"{fn.name()}: a value it saved for backward (shape {s.shape}, {s.dtype}) "
                    "was changed in place after the op ran (add_, mul_, zero_, t[i] = ..., "
                    "an optimizer step ...), so its gradient would be wrong. Run the forward "
                    "again after the change, or change a copy (t.clone()). "
                    + (f"The {fn.name()} was created at {where}." if where else
                       "Run the forward under mg.detect_anomaly() to see where the op was "
                       "created."))


# --------------------------------------------------------------------------- the engine


def sum_to_shape(g, shape):
    """Undo broadcasting: sum ``g`` over the axes that broadcasting added or stretched.

    d/dx of f(broadcast(x)) is the sum of the upstream gradient over every copy of x.
    Works on ndarrays and on Tensors (for graphs of gradients).
    """
    gshape = g.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise GradientShapeError(f"gradient of shape {gshape} cannot be summed to shape {shape}")
    stretched = []
    for i, n in enumerate(shape):
        m = gshape[lead + i]
        if n == 1 and m != 1:
            stretched.append(lead + i)
        elif n != m:
            raise GradientShapeError(
                f"gradient of shape {gshape} does not broadcast from shape {shape}")
    total = np.add.reduce if type(g) is np.ndarray else _tensor_sum  # the ufunc: no wrapper
    if not stretched:  # only new leading axes: summing them away leaves exactly ``shape``
        return total(g, axis=tuple(range(lead)))
    g = total(g, axis=tuple(range(lead)) + tuple(stretched), keepdims=True)
    return g.reshape(shape) if lead else g


def _tensor_sum(g, axis, keepdims=False):
    return g.sum(axis=axis, keepdims=keepdims)


class _FreedValues:
    """What a node holds as ``saved_tensors`` once backward has freed them: any use raises."""

    def _freed(self, *args):
        raise RuntimeError(
            "Trying to use the saved values of an op a second time, but they were freed by the "
            "first backward(). Pass retain_graph=True to the first backward() if you need to "
            "backward through the graph again.")

    __iter__ = __getitem__ = __len__ = _freed


_FREED = _FreedValues()


def _backward_on_tensors(fn, g):
    """Run ``fn.backward`` with its saved arrays shown as Tensors (inputs as themselves, the
    output as a Tensor made by ``fn``), so the rule records a differentiable graph."""
    arrays = fn.saved_tensors
    fn.saved_tensors = tuple(fn._as_tensor(a) for a in arrays)
    try:
        return fn.backward(fn, g)
    finally:
        fn.saved_tensors = arrays


def _run(roots, root_grads, retain_graph, create_graph, capture=None, trace=None):
    """Propagate ``root_grads`` from the Tensors ``roots`` back through their graph.

    Leaves accumulate into ``.grad`` unless ``capture`` is given: a dict mapping each key
    (a leaf Tensor or a node) to None, filled with the total gradient that reaches it.
    """
    grads = {}  # node or leaf Tensor -> gradient accumulated so far
    # Nodes waiting to run, most recently created first. A node is created after every node
    # that feeds it, so by the time it is popped, every gradient it will receive is summed.
    heap = []
    for t, g in zip(roots, root_grads):
        fn = t.grad_fn
        key = t if fn is None else fn
        if key in grads:
            grads[key] = grads[key] + g
        else:
            grads[key] = g
            if fn is not None:
                heappush(heap, (-fn.seq, fn))
    anomaly = _anomaly_enabled()
    latest_change = _latest_change  # nodes made before it may have saved a changed array
    mode_token = _grad_mode.set(create_graph)
    # The walk makes no reference cycles, so the cyclic collector has nothing to find here;
    # pausing it keeps it from re-scanning a large live graph during backward.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        fn = None  # the next node, when it is known without the heap (see below)
        while fn is not None or heap:
            if fn is None:
                fn = heappop(heap)[1]
                g = grads.pop(fn)
            inputs = fn.inputs
            if inputs is None:
                raise RuntimeError(
                    f"Trying to backward through {fn.name()} a second time: the graph was "
                    "freed by the first backward. Pass retain_graph=True to the first "
                    "backward() if you need to backward through the graph again.")
            if fn.seq < latest_change:
                _check_saved_unchanged(fn)
            if fn.retained is not None:
                t = fn.retained()
                if t is not None:
                    t._accumulate_grad(g if create_graph else g.copy())
            if capture is not None and fn in capture:
                capture[fn] = g
            in_grads = _backward_on_tensors(fn, g) if create_graph else fn.backward(fn, g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if len(in_grads) != len(inputs):
                raise GradientShapeError(
                    f"{fn.name()}.backward returned {len(in_grads)} gradients for "
                    f"{len(inputs)} inputs of forward")
            if trace is not None:
                trace(fn, g, in_grads)
            # ``nxt``: a parent that got its first gradient while the heap was empty. If the
            # heap is still empty after this node, nothing else can send it gradients (every
            # node still to run would be in the heap), so it runs next, with no trip through
            # the heap and ``grads``: a chain of ops never touches them.
            nxt = None
            for a, ig, need in zip(inputs, in_grads, fn.needs_input_grad):
                if not need or ig is None:
                    continue
                data = a.data
                try:
                    shape = ig.shape
                except AttributeError:
                    raise TypeError(f"{fn.name()}.backward returned {type(ig).__name__} "
                                    f"{repr(ig)[:40]} as a gradient: it must return arrays "
                                    "(or None)") from None
                if shape != data.shape:
                    try:
                        ig = sum_to_shape(ig, data.shape)
                    except GradientShapeError as exc:
                        raise GradientShapeError(
                            f"{fn.name()}.backward: {exc} (the input has shape {data.shape})"
                        ) from None
                if ig.dtype != data.dtype:
                    ig = ig.astype(data.dtype)
                if anomaly and _nonfinite(ig):
                    raise AnomalyError(
                        f"{fn.name()}.backward produced a non-finite gradient (nan or inf) for "
                        f"an input of shape {data.shape}; the {fn.name()} was created at "
                        f"{getattr(fn, 'created_at', '<unknown>')}")
                parent = a.grad_fn
                if parent is nxt and parent is not None:
                    nxt_g = nxt_g + ig
                    continue
                key = a if parent is None else parent
                prev = grads.get(key)
                if prev is not None:
                    grads[key] = prev + ig
                elif parent is None:
                    grads[key] = ig
                elif nxt is None and not heap:
                    nxt, nxt_g = parent, ig
                else:
                    grads[key] = ig
                    heappush(heap, (-parent.seq, parent))
            if not retain_graph:
                fn.inputs = None
                fn.saved_tensors = _FREED
            fn = None
            if nxt is not None:
                if heap:
                    grads[nxt] = nxt_g
                    heappush(heap, (-nxt.seq, nxt))
                else:
                    fn, g = nxt, nxt_g
    finally:
        _grad_mode.reset(mode_token)
        if gc_was_enabled:
            gc.enable()
    # what is left in ``grads`` belongs to leaves: every node's entry was popped when it ran
    if capture is not None:
        for key, g in grads.items():
            if key in capture:
                capture[key] = g
        return
    # A leaf may adopt its gradient array without a copy when nothing else holds that array:
    # not a view, not handed to two leaves (Add passes one array to both inputs), not the
    # caller's own gradient array.
    shared = set(map(id, root_grads))
    if len(grads) > 1:
        seen = set()
        for g in grads.values():
            (shared if id(g) in seen else seen).add(id(g))
    for leaf, g in grads.items():
        if leaf.data.dtype.kind != "f":  # requires_grad was set on an integer tensor by hand
            raise TypeError(f"only floating point tensors can require gradients, got a leaf of "
                            f"dtype {leaf.data.dtype}")
        leaf._accumulate_grad(g, owned=not create_graph and id(g) not in shared
                              and g.base is None and g.flags.writeable)


def _root_grads(outputs, grad_outputs, create_graph):
    result = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"outputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(
                f"outputs[{i}] does not require grad and has no grad_fn: nothing to "
                "differentiate (was it computed under no_grad(), or from tensors without "
                "requires_grad=True?)")
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but the output "
                    f"has shape {t.shape}: pass gradient= (a Tensor or array of shape "
                    f"{t.shape}, usually ones) to backward()")
            g = np.array(1, dtype=t.data.dtype) if t.data.ndim == 0 else \
                np.ones(t.data.shape, dtype=t.data.dtype)
        else:
            if isinstance(g, Tensor):
                g = g if create_graph else g.data
            else:
                g = np.asarray(g, dtype=t.dtype)
            if g.shape != t.shape:
                raise GradientShapeError(
                    f"gradient has shape {g.shape} but the output has shape {t.shape}")
            if not create_graph and g.dtype != t.dtype:
                g = g.astype(t.dtype)
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._make(g, None)
        result.append(g)
    return result


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, trace=None):
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
    if isinstance(tensors, Tensor):
        tensors, grad_tensors = [tensors], [grad_tensors]
    else:
        tensors = list(tensors)
        grad_tensors = [None] * len(tensors) if grad_tensors is None else list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"backward: {len(tensors)} tensors but {len(grad_tensors)} gradients")
    roots = _root_grads(tensors, grad_tensors, create_graph)
    _run(tensors, roots, retain_graph, create_graph, trace=trace)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad`` (torch.autograd.grad).

    With ``create_graph=True`` the result is itself recorded, so it can be differentiated
    again: ``mg.grad(mg.grad(f, x, create_graph=True)[0] @ v, x)`` is a Hessian-vector product.
    """
    if isinstance(outputs, Tensor):
        outputs, grad_outputs = [outputs], [grad_outputs]
    else:
        outputs = list(outputs)
        grad_outputs = [None] * len(outputs) if grad_outputs is None else list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    inputs_seq = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    for i, x in enumerate(inputs_seq):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"inputs[{i}] does not require grad: mark it requires_grad=True")
    capture = {}
    keys = []
    for x in inputs_seq:
        key = x.grad_fn if x.grad_fn is not None else x
        capture[key] = None
        keys.append(key)
    roots = _root_grads(outputs, grad_outputs, create_graph)
    _run(outputs, roots, retain_graph, create_graph, capture=capture)
    result = []
    for i, (x, key) in enumerate(zip(inputs_seq, keys)):
        g = capture[key]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"inputs[{i}] was not used to compute the outputs; pass allow_unused=True "
                    "to get None for it")
            result.append(None)
            continue
        if isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor._make(np.array(g, copy=True), None))
    return tuple(result)
