"""Warnings raised by skrobustad."""

__all__ = ["ConstantScoresWarning", "LabelsIgnoredWarning"]


class ConstantScoresWarning(UserWarning):
    """The fitted detector gives (nearly) the same score to every training sample.

    A collapsed detector cannot rank anything; this is raised instead of
    silently returning useless scores (a known failure of Deep SVDD).
    """


class LabelsIgnoredWarning(UserWarning):
    """Labels were passed where the estimator cannot use them."""
