"""One table of op specs drives the op tests: forward against numpy, gradient against finite
differences in float64, and (when torch is installed) both against torch.

Each spec names the op, the minigrad function, the numpy reference, the input shapes (incl.
broadcasting and 0-d cases) and the input domain (kept away from kinks and singularities).
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import minigrad as mg


@dataclass
class OpSpec:
    name: str
    fn: Callable            # minigrad: takes Tensors, returns a Tensor
    ref: Callable           # numpy: takes ndarrays, returns an ndarray
    shapes: list            # list of tuples of input shapes
    domain: tuple = (-2.0, 2.0)
    torch_fn: Callable = None  # takes torch tensors (optional comparison)
    away_from: tuple = field(default_factory=tuple)  # kinks: inputs kept >= 0.1 away from these

    def inputs(self, shapes, rng):
        lo, hi = self.domain
        out = []
        for s in shapes:
            x = rng.uniform(lo, hi, size=s)
            for k in self.away_from:
                d = x - k
                x = np.where(np.abs(d) < 0.1, k + np.where(d >= 0, 0.2, -0.2), x)
            out.append(np.asarray(x, dtype=np.float64))
        return out


def _torch():
    import torch
    return torch


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5,), ())]
UNARY = [((3, 4),), ((),), ((2, 3, 2),)]
INDEX = np.array([0, 2, 0, 1, 2, 2])

OP_SPECS = [
    OpSpec("add", lambda a, b: a + b, np.add, BROADCAST, torch_fn=lambda a, b: a + b),
    OpSpec("sub", lambda a, b: a - b, np.subtract, BROADCAST, torch_fn=lambda a, b: a - b),
    OpSpec("mul", lambda a, b: a * b, np.multiply, BROADCAST, torch_fn=lambda a, b: a * b),
    OpSpec("div", lambda a, b: a / b, np.divide, BROADCAST, domain=(0.5, 2.0),
           torch_fn=lambda a, b: a / b),
    OpSpec("pow", lambda a, b: a ** b, np.power, BROADCAST, domain=(0.5, 2.0),
           torch_fn=lambda a, b: a ** b),
    OpSpec("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, UNARY, torch_fn=lambda a: a ** 3),
    OpSpec("rsub_scalar", lambda a: 2.0 - a, lambda a: 2.0 - a, UNARY, torch_fn=lambda a: 2.0 - a),
    OpSpec("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, UNARY, domain=(0.5, 2.0),
           torch_fn=lambda a: 2.0 / a),
    OpSpec("rpow_scalar", lambda a: 2.0 ** a, lambda a: 2.0 ** a, UNARY, torch_fn=lambda a: 2.0 ** a),
    OpSpec("neg", lambda a: -a, np.negative, UNARY, torch_fn=lambda a: -a),
    OpSpec("exp", lambda a: a.exp(), np.exp, UNARY, torch_fn=lambda a: a.exp()),
    OpSpec("log", lambda a: a.log(), np.log, UNARY, domain=(0.2, 3.0), torch_fn=lambda a: a.log()),
    OpSpec("sqrt", lambda a: a.sqrt(), np.sqrt, UNARY, domain=(0.2, 3.0),
           torch_fn=lambda a: a.sqrt()),
    OpSpec("abs", lambda a: a.abs(), np.abs, UNARY, away_from=(0.0,), torch_fn=lambda a: a.abs()),
    OpSpec("tanh", lambda a: a.tanh(), np.tanh, UNARY, torch_fn=lambda a: a.tanh()),
    OpSpec("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), UNARY,
           torch_fn=lambda a: a.sigmoid()),
    OpSpec("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), UNARY, away_from=(0.0,),
           torch_fn=lambda a: a.relu()),
    OpSpec("clip", lambda a: a.clip(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), UNARY,
           away_from=(-0.5, 0.7), torch_fn=lambda a: a.clamp(-0.5, 0.7)),
    OpSpec("sum_all", lambda a: a.sum(), lambda a: np.sum(a), UNARY, torch_fn=lambda a: a.sum()),
    OpSpec("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), [((3, 4),), ((2, 3, 2),)],
           torch_fn=lambda a: a.sum(dim=1)),
    OpSpec("sum_tuple_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True),
           lambda a: a.sum(axis=(0, 2), keepdims=True), [((2, 3, 2),)],
           torch_fn=lambda a: a.sum(dim=(0, 2), keepdim=True)),
    OpSpec("mean", lambda a: a.mean(dim=-1, keepdim=True), lambda a: a.mean(-1, keepdims=True),
           UNARY[0:1] + UNARY[2:], torch_fn=lambda a: a.mean(dim=-1, keepdim=True)),
    OpSpec("max_all", lambda a: a.max(), np.max, UNARY, torch_fn=lambda a: a.max()),
    OpSpec("max_axis", lambda a: a.max(axis=0), lambda a: a.max(axis=0), [((3, 4),)],
           torch_fn=lambda a: a.amax(dim=0)),
    OpSpec("min_axis_keepdims", lambda a: a.min(axis=-1, keepdims=True),
           lambda a: a.min(axis=-1, keepdims=True), [((3, 4),), ((2, 3, 2),)],
           torch_fn=lambda a: a.amin(dim=-1, keepdim=True)),
    OpSpec("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [((3, 4),)],
           torch_fn=lambda a: a.reshape(4, 3)),
    OpSpec("transpose", lambda a: a.transpose(2, 0, 1), lambda a: a.transpose(2, 0, 1),
           [((2, 3, 4),)], torch_fn=lambda a: a.permute(2, 0, 1)),
    OpSpec("T", lambda a: a.T, lambda a: a.T, [((3, 4),)], torch_fn=lambda a: a.T),
    OpSpec("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1), [((2, 3, 4),)],
           torch_fn=lambda a: a.flatten()),
    OpSpec("getitem_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [((3, 4),)],
           torch_fn=lambda a: a[1:, ::2]),
    OpSpec("getitem_repeated", lambda a: a[INDEX], lambda a: a[INDEX], [((3, 4),)],
           torch_fn=lambda a: a[INDEX]),
    OpSpec("getitem_pairs", lambda a: a[INDEX, INDEX[::-1]], lambda a: a[INDEX, INDEX[::-1]],
           [((3, 4),)], torch_fn=lambda a: a[INDEX, INDEX[::-1].copy()]),
    OpSpec("getitem_mask", lambda a: a[a.data > 0], lambda a: a[a > 0], [((3, 4),)],
           away_from=(0.0,), torch_fn=lambda a: a[a > 0]),
    OpSpec("matmul", lambda a, b: a @ b, np.matmul,
           [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
            ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (5, 4, 2))],
           torch_fn=lambda a, b: a @ b),
    OpSpec("softmax", lambda a: a.softmax(axis=-1), _softmax, [((3, 4),), ((2, 3, 4),)],
           torch_fn=lambda a: a.softmax(dim=-1)),
    OpSpec("softmax_axis0", lambda a: a.softmax(axis=0), lambda a: _softmax(a, 0), [((3, 4),)],
           torch_fn=lambda a: a.softmax(dim=0)),
    OpSpec("log_softmax", lambda a: a.log_softmax(dim=1), lambda a: np.log(_softmax(a, 1)),
           [((3, 4),)], torch_fn=lambda a: a.log_softmax(dim=1)),
    OpSpec("maximum", mg.maximum, np.maximum, BROADCAST, torch_fn=lambda a, b: _torch().maximum(a, b)),
    OpSpec("minimum", mg.minimum, np.minimum, BROADCAST, torch_fn=lambda a, b: _torch().minimum(a, b)),
    OpSpec("where", lambda a, b: mg.where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b),
           BROADCAST[:3], away_from=(0.0,),
           torch_fn=lambda a, b: _torch().where(a > 0, a, b)),
    OpSpec("concatenate", lambda a, b: mg.concatenate([a, b], axis=1),
           lambda a, b: np.concatenate([a, b], axis=1), [((3, 4), (3, 2))],
           torch_fn=lambda a, b: _torch().cat([a, b], dim=1)),
    OpSpec("stack", lambda a, b: mg.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], -1),
           [((3, 4), (3, 4))], torch_fn=lambda a, b: _torch().stack([a, b], dim=-1)),
    OpSpec("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)),
           lambda a: np.broadcast_to(a, (2, 3, 4)), [((3, 1),), ((4,),)],
           torch_fn=lambda a: a.broadcast_to((2, 3, 4))),
    OpSpec("composite", lambda a, b: ((a * b).tanh() + a.exp() / (1 + b * b)).sum(axis=0),
           lambda a, b: (np.tanh(a * b) + np.exp(a) / (1 + b * b)).sum(axis=0), BROADCAST[:2],
           torch_fn=lambda a, b: ((a * b).tanh() + a.exp() / (1 + b * b)).sum(dim=0)),
]
