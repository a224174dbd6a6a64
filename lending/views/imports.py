"""The portfolio workbook in the browser: upload, imported by the worker, every row error listed."""

from io import BytesIO

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from vbsp_district.access.pages import deny_unless_manager, deny_unless_poster

from ..forms import WorkbookImportForm
from ..models import WorkbookImport
from ..workbook import workbook_template
from ..workbook.jobs import queue_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the last imports listed on the import page
RECENT = 10


@require_http_methods(["GET", "POST"])
def workbook_import_page(request):
    """Managers upload a workbook; it is queued for the worker and its page followed.

    A file that is no workbook, or too large, is refused at once on the form; what is in
    its sheets is checked by the import itself (every error listed on the job's page)."""
    deny_unless_manager(request)
    if request.method == "POST":
        form = WorkbookImportForm(request.POST, request.FILES)
        if form.is_valid():
            job, queued = queue_import(form.cleaned_data["file"], acting_user=request.user)
            if queued:
                messages.success(request, f"Đã tải lên tệp {job.file_name}.")
            elif job.status == WorkbookImport.Status.DONE:
                done_at = timezone.localtime(job.finished_at)
                messages.warning(
                    request,
                    f"Tệp này (giống hệt tệp {job.file_name}) đã được nhập lúc {done_at:%H:%M ngày %d/%m/%Y}; "
                    "không nhập lần nữa.",
                )
            else:
                messages.info(request, f"Tệp {job.file_name} này đang được nhập; không nhập lần nữa.")
            return redirect(job)
    else:
        form = WorkbookImportForm()
    recent = WorkbookImport.objects.defer("content", "issues").select_related("uploaded_by")[:RECENT]
    return render(request, "lending/workbook_import.html", {"form": form, "recent": recent})


@require_safe
def workbook_import_job(request, pk):
    """One import: waiting, running (the page asks again every few seconds), or its outcome:
    the records written per sheet, every error of a refused workbook, or what stopped it."""
    deny_unless_manager(request)
    job = get_object_or_404(WorkbookImport.objects.defer("content").select_related("uploaded_by"), pk=pk)
    context = {"job": job, "issues": [dict(zip(ISSUE_FIELDS, issue, strict=True)) for issue in job.issues]}
    if request.GET.get("part") == "status":
        return render(request, "lending/_workbook_import_status.html", context)
    return render(request, "lending/workbook_import_job.html", context)


ISSUE_FIELDS = ("sheet", "line", "column", "message")


@require_safe
def workbook_template_download(request):
    """The blank workbook: every sheet with its column keys and Vietnamese descriptions."""
    deny_unless_poster(request)
    buffer = BytesIO()
    workbook_template(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-so-cho-vay.xlsx"'
    return response
