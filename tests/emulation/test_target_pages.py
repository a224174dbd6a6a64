"""The managers' emulation desk in the browser: a year's targets with their history, a
target's edit, the copy of a year, the grading rules in force with their history, and new
rules typed step by step. Managers only: staff and officers get a 403, strangers the
sign-in page."""

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from emulation.models import EmulationTarget, EmulationTargetRevision, GradingRules, GroupGrade
from reporting import store
from tests.support.pages import flash, text_of
from vbsp_district.models import AuditEvent

pytestmark = pytest.mark.django_db

READ_ONLY = {"target_list", "target_year", "grading_rules"}
INPUT = re.compile(r'<input type="text" name="([^"]+)" value="([^"]*)"')


def pages() -> dict[str, str]:
    t3 = EmulationTarget.objects.get(year=2020, code="T3")
    return {
        "target_list": reverse("target_list"),
        "target_year": reverse("target_year", args=[2020]),
        "target_copy_year": reverse("target_copy_year", args=[2020]),
        "target_edit": reverse("target_edit", args=[t3.pk]),
        "grading_rules": reverse("grading_rules"),
        "grading_rules_new": reverse("grading_rules_new"),
        "grading_rules_new_ca": reverse("grading_rules_new") + "?kind=commune_association",
    }


def written() -> tuple:
    return (
        EmulationTarget.objects.count(),
        EmulationTargetRevision.objects.count(),
        GradingRules.objects.count(),
        AuditEvent.objects.count(),
    )


def typed(response) -> dict[str, str]:
    """The text inputs of a page's form with the values shown in them."""
    return {name: unescape(value) for name, value in INPUT.findall(response.content.decode())}


def test_a_manager_opens_every_page(client, manager):
    client.force_login(manager)
    for name, url in pages().items():
        assert client.get(url).status_code == 200, name


@pytest.mark.parametrize("role", ["staff", "officer_hnd", "commune_officer"])
def test_others_are_refused_and_write_nothing(as_user, role):
    client = as_user(role)
    before = written()
    for name, url in pages().items():
        response = client.get(url)
        assert response.status_code == 403, (role, name)
        assert "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này." in response.content.decode()
        posted = client.post(
            url, {"title": "X", "threshold": "1", "levels": ["district"], "effective_on": "01/04/2020"}
        )
        assert posted.status_code in ({403} if name not in READ_ONLY else {405}), (role, name)
    assert written() == before


def test_strangers_are_sent_to_sign_in(client):
    for name, url in pages().items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login"))


def test_the_year_page_lists_the_targets_with_their_thresholds(client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("target_list"))
    assert response.context["year"] == 2020  # this year has none: the latest year that has
    text = text_of(response)
    assert "T2 Tỷ lệ nợ quá hạn dưới 0,1 % hằng tháng hằng tháng 0,1 %" in text
    assert (
        "T8 Thu lãi trên 99,5 % lãi phải thu và thêm 10 % lãi tồn đọng hằng quý 99,5 % thu lãi tồn đọng ≥ 10 %" in text
    )
    assert "T9 Mỗi quý mỗi tổ chức hội có ít nhất 2 tin, bài trên báo, đài, cổng thông tin hằng quý 2 tin, bài" in text
    assert "Toàn phòng giao dịch, Tổ chức hội Sửa" in text  # T9's levels
    assert "Sao chép sang năm 2021" in text
    assert client.get(reverse("target_year", args=[2019])).context["rows"] == []
    assert client.get(reverse("target_year", args=[99999])).status_code == 404


