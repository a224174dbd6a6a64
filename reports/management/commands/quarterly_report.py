"""python manage.py quarterly_report 2020Q1 --xlsx FILE --pdf FILE [--association HND]

The quarterly report (the office's, or one association's) as an Excel workbook and a PDF;
either file may be left out. A closed quarter's report is the issued one (issued here if
its closing could not issue it, reports/services.py); a quarter not closed gives a
provisional one.
"""

import argparse
import time

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from groups.models import Association
from reporting.periods import Period
from vbsp_district.core.commands import ContractCommand

from ...quarterly import Version
from ...services import ReportChanged, quarterly_report


def _quarter(text: str) -> Period:
    try:
        period = Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if period.kind != "quarter":
        raise argparse.ArgumentTypeError(f"quý '{text}' không hợp lệ, cần dạng YYYYQn, ví dụ 2020Q1")
    return period


class Command(ContractCommand):
    help = "Báo cáo quý (Excel và/hoặc PDF) của phòng giao dịch hoặc của một tổ chức hội."

    def add_arguments(self, parser):
        parser.add_argument("quarter", type=_quarter, help="quý, ví dụ 2020Q1")
        parser.add_argument("--xlsx", help="ghi tệp Excel vào đường dẫn này")
        parser.add_argument("--pdf", help="ghi tệp PDF vào đường dẫn này")
        parser.add_argument("--association", help="mã tổ chức hội (HND, HPN, CCB, DTN): bản của hội đó")

    def handle(self, *args, quarter, xlsx, pdf, association, **options):
        if isinstance(quarter, str):  # call_command passes positional arguments unparsed
            try:
                quarter = _quarter(quarter)
            except argparse.ArgumentTypeError as exc:
                raise CommandError(f"Error: {exc}", returncode=2) from None
        found = None
        if association:
            found = Association.objects.filter(code=association).first()
            if found is None:
                codes = ", ".join(Association.objects.order_by("position").values_list("code", flat=True))
                raise CommandError(f"Error: không có tổ chức hội '{association}' (có: {codes})", returncode=2)
        if not xlsx and not pdf:
            raise CommandError("Error: cần ít nhất một trong --xlsx, --pdf", returncode=2)
        started = time.perf_counter()
        try:
            report = quarterly_report(Version(quarter, found), issue=True)
        except ReportChanged as exc:
            raise CommandError(str(exc), returncode=1) from None
        except ValidationError as exc:
            raise CommandError(f"Error: {' '.join(exc.messages)}", returncode=2) from None
        figures_done = time.perf_counter()
        from ...excel import write_workbook
        from ...pdf import render_pdf

        if xlsx:
            write_workbook(xlsx, report.figures, report.meta)
        if pdf:
            with open(pdf, "wb") as file:
                file.write(render_pdf(report.figures, report.meta))
        state = "tạm tính" if report.meta.provisional else f"đã phát hành, mã {report.meta.sha256[:12]}"
        self.stdout.write(
            f"Báo cáo quý {quarter.label} ({state}): số liệu {figures_done - started:.1f} s, "
            f"tệp {time.perf_counter() - figures_done:.1f} s."
        )
