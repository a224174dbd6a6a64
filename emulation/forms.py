"""Forms of the emulation desk: a target's edit, and new grading rules typed step by step
as the office writes them (percentages, đồng, points), never as JSON. Forms read what was
typed; the rules of what may be set are the services'.

The readable text of a rule set (`≥ 95 % → 15 điểm`) lives here too, shared by the forms
and the pages that show rules in force and their history.
"""

import re
from decimal import Decimal

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils import timezone

from vbsp_district.core.forms import BankForm, VNDateField, parse_money
from vbsp_district.core.money import vnd

from . import services
from .models import EmulationTarget, GradingRules

SYMBOLS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}
COUNT_UNITS = {"T9": "tin, bài", "T10": "tin"}
# What "no figure" means for each criterion (grading.group_months gives None then).
NO_FIGURE = {
    "transaction_day": "Không có giao dịch trong tháng",
    "overdue": "Không có dư nợ",
    "principal_collection": "Không có nợ gốc đến hạn",
    "interest_collection": "Không có lãi phải thu",
    "members_saving": "Tổ không có tổ viên",
}


# -- readable text ---------------------------------------------------------------------------
def _decimal_comma(number: Decimal) -> str:
    return format(number.normalize(), "f").replace(".", ",")


def percent_text(ratio) -> str:
    """Decimal('0.995') → '99,5 %', '1' → '100 %' (None → '—')."""
    if ratio is None:
        return "—"
    return f"{_decimal_comma(Decimal(str(ratio)) * 100)} %"


def threshold_text(code: str, value) -> str:
    """A target's threshold as the office reads it: a percentage, or T9's count."""
    if value is None:
        return "—"
    if services.threshold_is_count(code):
        return f"{_decimal_comma(Decimal(str(value)))} {COUNT_UNITS.get(code, '')}".strip()
    return percent_text(value)


def levels_text(levels) -> str:
    return ", ".join(services.LEVELS.get(level, level) for level in levels) or "—"


def revision_lines(code: str, revision) -> list[str]:
    """A revision of a target of `code` as lines `Ngưỡng: 95 % → 90 %`, one per field changed."""
    labels = {
        "title": "Tên chỉ tiêu",
        "threshold": "Ngưỡng",
        "recovery_threshold": "Ngưỡng thu lãi tồn đọng",
        "levels": "Cấp áp dụng",
    }
    shown = {
        "threshold": lambda value: threshold_text(code, value),
        "recovery_threshold": percent_text,
        "levels": lambda value: levels_text(value or []),
    }
    return [
        f"{labels.get(name, name)}: {shown.get(name, str)(revision.before.get(name))} → {shown.get(name, str)(value)}"
        for name, value in revision.after.items()
    ]


def bound_text(code: str, bound) -> str:
    if code in services.AMOUNT_CRITERIA:
        return f"{vnd(int(Decimal(str(bound))))} đồng"
    return percent_text(bound)


def group_rules_rows(rules: dict) -> list[dict]:
    """Each criterion of group rules as a table row: its steps `≥ 95 %` → points, the points
    when there is no figure, and otherwise."""
    rows = []
    for criterion in rules["criteria"]:
        code = criterion["code"]
        rows.append(
            {
                "code": code,
                "title": criterion.get("title", code),
                "points": criterion.get("points"),
                "steps": [
                    {"condition": f"{SYMBOLS[op]} {bound_text(code, bound)}", "points": points}
                    for op, bound, points in criterion["steps"]
                ],
                "none": (NO_FIGURE[code], criterion["none"]) if code in NO_FIGURE else None,
                "otherwise": criterion["otherwise"],
            }
        )
    return rows


def band_rows(rules: dict) -> list[tuple[str, str]]:
    """[('Tốt', '≥ 85 điểm'), ('Khá', '70 – 84 điểm'), …, ('Yếu', '< 50 điểm')]."""
    rows, above = [], None
    for name, least in rules["bands"]:
        rows.append((name, f"≥ {least} điểm" if above is None else f"{least} – {above - 1} điểm"))
        above = least
    rows.append((rules["lowest"], f"< {above} điểm" if above is not None else "mọi mức điểm"))
    return rows


def commune_association_rows(rules: dict) -> list[tuple[str, str]]:
    """The three conditions of commune association rules, and how many make which grade."""
    grades = rules["grades"]
    return [
        (
            "(a) Tổ TK&VV xếp loại tốt, khá trong tháng cuối quý",
            f"≥ {percent_text(rules['good_groups_share'])} số tổ, không có tổ yếu",
        ),
        ("(b) Tỷ lệ nợ quá hạn ủy thác cuối quý", f"< {percent_text(rules['overdue_below'])}"),
        ("(c) Tin trên loa truyền thanh xã trong quý", f"≥ {rules['broadcasts_at_least']} tin"),
        (
            "Xếp loại",
            "; ".join(
                f"đạt {met} điều kiện: {grades[met]}" if met else f"không đạt điều kiện nào: {grades[met]}"
                for met in range(len(grades) - 1, -1, -1)
            ),
        ),
    ]


