"""Roles: who may do what. The scoping of reads lives beside it in `scoping.py`."""

from .errors import refuse
from .models import Role


def user_role(user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is not None:
        return profile.role
    return Role.ADMIN if user.is_superuser else None


def is_manager(user) -> bool:
    return user_role(user) == Role.MANAGER


def require_manager(user, field: str = "acting_user"):
    if not is_manager(user):
        refuse(field, "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này.")


def require_poster(user, field: str = "acting_user"):
    """Only branch staff and managers post money (never association officers)."""
    if user is not None and user_role(user) not in (Role.STAFF, Role.MANAGER, Role.ADMIN):
        refuse(field, "Bạn không có quyền ghi sổ giao dịch.")
