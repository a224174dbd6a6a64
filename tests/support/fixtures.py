"""The fixtures every test folder shares, registered by tests/conftest.py.

The organization: one user per role, the associations and the poor-household program the
migrations create, a commune, a group and a member (factories, no audit events).

The page tests' portfolio (`book`, `world`, `as_user`), built through the services.
Two communes, two associations, three groups, four borrowers. At 31/03/2020 (`AS_OF`):

| loan    | member (group, association) | amount      | due        | at 31/03/2020                               |
|---------|-----------------------------|-------------|------------|---------------------------------------------|
| HND-1   | An   (QH-01, HND)           | 12.000.000  | 30/06/2020 | interest arrears 63.800 (154.000 − 90.200)  |
| HPN-1   | Bình (QH-02, HPN)           |  6.000.000  | 20/03/2020 | all overdue; arrears 77.000, nothing paid   |
| HPN-2   | Cúc  (VN-01, HPN)           | 18.000.000  | 28/01/2021 | arrears 95.700 (198.000 − 102.300)          |
| TT-1    | Dũng (Quán Hàu, no group)   | 30.000.000  | 10/01/2021 | direct; arrears 159.500 (385.000 − 225.500) |

At 6,60 %/năm: 12.000.000 accrues 2.200 đ a day, 6.000.000 1.100, 18.000.000 3.300,
30.000.000 5.500. Quán Hàu bills on the 20th, Vạn Ninh on the 28th. Savings: An
500.000, Bình 300.000 − 100.000 = 200.000.
"""

from datetime import date

import pytest
from django.core.cache import caches
from django.db import connection

from groups.models import Association
from groups.services import commune_create
from lending.models import Channel, LoanProgram
from lending.services import (
    interest_payment_post,
    repayment_post,
    reversal_request,
    savings_deposit,
    savings_withdraw,
)
from vbsp_district.models import Role

from .book import disburse, new_group, new_member
from .factories import CommuneFactory, GroupFactory, MemberFactory, UserFactory


# -- the database ------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_figures_kept_from_another_test():
    """Each test starts with nothing kept between requests (reporting/cache.py): ids and
    build times repeat across tests that roll back."""
    caches["figures"].clear()


@pytest.fixture(scope="module")
def vacuum_afterwards(django_db_setup, django_db_blocker):
    """VACUUM the test database once the module's tests have rolled back (PostgreSQL).

    A rolled-back transaction leaves every row it inserted behind as a dead tuple, and
    nothing reclaims them while autovacuum is off or has not come round: after the demo
    district (millions of rows) every later count or sequential scan of those tables
    reads hundreds of megabytes, and the rest of the suite runs several times slower. A
    module-scoped fixture is torn down after the tests' own rollback, outside any
    transaction, where VACUUM may run.
    """
    yield
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("VACUUM")


# -- the organization ------------------------------------------------------------------------


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


# -- the page tests' portfolio ---------------------------------------------------------------

AS_OF = date(2020, 3, 31)
NGAY = "?date=31/03/2020"


@pytest.fixture
def quan_hau(staff):
    return commune_create(code="QH", name="Quán Hàu", transaction_day=20, acting_user=staff)


@pytest.fixture
def van_ninh(staff):
    return commune_create(code="VN", name="Vạn Ninh", transaction_day=28, acting_user=staff)


