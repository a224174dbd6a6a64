"""The demo accounts, one per role, all with the same password."""

from django.contrib.auth import get_user_model
from django.db import transaction

from groups.models import Association
from vbsp_district.models import Role, UserProfile

DEMO_PASSWORD = "vbsp-demo-2020"

DEMO_ACCOUNTS = [
    ("quanly", "Lãnh đạo PGD (demo)", Role.MANAGER, None),
    ("canbo", "Cán bộ tín dụng (demo)", Role.STAFF, None),
    ("hnd", "Cán bộ Hội Nông dân huyện (demo)", Role.OFFICER, "HND"),
    ("hpn", "Cán bộ Hội Phụ nữ huyện (demo)", Role.OFFICER, "HPN"),
    ("ccb", "Cán bộ Hội Cựu chiến binh huyện (demo)", Role.OFFICER, "CCB"),
    ("dtn", "Cán bộ Đoàn Thanh niên huyện (demo)", Role.OFFICER, "DTN"),
]


@transaction.atomic
def demo_accounts_create() -> list[tuple[str, str]]:
    """Create (or reset) the demo accounts; returns (username, role label) pairs."""
    User = get_user_model()
    created = []
    for username, full_name, role, association_code in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name = full_name
        user.is_staff = role == Role.MANAGER
        user.set_password(DEMO_PASSWORD)
        user.save()
        association = Association.objects.get(code=association_code) if association_code else None
        UserProfile.objects.update_or_create(
            user=user, defaults={"role": role, "association": association, "commune": None}
        )
        created.append((username, Role(role).label))
    return created