def test_a_manager_edits_a_target_and_its_history_shows(client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    t3 = EmulationTarget.objects.get(year=2020, code="T3")
    url = reverse("target_edit", args=[t3.pk])
    assert typed(client.get(url)) == {"title": t3.title, "threshold": "95"}
    response = client.post(
        url,
        {
            "title": t3.title,
            "threshold": "92,5",
            "levels": ["district", "association"],
            "reason": "Nghị quyết hội nghị thi đua",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("target_year", args=[2020])
    t3.refresh_from_db()
    assert (t3.threshold, t3.levels) == (Decimal("0.925"), ["district", "association"])
    with django_assert_max_num_queries(8):
        page = client.get(response.url)
    assert flash(page) == ["Đã sửa chỉ tiêu T3 năm 2020."]
    text = text_of(page)
    assert "Lịch sử sửa (1 lần)" in text
    assert "Ngưỡng: 95 % → 92,5 %" in text
    assert "Cấp áp dụng: Toàn phòng giao dịch, Tổ chức hội, Hội cấp xã → Toàn phòng giao dịch, Tổ chức hội" in text
    assert "Lý do: Nghị quyết hội nghị thi đua" in text
    assert "Ngưỡng: 95 % → 92,5 %" in text_of(client.get(url))


@pytest.mark.parametrize(
    "code, data, message",
    [
        ("T3", {"threshold": "120"}, "Ngưỡng của chỉ tiêu T3 phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)."),
        ("T3", {"threshold": "chín lăm"}, "Nhập tỷ lệ phần trăm, ví dụ 95 hoặc 99,5 (tối đa 4 chữ số thập phân)."),
        ("T9", {"threshold": "-2"}, "Ngưỡng của chỉ tiêu T9 phải là số nguyên không âm (số tin, bài)."),
        ("T3", {"levels": []}, "Phải chọn ít nhất một cấp áp dụng cho chỉ tiêu T3."),
        ("T8", {"recovery_threshold": "150"}, "Ngưỡng thu lãi tồn đọng của chỉ tiêu T8 phải là tỷ lệ từ 0 đến 1"),
        ("T3", {}, "Không có thay đổi nào so với giá trị hiện tại của chỉ tiêu."),
    ],
)
def test_a_refused_edit_shows_why_and_writes_nothing(client, manager, code, data, message):
    client.force_login(manager)
    target = EmulationTarget.objects.get(year=2020, code=code)
    url = reverse("target_edit", args=[target.pk])
    form = {**typed(client.get(url)), "levels": target.levels, **data}
    before = written()
    response = client.post(url, form)
    assert response.status_code == 200
    assert message in text_of(response)
    assert written() == before


def test_a_t9_edit_offers_no_commune_association(client, manager):
    client.force_login(manager)
    t9 = EmulationTarget.objects.get(year=2020, code="T9")
    html = client.get(reverse("target_edit", args=[t9.pk])).content.decode()
    assert 'value="association"' in html and 'value="commune_association"' not in html
    assert typed(client.get(reverse("target_edit", args=[t9.pk])))["threshold"] == "2"


def test_a_manager_copies_a_year_and_a_second_copy_is_refused(client, manager):
    client.force_login(manager)
    url = reverse("target_copy_year", args=[2020])
    assert "Các chỉ tiêu sau sẽ được tạo cho năm 2021" in text_of(client.get(url))
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("target_year", args=[2021])
    page = client.get(response.url)
    assert flash(page) == ["Đã sao chép 10 chỉ tiêu năm 2020 sang năm 2021."]
    assert len(page.context["rows"]) == 10
    assert "Năm 2021 đã có chỉ tiêu thi đua." in text_of(client.get(reverse("target_year", args=[2020])))
    before = written()
    refused = client.post(url)
    assert refused.status_code == 200
    assert "Năm 2021 đã có chỉ tiêu thi đua; không sao chép đè lên." in text_of(refused)
    assert written() == before


# -- grading rules ---------------------------------------------------------------------------------
@pytest.fixture
def graded(book):
    store.build_all()
    return book


def test_the_rules_page_shows_the_rules_in_force_and_their_history(
    client, manager, graded, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("grading_rules"))
    text = text_of(response)
    assert "Đang áp dụng từ ngày 01/01/2000" in text
    assert (
        "3. Tỷ lệ thu nợ gốc đến hạn trong tháng 15 điểm ≥ 95 % → 15 điểm ≥ 80 % → 8 điểm"
        " Không có nợ gốc đến hạn → 15 điểm 0 điểm"
    ) in text
    assert "2. Tỷ lệ nợ quá hạn cuối tháng 30 điểm = 0 % → 30 điểm < 1 % → 20 điểm < 2 % → 10 điểm" in text
    assert "6. Số dư tiết kiệm so với tháng trước 10 điểm > 0 đồng → 10 điểm = 0 đồng → 5 điểm" in text
    assert "Tốt ≥ 85 điểm; Khá 70 – 84 điểm; Trung bình 50 – 69 điểm; Yếu < 50 điểm." in text
    assert "(b) Tỷ lệ nợ quá hạn ủy thác cuối quý < 1 %" in text
    months = GroupGrade.objects.values("month").distinct().count()
    history = response.context["sections"][0]["history"]
    assert [(row["record"].effective_on, row["graded"], row["state"]) for row in history] == [
        (date(2000, 1, 1), months, "current")
    ]


def test_a_manager_records_new_group_rules_and_the_months_after_are_regraded(client, manager, graded):
    client.force_login(manager)
    url = reverse("grading_rules_new")
    form = typed(client.get(url))
    assert form["interest_collection-0-bound"] == "99,5"
    assert form["savings_growth-0-bound"] == "0"
    assert (form["band-0"], form["band-1"], form["band-2"]) == ("85", "70", "50")
    form.update({"effective_on": "15/03/2020", "interest_collection-otherwise": "5", "band-0": "80", "band-2": "40"})
    response = client.post(url, form)
    assert response.status_code == 302, text_of(response)
    record = GradingRules.objects.get(kind="group", effective_on=date(2020, 3, 15))
    regraded = AuditEvent.objects.get(action="grading_rules.record").data["regraded"]
    n_months = sum(1 for label in regraded if "Q" not in label)
    page = client.get(response.url)
    assert flash(page) == [
        f"Đã ghi quy tắc xếp loại tổ TK&VV áp dụng từ 15/03/2020; đã xếp loại lại {n_months} tháng"
        f" và {len(regraded) - n_months} quý."
    ]
    assert record.rules["bands"] == [["Tốt", 80], ["Khá", 70], ["Trung bình", 40]]
    assert record.rules["criteria"][3]["otherwise"] == 5
    march = GroupGrade.objects.get(month="2020-03", group=graded.g1)
    assert (march.points, march.grade, march.rules_id) == (80, "Tốt", record.pk)
    assert GroupGrade.objects.get(month="2020-02", group=graded.g2).grade == "Khá"
    history = page.context["sections"][0]["history"]
    assert [(row["record"].effective_on, row["state"]) for row in history] == [
        (date(2020, 3, 15), "current"),
        (date(2000, 1, 1), "past"),
    ]
    assert history[0]["graded"] == n_months
    assert history[1]["graded"] == 2  # January and February 2020


def test_refused_rules_show_why_on_their_field_and_write_nothing(client, manager, graded):
    client.force_login(manager)
    url = reverse("grading_rules_new")
    form = {**typed(client.get(url)), "effective_on": "15/03/2020", "band-1": "90", "overdue-1-bound": "150"}
    before = written()
    response = client.post(url, form)
    assert response.status_code == 200
    text = text_of(response)
    assert "Điểm tối thiểu của loại Khá phải thấp hơn của loại Tốt (85 điểm)." in text
    assert (
        "Ngưỡng mức 2 của tiêu chí “Tỷ lệ nợ quá hạn cuối tháng” phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)." in text
    )
    assert "Quy tắc chưa được ghi: sửa các ô báo lỗi màu đỏ bên dưới." in text
    html = response.content.decode()
    assert 'name="band-1" value="90"' in html  # what was typed stays, marked
    assert re.search(r'name="band-1" value="90"[^>]*class="form-control is-invalid"', html)
    assert written() == before
    unchanged = client.post(url, {**typed(client.get(url)), "effective_on": "15/03/2020"})
    assert "Quy tắc này giống hệt quy tắc đang áp dụng từ 01/01/2000; không có gì để ghi." in text_of(unchanged)
    bad = client.post(url, {**typed(client.get(url)), "effective_on": "31/02/2020", "band-0": "tám lăm"})
    assert "Ngày phải có dạng dd/mm/yyyy, ví dụ 20/01/2020." in text_of(bad)
    assert "Nhập một số nguyên, ví dụ 15." in text_of(bad)
    assert written() == before


def test_a_manager_records_commune_association_rules(client, manager, graded):
    client.force_login(manager)
    url = reverse("grading_rules_new") + "?kind=commune_association"
    form = typed(client.get(url))
    assert form == {
        "effective_on": form["effective_on"],
        "good_groups_share": "90",
        "overdue_below": "1",
        "broadcasts_at_least": "1",
    }
    response = client.post(url, {**form, "effective_on": "01/04/2020", "broadcasts_at_least": "0"})
    assert response.status_code == 302
    regraded = AuditEvent.objects.get(action="grading_rules.record").data["regraded"]
    assert flash(client.get(response.url)) == [
        f"Đã ghi quy tắc xếp loại tổ chức hội cấp xã áp dụng từ 01/04/2020; đã xếp loại lại {len(regraded)} quý."
    ]
    record = GradingRules.objects.get(kind="commune_association", effective_on=date(2020, 4, 1))
    assert record.rules == {
        "good_groups_share": "0.9",
        "overdue_below": "0.01",
        "broadcasts_at_least": 0,
        "grades": ["Yếu", "Trung bình", "Khá", "Tốt"],
    }
    assert client.get(reverse("grading_rules_new") + "?kind=province").status_code == 404
