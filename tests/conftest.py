from datetime import date

import pytest
from django.db import connection

from groups.models import Association
from lending.models import LoanProgram
from vbsp_district.models import Role

from .factories import CommuneFactory, GroupFactory, MemberFactory, UserFactory

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@pytest.fixture
def staff(db):
    return UserFactory(username="canbo", role=Role.STAFF)


@pytest.fixture
def manager(db):
    return UserFactory(username="quanly", role=Role.MANAGER)


@pytest.fixture
def manager2(db):
    return UserFactory(username="quanly2", role=Role.MANAGER)


@pytest.fixture
def hnd(db):
    return Association.objects.get(code="HND")


@pytest.fixture
def hpn(db):
    return Association.objects.get(code="HPN")


@pytest.fixture
def poor(db):
    return LoanProgram.objects.get(code="01")


@pytest.fixture
def commune(db):
    return CommuneFactory(code="QH", name="Quán Hàu", transaction_day=20)


@pytest.fixture
def group(commune, hnd):
    return GroupFactory(code="QH-01", commune=commune, association=hnd, founded_on=date(2015, 1, 1))


@pytest.fixture
def member(commune, group):
    return MemberFactory(national_id="044000000001", commune=commune, group=group)
