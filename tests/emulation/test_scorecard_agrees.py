"""The scorecard's figure targets (T1, T2, T3, T8) agree with `district_report` for the
district and each association, month by month and quarter by quarter, on random books
(the property test's books: tests/reporting/test_engine_sql_property.py). The demo
district is checked the same way in tests/demo."""

from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from tests.reporting.test_engine_sql_property import _build, _Rollback, book_spec
from tests.support.scorecard import assert_scorecard_agrees_with_district_report

EXAMPLES = 6


@pytest.mark.django_db
def test_the_scorecard_agrees_with_the_report_on_any_book(staff, manager):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(book_spec)
    def agree(spec):
        try:
            with transaction.atomic():
                _build(spec, staff, manager)
                assert assert_scorecard_agrees_with_district_report(2020, date(2020, 12, 31)) == 5 * (3 * 12 + 4)
                raise _Rollback
        except _Rollback:
            pass

    agree()
