"""The exceptions minigrad raises, each a subclass of the builtin a numpy user would expect."""


class ShapeError(ValueError):
    """Shapes that do not fit an op: names the op and every input shape."""


class GradientShapeError(RuntimeError):
    """A backward rule or a user-given gradient whose shape does not fit its tensor."""


class AnomalyError(RuntimeError):
    """A NaN or inf caught by ``detect_anomaly()``: names the op and where it was created."""
