"""A manager records new grading rules from a day on (emulation/services.py): the rules are
checked field by field, a rule set a stored grade used is never edited, and the ended
months and quarters the new rules decide are graded again in the same transaction while
those that ended before keep their grades, points and rules.

The page tests' book (tests/support/fixtures.py; hand-computed points in
tests/emulation/test_grading_book.py), graded with the default rules:

| group (month) | 1. day | 2. overdue | 3. principal | 4. interest | 5. saving | 6. growth | total     |
|---------------|--------|------------|--------------|-------------|-----------|-----------|-----------|
| QH-01 01/2020 | 20     | 30         | 15           | 0 (unpaid)  | 5         | 10        | 80 Khá    |
| QH-02 01/2020 | 20     | 30         | 15           | 0           | 0         | 5         | 70 Khá    |
| QH-02 02/2020 | 20     | 30         | 15           | 0           | 5         | 10        | 80 Khá    |
| QH-01 03/2020 | 20     | 30         | 15           | 0           | 5         | 5         | 75 Khá    |
| QH-02 03/2020 | 20     | 0          | 0            | 0           | 5         | 0         | 25 Yếu    |
| VN-01 03/2020 | 20     | 30         | 15           | 0           | 0         | 5         | 70 Khá    |
| QH-02 04/2020 | 20     | 0          | 15 (none)    | 0           | 5         | 5         | 45 Yếu    |

The new rules (`LENIENT`): an unpaid interest bill still earns 5 points, and Tốt starts at
80, Trung bình at 40. Under them QH-01 would be 85 Tốt in January and QH-02 85 Tốt in
February; in March QH-01 makes 80 Tốt, QH-02 30 Yếu, VN-01 75 Khá; in April QH-02 50
Trung bình.
"""

import copy
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from emulation import grading
from emulation.models import CommuneAssociationGrade, GradingRules, GroupGrade
from emulation.services import grading_rules_record
from lending.services import period_close
from reporting import store
from reporting.store import ended_periods
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

GROUP = GradingRules.Kind.GROUP
COMMUNE_ASSOCIATION = GradingRules.Kind.COMMUNE_ASSOCIATION
MID_MARCH = date(2020, 3, 15)


def default_rules(kind=GROUP) -> dict:
    return copy.deepcopy(GradingRules.objects.get(kind=kind, effective_on=date(2000, 1, 1)).rules)


def criterion(rules: dict, code: str) -> dict:
    return next(c for c in rules["criteria"] if c["code"] == code)


def lenient() -> dict:
    rules = default_rules()
    criterion(rules, "interest_collection")["otherwise"] = 5
    rules["bands"] = [["Tốt", 80], ["Khá", 70], ["Trung bình", 40]]
    return rules


def grades(month: str) -> dict:
    """{group code: (points of each criterion, total, band, rules id)} of a stored month."""
    return {
        g.group.code: ([c["points"] for c in g.criteria], g.points, g.grade, g.rules_id)
        for g in GroupGrade.objects.filter(month=month).select_related("group")
    }


def grade_ids(**filters) -> set[int]:
    return set(GroupGrade.objects.filter(**filters).values_list("pk", flat=True))


def months_from(day: date) -> int:
    return sum(1 for p in ended_periods() if p.kind == "month" and p.end >= day)


@pytest.fixture
def graded(book):
    """The book with its figures stored and every ended month and quarter graded."""
    store.build_all()
    return book


def test_months_ending_before_keep_their_grades_and_the_later_ones_are_graded_again(graded, manager):
    default = GradingRules.objects.get(kind=GROUP, effective_on=date(2000, 1, 1))
    before = {"2020-01": grades("2020-01"), "2020-02": grades("2020-02")}
    kept = grade_ids(month_end__lt=MID_MARCH)

    record = grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=lenient(), acting_user=manager)

    # January and February ended before 15/03: untouched, still the default rules'
    assert grade_ids(month_end__lt=MID_MARCH) == kept
    assert grades("2020-01") == before["2020-01"]
    assert grades("2020-01")["QH-01"] == ([20, 30, 15, 0, 5, 10], 80, "Khá", default.pk)
    assert grades("2020-02")["QH-02"] == ([20, 30, 15, 0, 5, 10], 80, "Khá", default.pk)
    # March on: graded with the new rules, each grade pointing at them
    assert grades("2020-03") == {
        "QH-01": ([20, 30, 15, 5, 5, 5], 80, "Tốt", record.pk),
        "QH-02": ([20, 0, 0, 5, 5, 0], 30, "Yếu", record.pk),
        "VN-01": ([20, 30, 15, 5, 0, 5], 75, "Khá", record.pk),
    }
    assert grades("2020-04")["QH-02"] == ([20, 0, 15, 5, 5, 5], 50, "Trung bình", record.pk)
    assert set(GroupGrade.objects.filter(month_end__gte=MID_MARCH).values_list("rules_id", flat=True)) == {record.pk}
    assert [p.label for p in record.regraded if p.kind == "month"][:2] == ["2020-03", "2020-04"]
    assert sum(1 for p in record.regraded if p.kind == "month") == months_from(MID_MARCH)
    # the quarters read the new group grades: Q1's (QH, HND) on a Tốt group still Khá
    q1 = {
        (g.commune.code, g.association.code): g.grade for g in CommuneAssociationGrade.objects.filter(quarter="2020Q1")
    }
    assert q1 == {("QH", "HND"): "Khá", ("QH", "HPN"): "Yếu", ("VN", "HPN"): "Khá"}
    assert grading.differences() == []
    assert store.differences({"2020-02", "2020-03", "2020Q1"}) == []


