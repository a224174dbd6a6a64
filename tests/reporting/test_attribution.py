"""Attribution (DESIGN §4): dated membership, dated assignment, dissolved groups, direct loans."""

from datetime import date

from groups.services import group_create, group_dissolve, group_transfer, member_move, membership_end
from lending.models import Channel
from lending.services import repayment_post, savings_deposit
from reporting.indicators import district_figures, figures_by
from tests.support.book import disburse, new_member
from tests.support.figures import row

D = date
LATE_DUE = [(D(2021, 6, 1), 12_000_000)]


def test_group_transferred_to_another_association_mid_year(member, group, group2, poor, staff, hnd, hpn):
    # QH-01 (HND) holds a 12.000.000 loan, VN-01 (HPN) a 5.000.000 one; QH-01 goes to HPN on 01/07/2020.
    loan = disburse(member, poor, staff, "A1", disbursed_on=D(2019, 6, 1), installments=LATE_DUE)
    other = new_member("044000000002", group2.commune, staff, group=group2)
    disburse(
        other,
        poor,
        staff,
        "A2",
        amount=5_000_000,
        disbursed_on=D(2019, 6, 1),
        installments=[(D(2021, 6, 1), 5_000_000)],
    )
    repayment_post(loan=loan, amount=1_000_000, value_date=D(2020, 5, 10), acting_user=staff)
    group_transfer(group=group, association=hpn, effective_on=D(2020, 7, 1), acting_user=staff)

    before = district_figures(D(2020, 6, 30), "2020Q2")["by_association"]
    assert [(r["code"], r["outstanding"], r["groups"], r["loans"]) for r in before] == [
        ("HND", 11_000_000, 1, 1),
        ("HPN", 5_000_000, 1, 1),
        ("CCB", 0, 0, 0),
        ("DTN", 0, 0, 0),
    ]
    # The Q2 repayment belongs to HND: the attribution at the period's end (30/06).
    assert row(before, "HND")["period"]["principal_repaid"] == 1_000_000

    after = district_figures(D(2020, 12, 31), "2020")
    hnd_row, hpn_row = row(after["by_association"], "HND"), row(after["by_association"], "HPN")
    assert (hnd_row["outstanding"], hnd_row["groups"]) == (0, 0)
    assert (hpn_row["outstanding"], hpn_row["groups"]) == (16_000_000, 2)
    # Year start (31/12/2019, attributed then): HND 12.000.000, HPN 5.000.000.
    assert hnd_row["change_since_year_start"] == 0 - 12_000_000
    assert hpn_row["change_since_year_start"] == 16_000_000 - 5_000_000
    # The whole-year flows follow the attribution at 31/12/2020: HPN.
    assert hnd_row["period"]["principal_repaid"] == 0
    assert hpn_row["period"]["principal_repaid"] == 1_000_000
    p = after["portfolio"]
    assert p["entrusted_outstanding_year_start"] == 17_000_000
    assert p["entrusted_change_since_year_start"] == 16_000_000 - 17_000_000


def test_member_moving_between_groups(member, group, group2, poor, staff, hnd, hpn, commune, commune2):
    loan = disburse(member, poor, staff, "B1", installments=LATE_DUE)
    savings_deposit(member=member, amount=700_000, value_date=D(2020, 1, 15), acting_user=staff)
    member_move(member=member, group=group2, moved_on=D(2020, 5, 1), acting_user=staff)

    def where(day):
        f = figures_by(("association", "commune", "group"), day)
        return [key for key, v in f.items() if v.outstanding]

    assert where(D(2020, 4, 30)) == [(hnd.pk, commune.pk, group.pk)]  # left_on 30/04 inclusive
    assert where(D(2020, 5, 1)) == [(hpn.pk, commune2.pk, group2.pk)]

    report = district_figures(D(2020, 4, 30), by_group=True)
    assert [(g["code"], g["members"], g["borrowers"], g["savings_balance"]) for g in report["by_group"]] == [
        ("QH-01", 1, 1, 700_000),
        ("VN-01", 0, 0, 0),
    ]
    report = district_figures(D(2020, 5, 1), by_group=True)
    assert [(g["code"], g["members"], g["borrowers"], g["savings_balance"]) for g in report["by_group"]] == [
        ("QH-01", 0, 0, 0),
        ("VN-01", 1, 1, 700_000),
    ]
    assert row(report["by_commune"], "VN")["outstanding"] == 12_000_000
    assert row(report["by_commune"], "QH")["outstanding"] == 0
    assert row(report["by_association"], "HPN")["savings_balance"] == 700_000
    assert row(report["by_association"], "HPN")["groups_with_savings"] == 1
    assert loan.pk  # the loan itself never changed


