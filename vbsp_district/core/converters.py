"""URL converters for the bank's keys: a URL part is a key of the form `text.py` allows.

`<key:code>` takes a commune or group code, `<loan_no:loan_no>` a loan number (parts
joined by `/`), `<national_id:national_id>` 9 or 12 digits. Keys are upper case, so a
lower-case word after a loan number (`/post/`) is never read as part of it.
"""

from django.urls import register_converter

from . import text


class KeyConverter:
    regex = text.KEY

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class LoanNoConverter(KeyConverter):
    regex = text.LOAN_NO


class NationalIdConverter(KeyConverter):
    regex = text.NATIONAL_ID


def register():
    register_converter(KeyConverter, "key")
    register_converter(LoanNoConverter, "loan_no")
    register_converter(NationalIdConverter, "national_id")
