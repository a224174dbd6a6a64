"""The one error a service raises on bad input: a field and a Vietnamese message."""

from django.core.exceptions import ValidationError


def refuse(field: str, message: str):
    """Raise a ValidationError naming the field, the way forms and the importer show it."""
    raise ValidationError({field: [message]})


def refuse_taken(field: str, label: str, key: str):
    """A key already in the book (every path says it the same way)."""
    refuse(field, f"{label} {key} đã có trong hệ thống.")
