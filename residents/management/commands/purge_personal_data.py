from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from residents.retention import purge_expired_personal_data


class Command(BaseCommand):
    help = (
        "Delete the personal data of residents whose purpose ended more than RESIDENT_RETENTION_DAYS days ago "
        "(PIPL Art. 47): the later of their last check-out and the end of their last permit. Name, ID number, "
        "phones, birth date, employer, face data, door cards and PINs are erased; the rows stay anonymous so that "
        "counts do not change. Celery beat runs the same job every day (residents.purge_personal_data)."
    )

    def handle(self, *args, **options) -> None:
        result = purge_expired_personal_data()
        self.stdout.write(
            f"anonymised {result['residents']} residents who left more than {settings.RESIDENT_RETENTION_DAYS} days ago"
        )