def test_the_rules_record_and_audit_event(graded, manager):
    record = grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=lenient(), acting_user=manager)
    record.refresh_from_db()
    assert (record.kind, record.effective_on, record.recorded_by) == (GROUP, MID_MARCH, manager)
    expected = lenient()
    criterion(expected, "interest_collection")["points"] = 20
    assert record.rules == expected
    event = AuditEvent.objects.get(action="grading_rules.record")
    assert (event.user, event.object_type, event.object_key) == (manager, "emulation.GradingRules", str(record.pk))
    assert event.data["kind"] == "group"
    assert event.data["effective_on"] == "2020-03-15"
    assert event.data["rules"] == expected
    assert event.data["replaced"] is None
    assert event.data["regraded"][:3] == ["2020-03", "2020-04", "2020-05"]
    assert "2020Q1" in event.data["regraded"] and "2020-02" not in event.data["regraded"]


def test_commune_association_rules_regrade_the_quarters_only(graded, manager):
    """No broadcast anywhere in the book: with none required from 01/04/2020, condition
    (c) holds from Q2 on. Q1 keeps its grades; no month is graded again."""
    months = grade_ids()
    q1 = {
        (g.commune_id, g.association_id): (g.grade, g.rules_id)
        for g in CommuneAssociationGrade.objects.filter(quarter="2020Q1")
    }
    rules = default_rules(COMMUNE_ASSOCIATION)
    rules["broadcasts_at_least"] = 0
    record = grading_rules_record(
        kind=COMMUNE_ASSOCIATION, effective_on=date(2020, 4, 1), rules=rules, acting_user=manager
    )
    assert grade_ids() == months
    assert {
        (g.commune_id, g.association_id): (g.grade, g.rules_id)
        for g in CommuneAssociationGrade.objects.filter(quarter="2020Q1")
    } == q1
    q2 = {
        (g.commune.code, g.association.code): ([c["met"] for c in g.conditions], g.grade, g.rules_id)
        for g in CommuneAssociationGrade.objects.filter(quarter="2020Q2")
    }
    assert q2 == {
        ("QH", "HND"): ([False, True, True], "Khá", record.pk),
        ("QH", "HPN"): ([False, False, True], "Trung bình", record.pk),
        ("VN", "HPN"): ([True, True, True], "Tốt", record.pk),
    }
    assert all(p.kind == "quarter" for p in record.regraded)
    assert grading.differences() == []


def test_rules_between_two_rule_sets_decide_only_until_the_later_one(graded, manager):
    june = grading_rules_record(kind=GROUP, effective_on=date(2020, 6, 1), rules=lenient(), acting_user=manager)
    from_june = grade_ids(month_end__gte=date(2020, 6, 1))
    stricter = default_rules()
    stricter["bands"] = [["Tốt", 90], ["Khá", 80], ["Trung bình", 60]]
    march = grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=stricter, acting_user=manager)
    # Q2 reads June's grades, which the June rules decide: not graded again either
    assert [p.label for p in march.regraded] == ["2020-03", "2020-04", "2020-05", "2020Q1"]
    assert grade_ids(month_end__gte=date(2020, 6, 1)) == from_june  # June on: still the June rules'
    assert grades("2020-03")["QH-01"] == ([20, 30, 15, 0, 5, 5], 75, "Trung bình", march.pk)
    assert grades("2020-06")["QH-01"][3] == june.pk
    assert grading.differences() == []


