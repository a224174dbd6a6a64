"""The one error a service raises on bad input: a field and a Vietnamese message."""

from django.core.exceptions import ValidationError


def refuse(field: str, message: str):
    """Raise a ValidationError naming the field, the way forms and the importer show it."""
    raise ValidationError({field: [message]})
