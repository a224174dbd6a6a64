"""python manage.py district_report: the district figures (formats/district-report.md)."""

import argparse
import json

from django.utils import timezone

from reporting.indicators import district_figures
from reporting.periods import Period
from reporting.text import render_text
from vbsp_district.core.commands import ContractCommand, iso_date_argument


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(ContractCommand):
    help = "Báo cáo dư nợ, nợ quá hạn, thu nợ, thu lãi của huyện (JSON hoặc bảng văn bản)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=iso_date_argument, help="số liệu đến hết ngày YYYY-MM-DD (mặc định: hôm nay hoặc cuối kỳ)"
        )
        parser.add_argument("--period", type=_period, help="kỳ báo cáo: 2020-03, 2020Q1 hoặc 2020")
        parser.add_argument("--by-group", action="store_true", help="thêm số liệu theo tổ TK&VV")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, as_of, period, by_group, format, **options):
        # call_command(as_of="2020-03-31") passes options unparsed: parse them the same way.
        if isinstance(as_of, str):
            as_of = iso_date_argument(as_of)
        if isinstance(period, str):
            period = _period(period)
        if as_of is None:
            as_of = period.end if period is not None else timezone.localdate()
        report = district_figures(as_of=as_of, period=period, by_group=by_group)
        if format == "json":
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(report), ending="")