def test_rules_a_grade_used_are_never_edited(graded, manager):
    record = grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=lenient(), acting_user=manager)
    again = lenient()
    criterion(again, "interest_collection")["otherwise"] = 10
    used = months_from(MID_MARCH)
    with pytest.raises(ValidationError) as exc:
        grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=again, acting_user=manager)
    assert exc.value.message_dict == {
        "effective_on": [
            f"Quy tắc áp dụng từ 15/03/2020 đã được dùng để xếp loại {used} tháng; quy tắc đã dùng không sửa được:"
            " hãy ghi quy tắc mới với ngày áp dụng khác."
        ]
    }
    record.refresh_from_db()
    assert record.rules["criteria"][3]["otherwise"] == 5
    assert GradingRules.objects.filter(kind=GROUP).count() == 2


def test_rules_no_grade_used_are_replaced_on_the_same_day(graded, manager):
    """Rules from a day still to come grade nothing yet: recorded again for that day,
    they are replaced in place, and the audit event keeps what they replaced."""
    future = date(2099, 1, 1)
    first = grading_rules_record(kind=GROUP, effective_on=future, rules=lenient(), acting_user=manager)
    assert first.regraded == []
    again = lenient()
    criterion(again, "interest_collection")["otherwise"] = 10
    second = grading_rules_record(kind=GROUP, effective_on=future, rules=again, acting_user=manager)
    assert second.pk == first.pk
    assert GradingRules.objects.get(pk=first.pk).rules["criteria"][3]["otherwise"] == 10
    events = list(AuditEvent.objects.filter(action="grading_rules.record").order_by("pk"))
    assert events[1].data["replaced"]["criteria"][3]["otherwise"] == 5


def test_rules_identical_to_those_in_force_are_refused(graded, manager):
    with pytest.raises(ValidationError) as exc:
        grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=default_rules(), acting_user=manager)
    assert exc.value.message_dict == {
        "__all__": ["Quy tắc này giống hệt quy tắc đang áp dụng từ 01/01/2000; không có gì để ghi."]
    }


def test_a_closed_quarter_keeps_its_grades(graded, manager):
    period_close(year=2020, quarter=1, acting_user=manager)
    for day, message in [
        (MID_MARCH, "Ngày áp dụng 15/03/2020 nằm trong quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020)."),
        (
            date(2019, 12, 1),
            "Ngày áp dụng 01/12/2019 làm thay đổi số liệu quý 1/2020 đã khóa sổ (01/01/2020–31/03/2020); "
            "cần lãnh đạo mở lại quý này trước.",
        ),
    ]:
        with pytest.raises(ValidationError) as exc:
            grading_rules_record(kind=GROUP, effective_on=day, rules=lenient(), acting_user=manager)
        assert exc.value.message_dict == {"effective_on": [message]}
    assert GradingRules.objects.filter(kind=GROUP).count() == 1
    record = grading_rules_record(kind=GROUP, effective_on=date(2020, 4, 1), rules=lenient(), acting_user=manager)
    assert record.regraded[0].label == "2020-04"


def test_only_a_manager_records_rules(book, staff):
    with pytest.raises(ValidationError) as exc:
        grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=lenient(), acting_user=staff)
    assert exc.value.message_dict == {"acting_user": ["Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."]}


# -- the rules' checks ---------------------------------------------------------------------------
def _group(**edits):
    """The default group rules with `edits` made, built when the test runs (the database)."""

    def build():
        rules = default_rules()
        for code, change in edits.items():
            change(criterion(rules, code) if code != "bands" else rules)
        return rules

    return build


