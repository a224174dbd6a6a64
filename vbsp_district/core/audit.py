"""The audit trail every service writes to."""

from datetime import date
from decimal import Decimal

from ..models import AuditEvent


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def audit_record(
    *, user, action: str, obj=None, key: str | None = None, data: dict | None = None, object_type: str | None = None
):
    """Write one audit event for `obj` (or for what `object_type` and `key` name, such as an
    imported workbook); call it inside the service's transaction."""
    if object_type is None:
        object_type = obj._meta.label if hasattr(obj, "_meta") else str(type(obj).__name__)
    return AuditEvent.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_key=str(key if key is not None else obj.pk),
        data=_jsonable(data or {}),
    )
