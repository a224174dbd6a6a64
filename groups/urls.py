"""Organization pages: groups and members (registries and their forms)."""

urlpatterns = []
