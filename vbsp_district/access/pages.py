"""The pages' checks of the role rules (`core.roles`): a 403 with the reason."""

from django.core.exceptions import PermissionDenied

from ..core.roles import MANAGERS_ONLY, POSTERS_ONLY


def deny_unless_poster(request):
    """A page's check: 403 unless the signed-in user may post."""
    if not request.scope.can_post:
        raise PermissionDenied(POSTERS_ONLY)


def deny_unless_manager(request):
    if not request.scope.is_manager:
        raise PermissionDenied(MANAGERS_ONLY)
