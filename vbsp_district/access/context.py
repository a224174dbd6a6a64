def navigation(request):
    """The signed-in user's scope for the menu (what to show, not what to allow)."""
    scope = getattr(request, "scope", None)
    return {"scope": scope}
