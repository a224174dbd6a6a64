"""The form of one group's sheet on the commune transaction day."""

import secrets
from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe

from vbsp_district.core.forms import MoneyField, parse_money

from ..selectors.transaction_day import GroupSheet
from ..services.transaction_day import LoanRow, SavingsRow

# What each input of a row posts, and the row field the service reports errors under.
LOAN_INPUTS = (("p", "principal"), ("i", "interest"))
MEMBER_INPUTS = (("d", "deposit"), ("w", "withdrawal"))


def new_token() -> str:
    """A fresh sheet token: every posting of the sheet derives its reference from it."""
    return secrets.token_hex(8)


class SheetAmountInput(forms.TextInput):
    """A text input rendered in Python: a commune's sheet has thousands of them, and the
    form renderer's two templates per input were half the page's time. The HTML is
    exactly what `django/forms/widgets/input.html` with `attrs.html` gives."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [f'<input type="{escape(str(widget["type"]))}" name="{escape(str(widget["name"]))}"']
        if widget["value"] is not None:
            html.append(f' value="{escape(str(widget["value"]))}"')
        for key, item in widget["attrs"].items():
            if item is True:
                html.append(f" {escape(str(key))}")
            elif item is not False:
                html.append(f' {escape(str(key))}="{escape(str(item))}"')
        html.append(">")
        return mark_safe("".join(html))  # noqa: S308 (every part escaped above)


class SheetAmountField(MoneyField):
    """An amount collected, typed as 1.234.567; empty or 0 means nothing collected."""

    widget = SheetAmountInput

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        try:
            if text and parse_money(text) == 0:
                return None
        except ValueError:
            pass
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["class"] = "form-control form-control-sm money"
        return attrs


class GroupSheetForm(forms.Form):
    """Inputs per loan (principal, interest) and per member (deposit, withdrawal).

    Built from the group's sheet, prefilled with what is left to collect; `rows()` turns
    the cleaned data into the service's rows and `add_row_errors()` puts the service's
    errors back on the inputs and rows they belong to.
    """

    token = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, sheet: GroupSheet, *args, **kwargs):
        kwargs.setdefault("prefix", f"g{sheet.group.pk}")
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        self.row_messages: dict[str, list[str]] = {}
        self.fields["token"].initial = new_token()
        self._keys: dict[str, tuple[str, str]] = {}  # field name → (row key, row field)
        for member in sheet.members:
            for loan in member.loans:
                initial = {"p": loan.principal_to_collect, "i": loan.interest_to_collect}
                for short, row_field in LOAN_INPUTS:
                    name = f"{short}-{loan.loan_id}"
                    self.fields[name] = SheetAmountField(required=False, initial=initial[short] or None)
                    self._keys[name] = (f"loan:{loan.loan_no}", row_field)
            for short, row_field in MEMBER_INPUTS:
                name = f"{short}-{member.member_id}"
                self.fields[name] = SheetAmountField(required=False)
                self._keys[name] = (f"member:{member.national_id}", row_field)

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not (token.isascii() and token.isalnum()):
            raise ValidationError("Mã tờ kê không hợp lệ; hãy tải lại trang.")
        return token

    def rows(self) -> list[LoanRow | SavingsRow]:
        data = self.cleaned_data
        rows = []
        for member in self.sheet.members:
            for loan in member.loans:
                principal, interest = data.get(f"p-{loan.loan_id}"), data.get(f"i-{loan.loan_id}")
                if principal or interest:
                    rows.append(LoanRow(loan_no=loan.loan_no, principal=principal, interest=interest))
            deposit, withdrawal = data.get(f"d-{member.member_id}"), data.get(f"w-{member.member_id}")
            if deposit or withdrawal:
                rows.append(SavingsRow(national_id=member.national_id, deposit=deposit, withdrawal=withdrawal))
        return rows

    def add_row_errors(self, row_errors: dict[str, dict[str | None, list[str]]]):
        by_key = {(key, row_field): name for name, (key, row_field) in self._keys.items()}
        for key, fields in row_errors.items():
            for row_field, messages in fields.items():
                name = by_key.get((key, row_field))
                if name is not None:
                    self.add_error(name, messages)
                else:
                    self.row_messages.setdefault(key, []).extend(messages)

    # -- the layout the templates walk ----------------------------------------------------
    def _errors_of(self, names) -> bool:
        return any(self[name].errors for name in names) if self.is_bound else False

    def member_rows(self) -> list[dict]:
        """Per member: its loans with their inputs, its savings inputs, its errors."""
        result = []
        for number, member in enumerate(self.sheet.members, start=1):
            loans = []
            for loan in member.loans:
                key = f"loan:{loan.loan_no}"
                loans.append(
                    {
                        "line": loan,
                        "principal": self[f"p-{loan.loan_id}"],
                        "interest": self[f"i-{loan.loan_id}"],
                        "messages": self.row_messages.get(key, []),
                        "has_error": bool(self.row_messages.get(key))
                        or self._errors_of([f"p-{loan.loan_id}", f"i-{loan.loan_id}"]),
                    }
                )
            key = f"member:{member.national_id}"
            savings_names = [f"d-{member.member_id}", f"w-{member.member_id}"]
            result.append(
                {
                    "number": number,
                    "line": member,
                    "loans": loans,
                    "span": max(len(loans), 1),
                    "deposit": self[savings_names[0]],
                    "withdrawal": self[savings_names[1]],
                    "messages": self.row_messages.get(key, []),
                    "has_error": bool(self.row_messages.get(key)) or self._errors_of(savings_names),
                }
            )
        return result


def sheet_member_rows(sheet: GroupSheet) -> list[dict]:
    """The same layout as `GroupSheetForm.member_rows`, without inputs (read-only sheets)."""
    return [
        {
            "number": number,
            "line": member,
            "loans": [{"line": loan, "messages": [], "has_error": False} for loan in member.loans],
            "span": max(len(member.loans), 1),
            "messages": [],
            "has_error": False,
        }
        for number, member in enumerate(sheet.members, start=1)
    ]
