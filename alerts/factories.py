from __future__ import annotations

import factory

from alerts.alarms import Firing, alarm_trigger
from alerts.models import Alert, Camera, Contact, PlanParticipant, ResponsePlan


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"值班领导{n}")
    group = "street_duty"
    phone = factory.Sequence(lambda n: f"1390000{n:04d}")
    dingtalk_userid = factory.Sequence(lambda n: f"ding-duty-{n}")


class CameraFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Camera

    name = factory.Sequence(lambda n: f"{n}号摄像头")
    floor = 1
    stream_url = factory.Sequence(lambda n: f"https://video.example.invalid/live/cam{n}.m3u8")


class ResponsePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResponsePlan
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"电气火灾隐患处置预案{n}")
    category = ResponsePlan.Category.ELECTRICAL
    channels = ["voice", "sms", "ding", "video"]

    @factory.post_generation
    def targets(self, create, extracted, **kwargs):
        for target in extracted or []:
            target, _, group = target.partition(":")
            PlanParticipant.objects.create(plan=self, target=target, contact_group=group)


def raise_alarm(*, value: float | None, at, detail: dict | None = None, **firing) -> Alert | None:
    """Fire a rule on a device as the rules do (``firing``: the fields of ``alarms.Firing``), for tests and demos."""
    return alarm_trigger(firing=Firing(**firing), value=value, at=at, detail=detail)