def _set(path, value):
    def change(part):
        target = part
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    "rules, errors",
    [
        (
            _group(principal_collection=_set(["steps", 0, 2], -1)),
            {
                "principal_collection-0-points": [
                    "Điểm mức 1 của tiêu chí “Tỷ lệ thu nợ gốc đến hạn trong tháng” phải là số nguyên không âm (tối đa 1.000)."
                ]
            },
        ),
        (
            _group(principal_collection=_set(["steps", 1, 2], 7.5)),
            {
                "principal_collection-1-points": [
                    "Điểm mức 2 của tiêu chí “Tỷ lệ thu nợ gốc đến hạn trong tháng” phải là số nguyên không âm (tối đa 1.000)."
                ]
            },
        ),
        (
            _group(overdue=_set(["none"], -30)),
            {
                "overdue-none": [
                    "Điểm khi không có số liệu của tiêu chí “Tỷ lệ nợ quá hạn cuối tháng” phải là số nguyên không âm (tối đa 1.000)."
                ]
            },
        ),
        (
            _group(members_saving=_set(["otherwise"], "ba")),
            {
                "members_saving-otherwise": [
                    "Điểm khi không đạt mức nào của tiêu chí “Tổ viên có số dư tiết kiệm” phải là số nguyên không âm (tối đa 1.000)."
                ]
            },
        ),
        (
            _group(interest_collection=_set(["steps", 0, 1], "1.05")),
            {
                "interest_collection-0-bound": [
                    "Ngưỡng mức 1 của tiêu chí “Tỷ lệ thu lãi trong tháng” phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."
                ]
            },
        ),
        (
            _group(transaction_day=_set(["steps", 1, 1], "-0.1")),
            {
                "transaction_day-1-bound": [
                    "Ngưỡng mức 2 của tiêu chí “Giao dịch đúng ngày giao dịch xã” phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."
                ]
            },
        ),
        # savings growth compares an amount in đồng: any whole amount, no ratio range
        (
            _group(savings_growth=_set(["steps", 0, 1], "0.5")),
            {
                "savings_growth-0-bound": [
                    "Ngưỡng mức 1 của tiêu chí “Số dư tiết kiệm so với tháng trước” phải là số tiền nguyên (đồng)."
                ]
            },
        ),
        # a step no stricter than the one before could never be reached
        (
            _group(interest_collection=_set(["steps", 1, 1], "0.995")),
            {
                "interest_collection-1-bound": [
                    "Ngưỡng mức 2 của tiêu chí “Tỷ lệ thu lãi trong tháng” phải thấp hơn ngưỡng mức 1"
                    " (các mức được xét lần lượt từ trên xuống)."
                ]
            },
        ),
        (
            _group(overdue=_set(["steps", 2, 1], "0.005")),
            {
                "overdue-2-bound": [
                    "Ngưỡng mức 3 của tiêu chí “Tỷ lệ nợ quá hạn cuối tháng” phải cao hơn ngưỡng mức 2"
                    " (các mức được xét lần lượt từ trên xuống)."
                ]
            },
        ),
        (
            _group(bands=_set(["bands", 1], ["Khá", 85])),
            {"band-1": ["Điểm tối thiểu của loại Khá phải thấp hơn của loại Tốt (85 điểm)."]},
        ),
        (
            _group(bands=_set(["bands", 0], ["Tốt", 101])),
            {"band-0": ["Điểm tối thiểu của loại Tốt vượt tổng điểm tối đa (100 điểm)."]},
        ),
        (
            _group(bands=_set(["bands", 2], ["Trung bình", -1])),
            {"band-2": ["Điểm tối thiểu của loại Trung bình phải là số nguyên không âm (tối đa 1.000)."]},
        ),
        (
            _group(bands=_set(["bands", 0], ["Xuất sắc", 85])),
            {"rules": ["Bộ quy tắc xếp loại không đúng cấu trúc; hãy mở lại biểu mẫu và nhập lại."]},
        ),
        (
            _group(overdue=_set(["code"], "meetings")),
            {"rules": ["Bộ quy tắc xếp loại không đúng cấu trúc; hãy mở lại biểu mẫu và nhập lại."]},
        ),
        (
            _group(overdue=_set(["steps", 0, 0], "between")),
            {"rules": ["Bộ quy tắc xếp loại không đúng cấu trúc; hãy mở lại biểu mẫu và nhập lại."]},
        ),
    ],
)
def test_group_rules_out_of_bounds_are_refused_on_their_field(book, manager, rules, errors):
    with pytest.raises(ValidationError) as exc:
        grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=rules(), acting_user=manager)
    assert exc.value.message_dict == errors
    assert GradingRules.objects.count() == 2
    assert not AuditEvent.objects.filter(action="grading_rules.record").exists()


def test_savings_growth_takes_a_negative_amount(book, manager):
    """A fall of less than 50.000 đ still earns 5 points: any whole amount in đồng."""
    rules = _group(savings_growth=_set(["steps", 1], ["gt", "-50000", 5]))()
    record = grading_rules_record(kind=GROUP, effective_on=MID_MARCH, rules=rules, acting_user=manager)
    assert criterion(record.rules, "savings_growth")["steps"] == [["gt", "0", 10], ["gt", "-50000", 5]]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("good_groups_share", "1.1", "Tỷ lệ tổ xếp loại tốt, khá phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."),
        ("overdue_below", "-0.01", "Ngưỡng tỷ lệ nợ quá hạn phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."),
        ("overdue_below", "0.00000001", "Ngưỡng tỷ lệ nợ quá hạn chỉ được có tối đa 6 chữ số thập phân."),
        (
            "broadcasts_at_least",
            -1,
            "Số tin tối thiểu trên loa truyền thanh xã phải là số nguyên không âm (tối đa 1.000).",
        ),
    ],
)
def test_commune_association_rules_out_of_bounds_are_refused(book, manager, field, value, message):
    rules = default_rules(COMMUNE_ASSOCIATION)
    rules[field] = value
    with pytest.raises(ValidationError) as exc:
        grading_rules_record(kind=COMMUNE_ASSOCIATION, effective_on=MID_MARCH, rules=rules, acting_user=manager)
    assert exc.value.message_dict == {field: [message]}
