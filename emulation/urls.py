"""Emulation pages: the scorecard, the targets and grading rules a manager edits."""

urlpatterns: list = [
    # -- the scorecard (emulation/views/scorecard.py) --
    # -- targets and grading rules (emulation/views/targets.py) --
]
