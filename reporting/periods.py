"""Reporting periods: a month, a quarter or a year, written '2020-03', '2020Q1', '2020'."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from vbsp_district.core.months import FIRST_YEAR, month_end

# ASCII digits only: `\d` would also take Arabic-Indic or full-width digits.
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_QUARTER = re.compile(r"^([0-9]{4})[Qq]([1-4])$")
_YEAR = re.compile(r"^([0-9]{4})$")


@dataclass(frozen=True)
class Period:
    """A closed interval of days [start, end] with the label it was written as."""

    label: str
    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(f"{year:04d}-{month:02d}", date(year, month, 1), month_end(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        if quarter not in (1, 2, 3, 4):
            raise ValueError(f"Quý {quarter} không hợp lệ (phải từ 1 đến 4).")
        last = 3 * quarter
        return cls(f"{year:04d}Q{quarter}", date(year, last - 2, 1), month_end(year, last))

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(f"{year:04d}", date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def parse(cls, text: str) -> "Period":
        """'2020-03' (month), '2020Q1' (quarter) or '2020' (year), from FIRST_YEAR, as a user
        writes it; ValueError otherwise."""
        period = cls.from_label(text)
        if period.start.year < FIRST_YEAR:
            raise ValueError(f"Kỳ báo cáo '{text}' không hợp lệ: năm phải từ {FIRST_YEAR}.")
        return period

    @classmethod
    def from_label(cls, text: str) -> "Period":
        """The period a label names, whatever its year (a trend's months reach back before
        the first year the book takes); ValueError when it names none."""
        text = (text or "").strip()
        try:
            if m := _MONTH.match(text):
                year, month = int(m[1]), int(m[2])
                if not 1 <= month <= 12:
                    raise ValueError
                period = cls.month(year, month)
            elif m := _QUARTER.match(text):
                period = cls.quarter(int(m[1]), int(m[2]))
            elif m := _YEAR.match(text):
                period = cls.year(int(m[1]))
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"Kỳ báo cáo '{text}' không hợp lệ: dùng YYYY-MM (tháng), YYYYQn (quý) hoặc YYYY (năm)."
            ) from None
        return period

    @property
    def kind(self) -> str:
        if _MONTH.match(self.label):
            return "month"
        return "quarter" if _QUARTER.match(self.label) else "year"

    @property
    def title(self) -> str:
        """The Vietnamese name: 'tháng 03/2020', 'quý 1/2020', 'năm 2020'."""
        if self.kind == "month":
            return f"tháng {self.start.month:02d}/{self.start.year}"
        if self.kind == "quarter":
            return f"quý {(self.start.month + 2) // 3}/{self.start.year}"
        return f"năm {self.start.year}"

    @property
    def day_before(self) -> date:
        """s − 1: the day whose end-of-day figures open the period."""
        return self.start - timedelta(days=1)

    def so_far(self, day: date) -> "Period":
        """The period under way cut at `day` (itself once ended): its flows so far, never
        a bill dated after `day`. The label stays."""
        return self if self.end <= day else Period(self.label, self.start, day)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list["Period"]:
        """The months of the period, in order (the scorecard's 'every month')."""
        return [Period.month(self.start.year, m) for m in range(self.start.month, self.end.month + 1)]

    def __str__(self) -> str:
        return self.label
