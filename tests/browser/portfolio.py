"""A small portfolio for the browser tests, built through the services inside the test.

The live server reads the test's committed rows, so the browser tests build their data
in the test function (transactional database), not in module fixtures. At 31/03/2020:

| loan  | member (group, association) | amount     | due        | at 31/03/2020                               |
|-------|-----------------------------|------------|------------|---------------------------------------------|
| HND-1 | An   (QH-01, HND)           | 12.000.000 | 30/06/2020 | interest arrears 63.800 (154.000 − 90.200)  |
| HPN-1 | Bình (QH-02, HPN)           |  6.000.000 | 20/03/2020 | all overdue; interest arrears 77.000        |
| HPN-2 | Cúc  (VN-01, HPN)           | 18.000.000 | 28/01/2021 | interest arrears 95.700 (198.000 − 102.300) |

At 6,60 %/năm on 360 days: 12.000.000 đ accrues 2.200 đ a day, 6.000.000 1.100, 18.000.000
3.300. Quán Hàu bills on the 20th (HND-1: 22.000 + 68.200 + 63.800 to 20/03), Vạn Ninh on
the 28th. Savings: An 500.000, Bình 300.000.
"""

from dataclasses import dataclass
from datetime import date

from groups.models import Association, Commune, Member, SavingsGroup
from groups.services import commune_create
from lending.models import Loan, LoanProgram
from lending.services import interest_payment_post, savings_deposit
from tests.support.book import disburse, new_group, new_member
from tests.support.factories import UserFactory
from vbsp_district.models import Role

PASSWORD = "secret-pass-1"


def users():
    """The staff member, the manager and the two association officers.

    A user's whole name goes in `first_name`, as the demo accounts keep it (Vietnamese names
    are written family name first; `get_full_name()` puts `first_name` first).
    """
    associations = {a.code: a for a in Association.objects.filter(code__in=["HND", "HPN"])}
    return {
        "staff": UserFactory(username="canbo", first_name="Nguyễn Thu Hà", role=Role.STAFF),
        "manager": UserFactory(username="quanly", first_name="Trần Văn Minh", role=Role.MANAGER),
        "hnd": UserFactory(
            username="hnd", first_name="Lê Văn Sơn", role=Role.OFFICER, role__association=associations["HND"]
        ),
        "hpn": UserFactory(
            username="hpn", first_name="Phạm Thị Mai", role=Role.OFFICER, role__association=associations["HPN"]
        ),
    }


@dataclass
class Book:
    quan_hau: Commune
    van_ninh: Commune
    g1: SavingsGroup
    g2: SavingsGroup
    g3: SavingsGroup
    an: Member
    binh: Member
    cuc: Member
    hnd1: Loan
    hpn1: Loan
    hpn2: Loan


def build(staff) -> Book:
    """The portfolio of the module docstring."""
    hnd, hpn = Association.objects.get(code="HND"), Association.objects.get(code="HPN")
    poor = LoanProgram.objects.get(code="01")
    quan_hau = commune_create(code="QH", name="Quán Hàu", transaction_day=20, acting_user=staff)
    van_ninh = commune_create(code="VN", name="Vạn Ninh", transaction_day=28, acting_user=staff)
    g1 = new_group(
        "QH-01", "Tổ thôn Quán Hàu", quan_hau, hnd, staff, village="Thôn Quán Hàu", leader_name="Lê Thị Oanh"
    )
    g2 = new_group("QH-02", "Tổ thôn Tân Mỹ", quan_hau, hpn, staff, village="Thôn Tân Mỹ", leader_name="Hoàng Thị Hạnh")
    g3 = new_group(
        "VN-01", "Tổ thôn Vạn Ninh", van_ninh, hpn, staff, village="Thôn Vạn Ninh", leader_name="Đặng Thị Thu"
    )
    an = new_member("044000000001", quan_hau, staff, g1, full_name="Nguyễn Văn An")
    binh = new_member("044000000002", quan_hau, staff, g2, full_name="Trần Thị Bình")
    cuc = new_member("044000000003", van_ninh, staff, g3, full_name="Lê Thị Cúc")
    hnd1 = disburse(an, poor, staff, "HND-1", due_on=date(2020, 6, 30))
    interest_payment_post(loan=hnd1, amount=90_200, value_date=date(2020, 2, 20), acting_user=staff)
    hpn1 = disburse(binh, poor, staff, "HPN-1", amount=6_000_000, due_on=date(2020, 3, 20))
    hpn2 = disburse(
        cuc, poor, staff, "HPN-2", amount=18_000_000, disbursed_on=date(2020, 1, 28), due_on=date(2021, 1, 28)
    )
    interest_payment_post(loan=hpn2, amount=102_300, value_date=date(2020, 2, 28), acting_user=staff)
    savings_deposit(member=an, amount=500_000, value_date=date(2020, 1, 20), acting_user=staff)
    savings_deposit(member=binh, amount=300_000, value_date=date(2020, 2, 20), acting_user=staff)
    return Book(quan_hau, van_ninh, g1, g2, g3, an, binh, cuc, hnd1, hpn1, hpn2)
