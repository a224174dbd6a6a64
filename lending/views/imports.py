"""The portfolio workbook in the browser: upload, every row error listed, all or nothing."""

from io import BytesIO

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from vbsp_district.access.pages import deny_unless_manager, deny_unless_poster
from vbsp_district.core.forms import call_service

from ..forms import WorkbookImportForm
from ..services.batch import BatchRefused
from ..workbook import WorkbookUnreadable, workbook_import, workbook_template
from ._desk import done

_RESULT_KEY = "lending_workbook_imported"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_http_methods(["GET", "POST"])
def workbook_import_page(request):
    """Managers upload a workbook; a clean one is imported whole, else every error is listed."""
    deny_unless_manager(request)
    refused = None
    if request.method == "POST":
        form = WorkbookImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                counts = call_service(form, workbook_import, source=upload, acting_user=request.user)
            except BatchRefused as exc:
                refused = exc
            except WorkbookUnreadable as exc:
                form.add_error("file", str(exc))
            else:
                if counts is not None:
                    request.session[_RESULT_KEY] = {"file": upload.name, "counts": list(counts.items())}
                    total = sum(counts.values())
                    return done(
                        request, form, reverse("workbook_import"), f"Đã nhập tệp {upload.name}: {total} bản ghi."
                    )
        result = None
    else:
        form = WorkbookImportForm()
        result = request.session.pop(_RESULT_KEY, None)
    return render(
        request,
        "lending/workbook_import.html",
        {
            "form": form,
            "issues": refused.shown if refused else None,
            "issue_count": len(refused.issues) if refused else 0,
            "hidden_count": refused.hidden_count if refused else 0,
            "result": result,
        },
    )


@require_safe
def workbook_template_download(request):
    """The blank workbook: every sheet with its column keys and Vietnamese descriptions."""
    deny_unless_poster(request)
    buffer = BytesIO()
    workbook_template(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-so-cho-vay.xlsx"'
    return response
