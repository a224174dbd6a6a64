"""Form fields in the bank's formats and the bridge from services' errors to forms."""

import re
from datetime import date

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError

from .money import over_cap_message, posting_cap
from .months import FIRST_YEAR, LAST_YEAR
from .text import text_clean, text_problem

# ASCII digits only: full-width or Arabic-Indic digits are refused, never read as numbers.
MONEY_PATTERN = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$|^[0-9]{1,3}(,[0-9]{3})+$|^[0-9]+$")
DIGITS_MESSAGE = "Chỉ dùng chữ số 0–9 (không dùng chữ số toàn khổ hay chữ số Ả Rập)."


def parse_money(text) -> int:
    """'1.234.567', '1,234,567' or '1234567' → 1234567; anything else raises ValueError."""
    text = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if not MONEY_PATTERN.match(text):
        raise ValueError(text)
    return int(text.replace(".", "").replace(",", ""))


# A count (people, items) as the pages show numbers: thousands grouped by dots, no decimals.
COUNT_PATTERN = re.compile(r"^-?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)$")


class CountField(forms.IntegerField):
    """A whole number typed as 1.000 or 1000: the dot groups thousands, as everywhere in the
    app (Django's own field would read 1.000 as 1). Bounds and messages are IntegerField's."""

    widget = forms.TextInput

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("min", None), attrs.pop("max", None), attrs.pop("step", None)
        return attrs | {"inputmode": "numeric", "autocomplete": "off"}

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().replace(" ", "").replace("\u00a0", "")
        if len(text) > 20 or not COUNT_PATTERN.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text.replace(".", ""))


class MoneyField(forms.CharField):
    """An amount in whole đồng typed as 1.234.567."""

    default_error_messages = {
        "invalid": "Số tiền phải là số nguyên dương (đồng), ví dụ 1.500.000.",
        "too_large": "Số tiền quá lớn.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 25)
        super().__init__(**kwargs)
        # The length limit applies to the typed text (in to_python); the cleaned value is an int.
        self.validators = [v for v in self.validators if not isinstance(v, validators.MaxLengthValidator)]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "numeric", "class": "form-control money", "autocomplete": "off"})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, int):
            from vbsp_district.core.money import vnd

            return vnd(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        try:
            amount = parse_money(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if amount <= 0:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if amount > (cap := posting_cap()):
            raise ValidationError(over_cap_message(cap), code="too_large")
        return amount


class VNDateField(forms.DateField):
    """A date typed as dd/mm/yyyy."""

    input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
    default_error_messages = {"invalid": "Ngày phải có dạng dd/mm/yyyy, ví dụ 20/01/2020."}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and (len(value) > 20 or _non_ascii_digit(value)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _non_ascii_digit(text: str) -> bool:
    return any(char.isdigit() and not char.isascii() for char in text)


def raw_text_problem(field: forms.Field, raw) -> str | None:
    """What is wrong with a typed value whatever the field: hidden or reordering
    characters (NUL among them), or digits other than 0–9."""
    for text in raw if isinstance(raw, list | tuple) else [raw]:
        if not isinstance(text, str):
            continue
        if problem := text_problem(text_clean(text), multiline=isinstance(field.widget, forms.Textarea)):
            return problem
        if _non_ascii_digit(text):
            return DIGITS_MESSAGE
    return None


class BankForm(forms.Form):
    """Bootstrap classes on every widget, and one check of every typed value.

    Whatever a field's type, a value holding control or bidirectional characters or
    digits other than 0–9 is refused on its field; free text is stored in NFC without
    zero-width characters (`vbsp_district/core/text.py`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs.setdefault("class", css)

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name, field in self.fields.items():
            if field.disabled:
                continue
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if problem := raw_text_problem(field, raw):
                self.cleaned_data.pop(name, None)
                self._errors.pop(name, None)  # this message says more than the field's own
                self.add_error(name, problem)
            elif isinstance(self.cleaned_data.get(name), str):
                self.cleaned_data[name] = text_clean(self.cleaned_data[name])


def call_service(form: forms.Form, service, **kwargs):
    """Run a service for a valid form; its refusals become the form's errors.

    Returns the service's result, or None when it refused (the form then carries the
    message on the field it names, or as a non-field error).
    """
    try:
        return service(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None


def as_of_from(request, default: date | None = None) -> date:
    """The `date` query parameter (dd/mm/yyyy) or `default`/today; bad input → default."""
    from django.utils import timezone

    field = VNDateField(required=False)
    try:
        value = field.clean(request.GET.get("date", ""))
    except ValidationError:
        value = None
    if value is None or not FIRST_YEAR <= value.year <= LAST_YEAR:
        return default or timezone.localdate()
    return value
