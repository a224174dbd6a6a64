"""Emulation pages: the scorecard, the targets and grading rules a manager edits."""

from django.urls import path

from .views import scorecard, targets

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
    path("targets/", targets.target_list, name="target_list"),
    path("targets/<int:year>/", targets.target_list, name="target_year"),
    path("targets/<int:year>/copy/", targets.target_copy_year, name="target_copy_year"),
    path("targets/<int:pk>/edit/", targets.target_edit, name="target_edit"),
    path("grading-rules/", targets.grading_rules, name="grading_rules"),
    path("grading-rules/new/", targets.grading_rules_new, name="grading_rules_new"),
]