# -- fields ----------------------------------------------------------------------------------
class _NumberField(forms.CharField):
    """A number typed as text: the length limit applies to the text (in `to_python`), not
    to the number it becomes."""

    input_mode = "decimal"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 25)
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, validators.MaxLengthValidator)]

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": self.input_mode, "autocomplete": "off"}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        text = value.replace(" ", "").replace("\u00a0", "")
        if len(text) > self.max_length:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return self.number(text)

    def number(self, text: str):
        raise NotImplementedError


class PercentField(_NumberField):
    """A ratio typed as a percentage ('95', '99,5', '0,1 %') → Decimal('0.95'); whether it
    is a sensible ratio is the service's to say."""

    PATTERN = re.compile(r"^(-?[0-9]{1,7})(?:[.,]([0-9]{1,4}))?$")
    default_error_messages = {"invalid": "Nhập tỷ lệ phần trăm, ví dụ 95 hoặc 99,5 (tối đa 4 chữ số thập phân)."}

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return _decimal_comma(value * 100)
        return value

    def number(self, text):
        match = self.PATTERN.match(text.removesuffix("%"))
        if match is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return Decimal(f"{match[1]}.{match[2] or 0}") / 100


class WholeNumberField(_NumberField):
    """A whole number typed with digits only (points, a count): '15' → 15."""

    PATTERN = re.compile(r"^-?[0-9]{1,6}$")
    input_mode = "numeric"
    default_error_messages = {"invalid": "Nhập một số nguyên, ví dụ 15."}

    def number(self, text):
        if not self.PATTERN.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class SignedAmountField(_NumberField):
    """An amount in đồng that may be negative ('0', '50.000', '-50.000'): a bound of the
    savings growth."""

    input_mode = "numeric"
    default_error_messages = {"invalid": "Nhập số tiền nguyên (đồng), ví dụ 0 hoặc 50.000."}

    def prepare_value(self, value):
        return vnd(value) if isinstance(value, int) else value

    def number(self, text):
        sign = -1 if text.startswith("-") else 1
        try:
            return sign * parse_money(text.removeprefix("-"))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class _DeskForm(BankForm):
    """A BankForm whose fields in error carry Bootstrap's `is-invalid`."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self._errors or {}:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css.split():
                    widget.attrs["class"] = f"{css} is-invalid".strip()

    def has_field_errors(self) -> bool:
        return any(name in self.fields for name in self.errors)


def _styled(field: forms.Field) -> forms.Field:
    """A field added after BankForm styled the declared ones."""
    field.widget.attrs.setdefault("class", "form-control")
    return field


# -- a target's edit -------------------------------------------------------------------------
class TargetForm(_DeskForm):
    title = forms.CharField(label="Tên chỉ tiêu", max_length=services.TITLE_MAX)
    levels = forms.MultipleChoiceField(
        label="Cấp áp dụng",
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label="Lý do sửa",
        required=False,
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Không bắt buộc; được lưu cùng lịch sử sửa chỉ tiêu.",
    )

    def __init__(self, *args, target: EmulationTarget, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target
        code = target.code
        if services.threshold_is_count(code):
            threshold = WholeNumberField(label="Ngưỡng (số tin, bài)", initial=int(target.threshold))
        else:
            threshold = PercentField(label="Ngưỡng (%)", initial=target.threshold)
        self.fields["threshold"] = _styled(threshold)
        if code in services.RECOVERY_TARGETS:
            self.fields["recovery_threshold"] = _styled(
                PercentField(
                    label="Ngưỡng thu lãi tồn đọng (%)",
                    initial=target.recovery_threshold,
                    required=False,
                    help_text="Phần lãi tồn đọng đầu kỳ phải thu thêm được; để trống nếu không xét.",
                )
            )
        self.fields["levels"].choices = [(level, services.LEVELS[level]) for level in services.target_levels(code)]
        self.fields["title"].initial = target.title
        self.fields["levels"].initial = list(target.levels)
        self.order_fields(["title", "threshold", "recovery_threshold", "levels", "reason"])

    def changes(self) -> dict:
        """The values for `services.target_update`."""
        data = self.cleaned_data
        changes = {"title": data["title"], "threshold": data["threshold"], "levels": data["levels"]}
        if "recovery_threshold" in self.fields:
            changes["recovery_threshold"] = data["recovery_threshold"]
        return changes


# -- new grading rules -----------------------------------------------------------------------
def _first_of_month():
    return timezone.localdate().replace(day=1)


class GradingRulesForm(_DeskForm):
    """New rules of one kind, from a day on, typed over `base` (the rules in force): each
    step's bound and points, the points with no figure and otherwise, the bands' least
    points (group rules), or the three conditions (commune association rules)."""

    effective_on = VNDateField(
        label="Áp dụng từ ngày",
        initial=_first_of_month,
        help_text="Các tháng, quý kết thúc từ ngày này trở đi được xếp loại lại theo quy tắc mới.",
    )

    def __init__(self, *args, kind: str, base: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.base = kind, base
        if kind == GradingRules.Kind.GROUP:
            self._add_group_fields()
        else:
            self._add_commune_association_fields()

    def _add(self, name: str, field: forms.Field):
        self.fields[name] = _styled(field)
        field.widget.attrs.setdefault("aria-label", field.label)

    def _add_group_fields(self):
        for criterion in self.base["criteria"]:
            code, title = criterion["code"], criterion.get("title", criterion["code"])
            for index, (_op, bound, points) in enumerate(criterion["steps"]):
                label = f"Ngưỡng mức {index + 1} – {title}"
                if code in services.AMOUNT_CRITERIA:
                    field = SignedAmountField(label=f"{label} (đồng)", initial=int(Decimal(bound)))
                else:
                    field = PercentField(label=f"{label} (%)", initial=Decimal(bound))
                self._add(services.step_field(code, index, "bound"), field)
                self._add(
                    services.step_field(code, index, "points"),
                    WholeNumberField(label=f"Điểm mức {index + 1} – {title}", initial=points),
                )
            if code in NO_FIGURE:
                self._add(
                    f"{code}-none",
                    WholeNumberField(label=f"Điểm khi không có số liệu – {title}", initial=criterion["none"]),
                )
            self._add(
                f"{code}-otherwise",
                WholeNumberField(label=f"Điểm khi không đạt mức nào – {title}", initial=criterion["otherwise"]),
            )
        for index, (name, least) in enumerate(self.base["bands"]):
            self._add(f"band-{index}", WholeNumberField(label=f"Điểm tối thiểu loại {name}", initial=least))

    def _add_commune_association_fields(self):
        base = self.base
        self._add(
            "good_groups_share",
            PercentField(
                label="Tỷ lệ tổ xếp loại tốt, khá tối thiểu (%)", initial=Decimal(str(base["good_groups_share"]))
            ),
        )
        self._add(
            "overdue_below",
            PercentField(label="Tỷ lệ nợ quá hạn phải dưới (%)", initial=Decimal(str(base["overdue_below"]))),
        )
        self._add(
            "broadcasts_at_least",
            WholeNumberField(label="Số tin tối thiểu trên loa truyền thanh xã", initial=base["broadcasts_at_least"]),
        )

    # what the template lays out
    def criteria_rows(self) -> list[dict]:
        rows = []
        for criterion in self.base["criteria"]:
            code = criterion["code"]
            rows.append(
                {
                    "title": criterion.get("title", code),
                    "unit": "đồng" if code in services.AMOUNT_CRITERIA else "%",
                    "steps": [
                        {
                            "symbol": SYMBOLS[op],
                            "bound": self[services.step_field(code, index, "bound")],
                            "points": self[services.step_field(code, index, "points")],
                        }
                        for index, (op, _bound, _points) in enumerate(criterion["steps"])
                    ],
                    "none": (NO_FIGURE[code], self[f"{code}-none"]) if code in NO_FIGURE else None,
                    "otherwise": self[f"{code}-otherwise"],
                }
            )
        return rows

    def band_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(name, self[f"band-{index}"]) for index, (name, _least) in enumerate(self.base["bands"])]

    def rules(self) -> dict:
        """The rules typed, in the shape `services.grading_rules_record` takes."""
        data = self.cleaned_data
        if self.kind != GradingRules.Kind.GROUP:
            return {
                "good_groups_share": data["good_groups_share"],
                "overdue_below": data["overdue_below"],
                "broadcasts_at_least": data["broadcasts_at_least"],
            }
        criteria = []
        for criterion in self.base["criteria"]:
            code = criterion["code"]
            criteria.append(
                {
                    "code": code,
                    "title": criterion.get("title", code),
                    "steps": [
                        [
                            op,
                            data[services.step_field(code, index, "bound")],
                            data[services.step_field(code, index, "points")],
                        ]
                        for index, (op, _bound, _points) in enumerate(criterion["steps"])
                    ],
                    "otherwise": data[f"{code}-otherwise"],
                    "none": data[f"{code}-none"] if code in NO_FIGURE else criterion["none"],
                }
            )
        bands = [[name, data[f"band-{index}"]] for index, (name, _least) in enumerate(self.base["bands"])]
        return {"criteria": criteria, "bands": bands, "lowest": self.base["lowest"]}
