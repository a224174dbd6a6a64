"""Form fields in the bank's formats and the bridge from services' errors to forms."""

import re
from datetime import date

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError

MONEY_PATTERN = re.compile(r"^\d{1,3}(\.\d{3})+$|^\d{1,3}(,\d{3})+$|^\d+$")


def parse_money(text) -> int:
    """'1.234.567', '1,234,567' or '1234567' → 1234567; anything else raises ValueError."""
    text = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if not MONEY_PATTERN.match(text):
        raise ValueError(text)
    return int(text.replace(".", "").replace(",", ""))


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
            from vbsp_district.money import vnd

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
        if amount > 10**15:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return amount


class VNDateField(forms.DateField):
    """A date typed as dd/mm/yyyy."""

    input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
    default_error_messages = {"invalid": "Ngày phải có dạng dd/mm/yyyy, ví dụ 20/01/2020."}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and len(value) > 20:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class BankForm(forms.Form):
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs.setdefault("class", css)


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
    """The `ngay` query parameter (dd/mm/yyyy) or `default`/today; bad input → default."""
    from django.utils import timezone

    field = VNDateField(required=False)
    try:
        value = field.clean(request.GET.get("ngay", ""))
    except ValidationError:
        value = None
    if value is None or value.year < 1900 or value.year > 2999:
        return default or timezone.localdate()
    return value
