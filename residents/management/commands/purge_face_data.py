from __future__ import annotations

from django.core.management.base import BaseCommand

from residents.faces import purge_expired_face_data


class Command(BaseCommand):
    help = (
        "Delete face data that must not be kept any longer (PIPL Art. 47): encodings of residents checked out "
        "more than FACE_RETENTION_DAYS days ago, and visitor snapshots older than FACE_VISITOR_SNAPSHOT_HOURS. "
        "Celery beat runs the same job every hour (residents.purge_face_data)."
    )

    def handle(self, *args, **options) -> None:
        result = purge_expired_face_data()
        self.stdout.write(
            f"deleted {result['encodings']} face encodings and {result['visitor_snapshots']} visitor snapshots"
        )