@pytest.fixture
def book(db, staff, hnd, hpn, poor, quan_hau, van_ninh):
    """The portfolio of the module docstring, as a namespace of its objects."""
    g1 = new_group("QH-01", "Tổ thôn Quán Hàu", quan_hau, hnd, staff, village="Thôn 1")
    g2 = new_group("QH-02", "Tổ thôn Tân Mỹ", quan_hau, hpn, staff, village="Thôn 1")
    g3 = new_group("VN-01", "Tổ thôn Vạn Ninh", van_ninh, hpn, staff, village="Thôn 1")
    an = new_member("044000000001", quan_hau, staff, g1, full_name="Nguyễn Văn An")
    binh = new_member("044000000002", quan_hau, staff, g2, full_name="Trần Thị Bình")
    cuc = new_member("044000000003", van_ninh, staff, g3, full_name="Lê Thị Cúc")
    dung = new_member("044000000004", quan_hau, staff, full_name="Phạm Văn Dũng")

    hnd1 = disburse(an, poor, staff, "HND-1", due_on=date(2020, 6, 30))
    interest_payment_post(loan=hnd1, amount=90_200, value_date=date(2020, 2, 20), acting_user=staff)
    hpn1 = disburse(binh, poor, staff, "HPN-1", amount=6_000_000, due_on=date(2020, 3, 20))
    hpn2 = disburse(
        cuc, poor, staff, "HPN-2", amount=18_000_000, disbursed_on=date(2020, 1, 28), due_on=date(2021, 1, 28)
    )
    interest_payment_post(loan=hpn2, amount=102_300, value_date=date(2020, 2, 28), acting_user=staff)
    tt1 = disburse(dung, poor, staff, "TT-1", amount=30_000_000, due_on=date(2021, 1, 10), channel=Channel.DIRECT)
    interest_payment_post(loan=tt1, amount=55_000, value_date=date(2020, 1, 20), acting_user=staff)
    interest_payment_post(loan=tt1, amount=170_500, value_date=date(2020, 2, 20), acting_user=staff)

    savings_deposit(member=an, amount=500_000, value_date=date(2020, 1, 20), acting_user=staff)
    savings_deposit(member=binh, amount=300_000, value_date=date(2020, 2, 20), acting_user=staff)
    savings_withdraw(member=binh, amount=100_000, value_date=date(2020, 3, 20), acting_user=staff)

    class Book:
        pass

    b = Book()
    b.__dict__.update(
        quan_hau=quan_hau,
        van_ninh=van_ninh,
        g1=g1,
        g2=g2,
        g3=g3,
        an=an,
        binh=binh,
        cuc=cuc,
        dung=dung,
        hnd1=hnd1,
        hpn1=hpn1,
        hpn2=hpn2,
        tt1=tt1,
    )
    return b


@pytest.fixture
def officer_hnd(hnd):
    """A district officer of the Farmers' association: sees the HND groups' books, posts nothing."""
    return UserFactory(username="hnd", role=Role.OFFICER, role__association=hnd)


@pytest.fixture
def officer_hpn(hpn):
    """A district officer of the Women's union: the HND groups' books are outside their scope."""
    return UserFactory(username="hpn", role=Role.OFFICER, role__association=hpn)


@pytest.fixture
def commune_officer(hpn, van_ninh):
    """The Women's Union officer of Vạn Ninh commune."""
    return UserFactory(username="hpn-vn", role=Role.OFFICER, role__association=hpn, role__commune=van_ninh)


@pytest.fixture
def users(staff, manager, officer_hnd, officer_hpn, commune_officer):
    return {
        "staff": staff,
        "manager": manager,
        "officer_hnd": officer_hnd,
        "officer_hpn": officer_hpn,
        "commune_officer": commune_officer,
    }


@pytest.fixture
def as_user(client, users):
    """as_user('officer_hpn') → the test client signed in as that user."""

    def sign_in(role):
        client.force_login(users[role])
        return client

    return sign_in


@pytest.fixture
def world(book, staff):
    """The web book plus one posted repayment and a pending reversal request per association."""
    t_hnd = repayment_post(loan=book.hnd1, amount=1_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    t_hpn = repayment_post(loan=book.hpn2, amount=1_000_000, value_date=date(2020, 3, 20), acting_user=staff)
    book.r_hnd = reversal_request(transaction=t_hnd, reason="Nhập nhầm", acting_user=staff)
    book.r_hpn = reversal_request(transaction=t_hpn, reason="Nhập nhầm", acting_user=staff)
    book.t_hnd, book.t_hpn = t_hnd, t_hpn
    return book
