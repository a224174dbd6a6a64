"""Factories for the organization; money always goes through the services."""

from datetime import date

import factory
from django.contrib.auth import get_user_model

from groups.models import Association, Commune, GroupAssignment, Member, Membership, SavingsGroup
from vbsp_district.models import Role, UserProfile


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret-pass-1")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        role = extracted or Role.STAFF
        UserProfile.objects.update_or_create(
            user=obj,
            defaults={
                "role": role,
                "association": kwargs.get("association"),
                "commune": kwargs.get("commune"),
            },
        )


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"X{n:02d}")
    name = factory.Sequence(lambda n: f"Xã {n}")
    kind = Commune.Kind.COMMUNE
    transaction_day = 20


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavingsGroup
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"Tổ {n}")
    commune = factory.SubFactory(CommuneFactory)
    founded_on = date(2015, 1, 1)

    @factory.post_generation
    def association(obj, create, extracted, **kwargs):
        association = extracted or Association.objects.get(code="HND")
        GroupAssignment.objects.create(group=obj, association=association, effective_on=obj.founded_on)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        django_get_or_create = ("national_id",)
        skip_postgeneration_save = True

    national_id = factory.Sequence(lambda n: f"{44000000000 + n:012d}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    commune = factory.SubFactory(CommuneFactory)

    @factory.post_generation
    def group(obj, create, extracted, **kwargs):
        if extracted:
            Membership.objects.create(member=obj, group=extracted, joined_on=kwargs.get("joined_on", date(2015, 1, 1)))
