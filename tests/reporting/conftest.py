"""Fixtures of the reporting tests: a second commune and group, an installment-rule program.

Interest arithmetic used throughout: 12.000.000 đ at 6,60 %/năm accrues
12.000.000 × 6,60 / 36000 = 2.200 đ a day (2.860 đ a day overdue, factor 1,30); the
commune `QH` bills on the 20th.
"""

from datetime import date

import pytest

from groups.models import Association
from groups.services import commune_create, group_create
from lending.services import program_create


@pytest.fixture
def ccb(db):
    return Association.objects.get(code="CCB")


@pytest.fixture
def commune2(db, staff):
    return commune_create(code="VN", name="Vạn Ninh", transaction_day=28, acting_user=staff)


@pytest.fixture
def group2(commune2, hpn, staff):
    return group_create(
        code="VN-01",
        name="Tổ Vạn Ninh 1",
        commune=commune2,
        association=hpn,
        founded_on=date(2016, 1, 1),
        acting_user=staff,
    )


@pytest.fixture
def installment_program(manager):
    return program_create(
        code="90",
        name="Cho vay thử theo kỳ hạn",
        annual_rate="6.60",
        overdue_rule="installment",
        acting_user=manager,
    )
