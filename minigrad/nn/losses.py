"""Loss layers: modules that hold a loss function's settings (``loss_fn(scores, target)``)."""
from . import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "MulticlassHingeLoss", "MSELoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = F._check_reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy``: softmax cross-entropy of logits (N, C) and classes (N,)."""

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, self.reduction)


class MulticlassHingeLoss(_Loss):
    """``F.multiclass_hinge_loss``: the CS231n multiclass SVM loss."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, scores, target):
        return F.multiclass_hinge_loss(scores, target, self.margin, self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, " + super().extra_repr()


class MSELoss(_Loss):
    """``F.mse_loss``: mean squared error."""

    def forward(self, input, target):  # noqa: A002 - PyTorch's name
        return F.mse_loss(input, target, self.reduction)
