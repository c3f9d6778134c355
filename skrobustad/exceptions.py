"""Warnings raised by skrobustad."""

__all__ = [
    "ConstantScoresWarning",
    "LabelsIgnoredWarning",
    "TrainingDivergedError",
    "WeightsIgnoredWarning",
]


class ConstantScoresWarning(UserWarning):
    """The fitted detector gives (nearly) the same score to every training sample.

    A collapsed detector cannot rank anything; this is raised instead of
    silently returning useless scores (a known failure of Deep SVDD).
    """


class LabelsIgnoredWarning(UserWarning):
    """Labels were passed where the estimator cannot use them."""


class WeightsIgnoredWarning(UserWarning):
    """Sample weights were passed to a fit that gave the same model without them.

    :class:`~skrobustad.IAD` raises it when a re-weighted round scores the
    training data exactly as the round before: its rounds then cost a fit
    each and change nothing.
    """


class TrainingDivergedError(ValueError):
    """Training produced a non-finite loss or non-finite network parameters.

    Raised by ``fit`` instead of returning a model whose scores are NaN. The
    usual causes are input values too large for the network (scale the
    features) or a learning rate that is too high.
    """
