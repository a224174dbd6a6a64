"""Roles: who may do what, the one place that says it. The scoping of reads lives beside
it in `scoping.py`.

Posting (groups, members, loans, money) is for branch staff and managers; approving
reversals, closing periods and importing workbooks for managers. Services check the
acting user (`require_poster`, `require_manager`: None is the system itself, as in the
commands); pages check the request (`deny_unless_poster`, `deny_unless_manager`), and
both ask `may_post` / `is_manager`.
"""

from ..models import Role
from .errors import refuse

POSTING_ROLES = (Role.STAFF, Role.MANAGER)
POSTERS_ONLY = "Chỉ cán bộ tín dụng và lãnh đạo phòng giao dịch được ghi sổ."
MANAGERS_ONLY = "Chỉ lãnh đạo phòng giao dịch được thực hiện thao tác này."


def user_role(user) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is not None:
        return profile.role
    return Role.ADMIN if user.is_superuser else None


def role_may_post(role: str | None) -> bool:
    return role in POSTING_ROLES


def may_post(user) -> bool:
    """Branch staff and managers post; officers, administrators and others do not."""
    return role_may_post(user_role(user))


def is_manager(user) -> bool:
    return user_role(user) == Role.MANAGER


def require_manager(user, field: str = "acting_user"):
    if not is_manager(user):
        refuse(field, MANAGERS_ONLY)


def require_poster(user, field: str = "acting_user"):
    """A service's check of its acting user (None: the system, in a command)."""
    if user is not None and not may_post(user):
        refuse(field, "Bạn không có quyền ghi sổ giao dịch.")
