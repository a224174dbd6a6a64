"""Emulation pages: the scorecard, the targets and grading rules a manager edits."""

from django.urls import path

from .views import scorecard

urlpatterns: list = [
    # -- the scorecard (emulation/views/scorecard.py) --
    path("scorecard/", scorecard.scorecard_page, name="scorecard"),
    path("scorecard/<str:unit_code>/", scorecard.scorecard_unit, name="scorecard_unit"),
    path(
        "scorecard/<str:unit_code>/<key:target_code>/<key:period_label>/",
        scorecard.scorecard_cell,
        name="scorecard_cell",
    ),
    # -- targets and grading rules (emulation/views/targets.py) --
]
