"""Warnings raised by skrobustad."""

__all__ = ["ConstantScoresWarning", "LabelsIgnoredWarning", "TrainingDivergedError"]


class ConstantScoresWarning(UserWarning):
    """The fitted detector gives (nearly) the same score to every training sample.

    A collapsed detector cannot rank anything; this is raised instead of
    silently returning useless scores (a known failure of Deep SVDD).
    """


class LabelsIgnoredWarning(UserWarning):
    """Labels were passed where the estimator cannot use them."""


class TrainingDivergedError(ValueError):
    """Training produced a non-finite loss or non-finite network parameters.

    Raised by ``fit`` instead of returning a model whose scores are NaN. The
    usual causes are input values too large for the network (scale the
    features) or a learning rate that is too high.
    """
