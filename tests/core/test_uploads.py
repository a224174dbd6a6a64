"""A large upload is spooled to a file with no name: a worker killed mid-import (kill -9,
gunicorn's timeout) leaves nothing in the temporary folder.

Found by `manage.py kill_test`: Django's own handler spools to a named
`tmp….upload.xlsx` that only the request's end removes, so every killed import left its
workbook behind.
"""

import os
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

import lending.views.imports
from groups.models import Commune
from tests.support.pages import run_worker, signed_in
from vbsp_district.core.uploads import AnonymousTemporaryUploadedFile

pytestmark = pytest.mark.django_db


def workbook(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Communes"
    sheet.append(["code", "name", "kind", "transaction_day"])
    for n in range(rows):
        sheet.append([f"KT{n:04d}", f"Xã {n}", "xa", 10])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_upload_over_the_memory_limit_has_no_name_on_disk_while_it_is_imported(
    client, manager, settings, tmp_path, monkeypatch
):
    content = workbook(3)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = len(content) // 2  # spooled to disk, as a large workbook is
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    seen = {}
    queueing = lending.views.imports.queue_import

    def watched(upload, *, acting_user):
        seen["spool"] = type(upload)
        seen["files"] = os.listdir(tmp_path)  # what a worker killed now would leave
        return queueing(upload, acting_user=acting_user)

    monkeypatch.setattr(lending.views.imports, "queue_import", watched)
    signed_in(client, manager)
    response = client.post(reverse("workbook_import"), {"file": SimpleUploadedFile("xa.xlsx", content)})
    assert response.status_code == 302
    assert seen == {"spool": AnonymousTemporaryUploadedFile, "files": []}
    run_worker()
    assert sorted(Commune.objects.filter(code__startswith="KT").values_list("code", flat=True)) == [
        "KT0000",
        "KT0001",
        "KT0002",
    ]
    assert os.listdir(tmp_path) == []


def test_a_small_upload_stays_in_memory(client, manager, settings, tmp_path, monkeypatch):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    seen = {}
    queueing = lending.views.imports.queue_import

    def watched(upload, *, acting_user):
        seen["spool"] = type(upload).__name__
        return queueing(upload, acting_user=acting_user)

    monkeypatch.setattr(lending.views.imports, "queue_import", watched)
    signed_in(client, manager)
    response = client.post(reverse("workbook_import"), {"file": SimpleUploadedFile("xa.xlsx", workbook(1))})
    assert response.status_code == 302
    assert seen == {"spool": "InMemoryUploadedFile"}
    run_worker()
    assert Commune.objects.filter(code="KT0000").exists()
