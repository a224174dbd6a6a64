"""python manage.py scorecard: the year's emulation targets for every unit
(formats/scorecard.md)."""

import argparse
import json
from datetime import date

from django.utils import timezone

from vbsp_district.core.commands import ContractCommand, iso_date_argument

from ...scorecard import scorecard, targets_of
from ...text import render_text


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"năm '{text}' không hợp lệ, cần dạng YYYY")
    return int(text)


class Command(ContractCommand):
    help = "Kết quả chỉ tiêu thi đua của năm theo từng đơn vị (JSON hoặc bảng văn bản)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=_year, required=True, help="năm thi đua, ví dụ 2020")
        parser.add_argument("--as-of", type=iso_date_argument, help="đánh giá các kỳ đã kết thúc đến ngày YYYY-MM-DD")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, year, as_of, format, **options):
        if isinstance(as_of, str):  # call_command passes options unparsed
            as_of = iso_date_argument(as_of)
        if isinstance(year, str):
            year = _year(year)
        if as_of is None:
            as_of = min(date(year, 12, 31), timezone.localdate())
        targets = targets_of(year)
        if not targets:
            self.stderr.write(f"Năm {year} chưa có chỉ tiêu thi đua.")
            raise SystemExit(1)
        card = scorecard(year, as_of, targets)
        if format == "json":
            self.stdout.write(json.dumps(card, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(card), ending="")
