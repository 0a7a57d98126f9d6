from __future__ import annotations

import factory

from accounts.models import Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.RESIDENT
    is_staff = factory.LazyAttribute(lambda o: o.role != Role.RESIDENT)
    password = factory.django.Password("pw-123456")
