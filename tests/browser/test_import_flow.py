"""A workbook import in a real browser: the upload is queued, the page follows it by itself
while the worker imports, and shows the counts, or every error, when it is done."""

import pytest

from groups.models import Commune
from lending.models import WorkbookImport
from tests.lending.views.test_import_page import bad_book, good_book, xlsx
from tests.support.factories import UserFactory
from tests.support.pages import run_worker
from vbsp_district.models import Role

from .conftest import shot, sign_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_upload_is_followed_until_imported(browser, live_server, tmp_path):
    UserFactory(username="quanly", role=Role.MANAGER)
    good, bad = tmp_path / "so-dung.xlsx", tmp_path / "so-sai.xlsx"
    good.write_bytes(xlsx("so-dung.xlsx", good_book(2)).read())
    bad.write_bytes(xlsx("so-sai.xlsx", bad_book()).read())
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    sign_in(page, "quanly")

    page.goto(page.base + "/import/")
    page.set_input_files("#id_file", str(good))
    page.click("button:has-text('Kiểm tra và nhập')")
    page.wait_for_url("**/import/*/")
    assert "Đang chờ đến lượt nhập" in page.inner_text("#import-status")
    assert not Commune.objects.filter(code="C1").exists()
    shot(page, "import-queued")
    # the worker imports while the page is open; the page asks again every 2 s
    run_worker()
    page.wait_for_selector("#import-result", timeout=10_000)
    assert "Đã nhập tệp so-dung.xlsx: 14 bản ghi" in page.inner_text("#import-result")
    assert Commune.objects.filter(code="C1").exists()
    shot(page, "import-done")

    page.click("text=Nhập tệp khác")
    page.set_input_files("#id_file", str(bad))
    page.click("button:has-text('Kiểm tra và nhập')")
    page.wait_for_url("**/import/*/")
    run_worker()
    page.wait_for_selector("#import-errors", timeout=10_000)
    errors = page.inner_text("#import-errors")
    assert "Không nhập được: 5 lỗi; chưa ghi dữ liệu nào." in errors
    assert "Members!3 national_id" in errors
    shot(page, "import-refused")

    page.goto(page.base + "/import/")
    listed = page.inner_text("#import-recent")
    assert "so-sai.xlsx" in listed and "không nhập được" in listed
    assert "so-dung.xlsx" in listed and "đã nhập" in listed
    assert WorkbookImport.objects.count() == 2
    context.close()
