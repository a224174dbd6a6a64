import pytest

from tests.support.factories import UserFactory
from vbsp_district.models import Role

from .conftest import shot, sign_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_in_page_and_a_wrong_password(page):
    UserFactory(username="canbo", role=Role.STAFF)
    page.goto(page.base + "/")
    assert "/login/" in page.url  # every page needs sign-in
    shot(page, "00-sign-in")
    sign_in(page, "canbo", "wrong-password")
    assert page.locator(".alert-danger").inner_text() == "Tên đăng nhập hoặc mật khẩu không đúng."
    sign_in(page, "canbo")
    assert "/login/" not in page.url
    assert page.locator("nav").is_visible()
