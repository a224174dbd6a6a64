"""python manage.py district_report: the district figures (formats/district-report.md)."""

import argparse
import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reporting.indicators import district_figures
from reporting.periods import Period, iso_day
from reporting.text import render_text


def _as_of(text: str) -> date:
    day = iso_day(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"ngày '{text}' không hợp lệ, cần dạng YYYY-MM-DD")
    return day


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(BaseCommand):
    help = "Báo cáo dư nợ, nợ quá hạn, thu nợ, thu lãi của huyện (JSON hoặc bảng văn bản)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        prog = f"{prog_name} {subcommand}"

        def error(message):
            # One line and exit status 2, whatever argparse or our own checks refused.
            message = " ".join(str(message).split())
            if parser.called_from_command_line:
                sys.stderr.write(f"{prog}: lỗi: {message}\n")
                sys.exit(2)
            raise CommandError(f"Error: {message}", returncode=2)

        parser.error = error
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=_as_of, help="số liệu đến hết ngày YYYY-MM-DD (mặc định: hôm nay hoặc cuối kỳ)"
        )
        parser.add_argument("--period", type=_period, help="kỳ báo cáo: 2020-03, 2020Q1 hoặc 2020")
        parser.add_argument("--by-group", action="store_true", help="thêm số liệu theo tổ TK&VV")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, as_of, period, by_group, format, **options):
        # call_command(as_of="2020-03-31") passes options unparsed: parse them the same way.
        if isinstance(as_of, str):
            as_of = _as_of(as_of)
        if isinstance(period, str):
            period = _period(period)
        if as_of is None:
            as_of = period.end if period is not None else timezone.localdate()
        report = district_figures(as_of=as_of, period=period, by_group=by_group)
        if format == "json":
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(report), ending="")
