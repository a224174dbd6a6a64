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
from groups.services import commune_create, group_create, member_register, membership_add
from lending.models import Loan, LoanProgram
from lending.services import interest_payment_post, loan_disburse, savings_deposit
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


def _group(code, name, commune, association, staff, leader):
    return group_create(
        code=code,
        name=name,
        commune=commune,
        association=association,
        founded_on=date(2015, 1, 1),
        village=name.replace("Tổ thôn", "Thôn"),
        leader_name=leader,
        acting_user=staff,
    )


def _member(national_id, full_name, commune, group, staff):
    member = member_register(national_id=national_id, full_name=full_name, commune=commune, acting_user=staff)
    membership_add(member=member, group=group, joined_on=date(2016, 1, 1), acting_user=staff)
    return member


def _loan(loan_no, member, amount, disbursed_on, due_on, staff):
    return loan_disburse(
        loan_no=loan_no,
        member=member,
        program=LoanProgram.objects.get(code="01"),
        amount=amount,
        disbursed_on=disbursed_on,
        installments=[(due_on, amount)],
        acting_user=staff,
    )


def build(staff) -> Book:
    """The portfolio of the module docstring."""
    hnd, hpn = Association.objects.get(code="HND"), Association.objects.get(code="HPN")
    quan_hau = commune_create(code="QH", name="Quán Hàu", transaction_day=20, acting_user=staff)
    van_ninh = commune_create(code="VN", name="Vạn Ninh", transaction_day=28, acting_user=staff)
    g1 = _group("QH-01", "Tổ thôn Quán Hàu", quan_hau, hnd, staff, "Lê Thị Oanh")
    g2 = _group("QH-02", "Tổ thôn Tân Mỹ", quan_hau, hpn, staff, "Hoàng Thị Hạnh")
    g3 = _group("VN-01", "Tổ thôn Vạn Ninh", van_ninh, hpn, staff, "Đặng Thị Thu")
    an = _member("044000000001", "Nguyễn Văn An", quan_hau, g1, staff)
    binh = _member("044000000002", "Trần Thị Bình", quan_hau, g2, staff)
    cuc = _member("044000000003", "Lê Thị Cúc", van_ninh, g3, staff)
    hnd1 = _loan("HND-1", an, 12_000_000, date(2020, 1, 10), date(2020, 6, 30), staff)
    interest_payment_post(loan=hnd1, amount=90_200, value_date=date(2020, 2, 20), acting_user=staff)
    hpn1 = _loan("HPN-1", binh, 6_000_000, date(2020, 1, 10), date(2020, 3, 20), staff)
    hpn2 = _loan("HPN-2", cuc, 18_000_000, date(2020, 1, 28), date(2021, 1, 28), staff)
    interest_payment_post(loan=hpn2, amount=102_300, value_date=date(2020, 2, 28), acting_user=staff)
    savings_deposit(member=an, amount=500_000, value_date=date(2020, 1, 20), acting_user=staff)
    savings_deposit(member=binh, amount=300_000, value_date=date(2020, 2, 20), acting_user=staff)
    return Book(quan_hau, van_ninh, g1, g2, g3, an, binh, cuc, hnd1, hpn1, hpn2)
