"""A manager edits a year's targets and copies them into the next year
(emulation/services.py): every edit keeps a revision and an audit event, every refusal
names its field in Vietnamese and writes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from emulation.models import EmulationTarget, EmulationTargetRevision
from emulation.services import target_update, targets_copy_year
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

ALL = ["district", "association", "commune_association"]


def target(code, year=2020):
    return EmulationTarget.objects.get(year=year, code=code)


def written() -> tuple[int, int, int, list]:
    return (
        EmulationTarget.objects.count(),
        EmulationTargetRevision.objects.count(),
        AuditEvent.objects.count(),
        list(EmulationTarget.objects.order_by("pk").values_list("title", "threshold", "recovery_threshold", "levels")),
    )


def refused(call, errors: dict, **kwargs):
    """The service refuses with exactly `errors` ({field: [message]}) and writes nothing."""
    before = written()
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    assert exc.value.message_dict == errors
    assert written() == before


def test_an_edit_keeps_the_values_it_replaced_and_records_an_audit_event(manager):
    t3 = target("T3")
    updated = target_update(
        target=t3,
        acting_user=manager,
        threshold=Decimal("0.9"),
        title="Thu nợ gốc đến hạn đạt từ 90 % trở lên hằng tháng",
        reason="Nghị quyết hội nghị thi đua",
    )
    t3.refresh_from_db()
    assert updated == t3
    assert (t3.threshold, t3.title) == (Decimal("0.9"), "Thu nợ gốc đến hạn đạt từ 90 % trở lên hằng tháng")
    assert (t3.code, t3.every, t3.levels) == ("T3", "month", ALL)
    revision = EmulationTargetRevision.objects.get(target=t3)
    assert revision.before == {"title": "Thu nợ gốc đến hạn đạt từ 95 % trở lên hằng tháng", "threshold": "0.95"}
    assert revision.after == {"title": "Thu nợ gốc đến hạn đạt từ 90 % trở lên hằng tháng", "threshold": "0.9"}
    assert (revision.changed_by, revision.reason) == (manager, "Nghị quyết hội nghị thi đua")
    event = AuditEvent.objects.get(action="emulation_target.update")
    assert (event.user, event.object_type, event.object_key) == (manager, "emulation.EmulationTarget", str(t3.pk))
    assert event.data == {
        "year": 2020,
        "code": "T3",
        "before": revision.before,
        "after": revision.after,
        "reason": "Nghị quyết hội nghị thi đua",
    }


def test_two_edits_keep_two_revisions_latest_first(manager):
    t8 = target("T8")
    target_update(target=t8, acting_user=manager, recovery_threshold=Decimal("0.15"))
    target_update(target=t8, acting_user=manager, levels=["association", "district"])
    assert [(r.before, r.after) for r in t8.revisions.all()] == [
        ({"levels": ALL}, {"levels": ["district", "association"]}),  # kept in the levels' order
        ({"recovery_threshold": "0.1"}, {"recovery_threshold": "0.15"}),
    ]
    t8.refresh_from_db()
    assert (t8.threshold, t8.recovery_threshold) == (Decimal("0.995"), Decimal("0.15"))


def test_t8_may_drop_its_recovery_condition(manager):
    t8 = target_update(target=target("T8"), acting_user=manager, recovery_threshold=None)
    assert target("T8").recovery_threshold is None
    assert t8.revisions.get().after == {"recovery_threshold": None}


@pytest.mark.parametrize(
    "code, changes, errors",
    [
        (
            "T3",
            {"threshold": Decimal("1.2")},
            {"threshold": ["Ngưỡng của chỉ tiêu T3 phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."]},
        ),
        (
            "T2",
            {"threshold": Decimal("-0.001")},
            {"threshold": ["Ngưỡng của chỉ tiêu T2 phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."]},
        ),
        (
            "T2",
            {"threshold": "0,1"},
            {"threshold": ["Ngưỡng của chỉ tiêu T2 phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."]},
        ),
        (
            "T2",
            {"threshold": Decimal("0.0000001")},
            {"threshold": ["Ngưỡng của chỉ tiêu T2 chỉ được có tối đa 6 chữ số thập phân."]},
        ),
        (
            "T9",
            {"threshold": Decimal("-1")},
            {"threshold": ["Ngưỡng của chỉ tiêu T9 phải là số nguyên không âm (số tin, bài)."]},
        ),
        (
            "T9",
            {"threshold": Decimal("1.5")},
            {"threshold": ["Ngưỡng của chỉ tiêu T9 phải là số nguyên không âm (số tin, bài)."]},
        ),
        (
            "T10",
            {"threshold": "một"},
            {"threshold": ["Ngưỡng của chỉ tiêu T10 phải là số nguyên không âm (số tin, bài)."]},
        ),
        (
            "T8",
            {"recovery_threshold": Decimal("10")},
            {
                "recovery_threshold": [
                    "Ngưỡng thu lãi tồn đọng của chỉ tiêu T8 phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."
                ]
            },
        ),
        (
            "T3",
            {"recovery_threshold": Decimal("0.1")},
            {"recovery_threshold": ["Chỉ tiêu T3 không có ngưỡng thu lãi tồn đọng (chỉ T8 có)."]},
        ),
        ("T1", {"title": "   "}, {"title": ["Tên chỉ tiêu không được để trống."]}),
        ("T1", {"title": "x" * 201}, {"title": ["Tên chỉ tiêu dài quá 200 ký tự."]}),
        ("T1", {"levels": []}, {"levels": ["Phải chọn ít nhất một cấp áp dụng cho chỉ tiêu T1."]}),
        (
            "T1",
            {"levels": ["province"]},
            {"levels": ["Cấp áp dụng của chỉ tiêu T1 chỉ gồm: Toàn phòng giao dịch, Tổ chức hội, Hội cấp xã."]},
        ),
        # T9 has no rule for a commune association (formats/scorecard.md)
        (
            "T9",
            {"levels": ["commune_association"]},
            {"levels": ["Cấp áp dụng của chỉ tiêu T9 chỉ gồm: Toàn phòng giao dịch, Tổ chức hội."]},
        ),
    ],
)
def test_an_edit_out_of_bounds_is_refused_on_its_field(manager, code, changes, errors):
    refused(target_update, errors, target=target(code), acting_user=manager, **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "100 % tổ TK&VV có số dư tiền gửi tiết kiệm"},
        {"threshold": Decimal("1.000")},
        {"levels": ["commune_association", "district", "association"]},
    ],
)
def test_an_edit_that_changes_nothing_is_refused(manager, changes):
    refused(
        target_update,
        {"__all__": ["Không có thay đổi nào so với giá trị hiện tại của chỉ tiêu."]},
        target=target("T1"),
        acting_user=manager,
        **changes,
    )


def test_every_problem_is_named_at_once(manager):
    refused(
        target_update,
        {
            "title": ["Tên chỉ tiêu không được để trống."],
            "threshold": ["Ngưỡng của chỉ tiêu T8 phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."],
            "levels": ["Phải chọn ít nhất một cấp áp dụng cho chỉ tiêu T8."],
        },
        target=target("T8"),
        acting_user=manager,
        title="",
        threshold=Decimal("99.5"),
        levels=[],
    )


def test_a_count_target_takes_a_whole_number(manager):
    target_update(target=target("T9"), acting_user=manager, threshold=3)
    target_update(target=target("T10"), acting_user=manager, threshold=Decimal("0"))
    assert (target("T9").threshold, target("T10").threshold) == (Decimal(3), Decimal(0))


@pytest.mark.parametrize("field", ["code", "every", "year"])
def test_the_code_and_period_are_the_codes_rule(manager, field):
    refused(
        target_update,
        {field: ["Mã, năm và kỳ đánh giá của chỉ tiêu do quy tắc của chỉ tiêu quy định, không sửa được."]},
        target=target("T2"),
        acting_user=manager,
        **{field: "quarter"},
    )


def test_only_a_manager_edits(staff):
    refused(
        target_update,
        {"acting_user": ["Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."]},
        target=target("T2"),
        acting_user=staff,
        threshold=Decimal("0.002"),
    )


def test_a_year_copied_into_the_next(manager):
    target_update(target=target("T3"), acting_user=manager, threshold=Decimal("0.9"))
    copies = targets_copy_year(year=2020, acting_user=manager)
    assert [t.code for t in copies] == [f"T{n}" for n in range(1, 11)]
    fields = ("code", "title", "every", "threshold", "recovery_threshold", "levels", "position")
    assert list(EmulationTarget.objects.filter(year=2021).values_list(*fields)) == list(
        EmulationTarget.objects.filter(year=2020).values_list(*fields)
    )
    assert target("T3", 2021).threshold == Decimal("0.9")
    assert not EmulationTargetRevision.objects.filter(target__year=2021).exists()
    event = AuditEvent.objects.get(action="emulation_target.copy_year")
    assert (event.user, event.object_type, event.object_key) == (manager, "emulation.EmulationTarget", "2021")
    assert event.data == {"from_year": 2020, "to_year": 2021, "codes": [f"T{n}" for n in range(1, 11)]}


def test_a_copy_onto_a_year_with_targets_is_refused(manager):
    targets_copy_year(year=2020, acting_user=manager)
    target_update(target=target("T2", 2021), acting_user=manager, threshold=Decimal("0.002"))
    refused(
        targets_copy_year,
        {"year": ["Năm 2021 đã có chỉ tiêu thi đua; không sao chép đè lên."]},
        year=2020,
        acting_user=manager,
    )
    assert target("T2", 2021).threshold == Decimal("0.002")


def test_a_year_without_targets_has_nothing_to_copy(manager, staff):
    refused(
        targets_copy_year, {"year": ["Năm 2019 chưa có chỉ tiêu thi đua để sao chép."]}, year=2019, acting_user=manager
    )
    refused(
        targets_copy_year,
        {"acting_user": ["Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."]},
        year=2020,
        acting_user=staff,
    )