def test_dissolved_group(group, poor, staff, hnd, commune):
    group3 = group_create(
        code="QH-02",
        name="Tổ Quán Hàu 2",
        commune=commune,
        association=hnd,
        founded_on=D(2016, 1, 1),
        acting_user=staff,
    )
    member3 = new_member("044000000003", commune, staff, group=group3)
    disburse(member3, poor, staff, "C1", installments=LATE_DUE)
    savings_deposit(member=member3, amount=1_000_000, value_date=D(2020, 1, 5), acting_user=staff)
    # a borrower of an entrusted loan may not leave their last group: moved to QH-01 first
    member_move(member=member3, group=group, moved_on=D(2020, 3, 31), acting_user=staff)
    group_dissolve(group=group3, dissolved_on=D(2020, 3, 31), acting_user=staff)

    at = district_figures(D(2020, 3, 30), by_group=True)
    hnd_row = row(at["by_association"], "HND")
    assert (hnd_row["groups"], hnd_row["outstanding"], hnd_row["savings_balance"]) == (2, 12_000_000, 1_000_000)
    assert hnd_row["groups_with_savings"] == 1
    assert [g["code"] for g in at["by_group"]] == ["QH-01", "QH-02"]

    # Dissolved on 31/03: not counted from that day, not listed.
    at = district_figures(D(2020, 3, 31), by_group=True)
    assert row(at["by_association"], "HND")["groups"] == 1
    assert [g["code"] for g in at["by_group"]] == ["QH-01"]

    # In QH-01 from 31/03: the loan and the savings go with it (HND, QH).
    at = district_figures(D(2020, 4, 15), by_group=True)
    hnd_row, qh = row(at["by_association"], "HND"), row(at["by_commune"], "QH")
    assert (hnd_row["outstanding"], hnd_row["borrowers"], hnd_row["savings_balance"]) == (12_000_000, 1, 1_000_000)
    assert (hnd_row["groups"], hnd_row["groups_with_savings"]) == (1, 1)
    assert (qh["outstanding"], qh["savings_balance"], qh["groups_with_savings"]) == (12_000_000, 1_000_000, 1)
    assert [(g["code"], g["borrowers"], g["savings_balance"]) for g in at["by_group"]] == [("QH-01", 1, 1_000_000)]
    assert at["portfolio"]["savings_balance"] == 1_000_000
    assert at["portfolio"]["groups"] == 1


def test_a_member_in_no_group_keeps_their_savings_in_the_commune(group, staff, commune):
    # Leaving the last group (no entrusted loan): the savings go to the commune alone.
    member3 = new_member("044000000003", commune, staff, group=group)
    savings_deposit(member=member3, amount=1_000_000, value_date=D(2020, 1, 5), acting_user=staff)
    membership_end(member=member3, left_on=D(2020, 3, 31), acting_user=staff)
    at = district_figures(D(2020, 4, 15))
    hnd_row, qh = row(at["by_association"], "HND"), row(at["by_commune"], "QH")
    assert (hnd_row["savings_balance"], hnd_row["groups"], hnd_row["groups_with_savings"]) == (0, 1, 0)
    assert (qh["savings_balance"], qh["groups_with_savings"]) == (1_000_000, 0)
    assert at["portfolio"]["savings_balance"] == 1_000_000


def test_direct_loan_belongs_to_the_commune_and_no_association(member, poor, staff, commune2):
    disburse(member, poor, staff, "D1", installments=LATE_DUE)  # entrusted, QH, HND
    outsider = new_member("044000000004", commune2, staff)  # in no group
    disburse(
        outsider,
        poor,
        staff,
        "D2",
        amount=10_000_000,
        channel=Channel.DIRECT,
        installments=[(D(2020, 6, 30), 10_000_000)],
    )

    at = district_figures(D(2020, 7, 1))
    p = at["portfolio"]
    assert (p["outstanding"], p["entrusted_outstanding"], p["direct_outstanding"]) == (
        22_000_000,
        12_000_000,
        10_000_000,
    )
    assert p["entrusted_share"] == 0.545455  # 12 / 22 = 0,5454545… → 0,545455
    assert (p["overdue"], p["entrusted_overdue"], p["entrusted_overdue_ratio"]) == (10_000_000, 0, 0.0)
    assert p["overdue_ratio"] == 0.454545  # 10 / 22 = 0,4545454… → 0,454545
    assert sum(r["outstanding"] for r in at["by_association"]) == 12_000_000
    vn = row(at["by_commune"], "VN")
    assert (vn["outstanding"], vn["entrusted_outstanding"], vn["overdue"], vn["borrowers"]) == (
        10_000_000,
        0,
        10_000_000,
        1,
    )
    assert (p["loans"], p["borrowers"]) == (2, 2)


def test_year_start_change_per_association(member, group, group2, poor, staff, hnd, hpn, ccb, commune):
    # HND: 12.000.000 at 31/12/2019, 4.000.000 repaid in 2020, a new 3.000.000 loan in 2020.
    loan = disburse(member, poor, staff, "Y1", disbursed_on=D(2019, 3, 1), installments=LATE_DUE)
    repayment_post(loan=loan, amount=4_000_000, value_date=D(2020, 2, 1), acting_user=staff)
    m2 = new_member("044000000005", commune, staff, group=group)
    disburse(
        m2, poor, staff, "Y2", amount=3_000_000, disbursed_on=D(2020, 3, 1), installments=[(D(2021, 3, 1), 3_000_000)]
    )
    # CCB: a group founded in 2020 with a 2.000.000 loan; HPN: nothing.
    group3 = group_create(
        code="QH-03", name="Tổ CCB", commune=commune, association=ccb, founded_on=D(2020, 1, 15), acting_user=staff
    )
    m3 = new_member("044000000006", commune, staff, group=group3, joined_on=D(2020, 1, 15))
    disburse(
        m3, poor, staff, "Y3", amount=2_000_000, disbursed_on=D(2020, 2, 1), installments=[(D(2021, 2, 1), 2_000_000)]
    )

    at = district_figures(D(2020, 6, 30))["by_association"]
    # HND: 8.000.000 + 3.000.000 − 12.000.000 = −1.000.000; CCB: 2.000.000 − 0.
    assert [(r["code"], r["outstanding"], r["change_since_year_start"]) for r in at] == [
        ("HND", 11_000_000, -1_000_000),
        ("HPN", 0, 0),
        ("CCB", 2_000_000, 2_000_000),
        ("DTN", 0, 0),
    ]
    qh = row(district_figures(D(2020, 6, 30))["by_commune"], "QH")
    assert qh["change_since_year_start"] == 13_000_000 - 12_000_000
