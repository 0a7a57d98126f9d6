"""Face at the door with real photos: enrolment needs consent, the same person opens, others do not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditEntry
from residents import faces
from residents.models import AccessEvent, FaceConsent, FaceEnrolment, Tenancy
from residents.tenancies import resident_check_out
from residents.tests.conftest import api, days_ago, face

pytestmark = pytest.mark.django_db


def enrol(resident, person: str, photo: str):
    faces.consent_grant(resident=resident, by=None, purpose_version=faces.CONSENT_VERSION)
    return faces.face_enrol(resident=resident, photo=face(person, photo), by=None)


def snapshot(door, person: str, photo: str):
    return door.client().post("/api/v1/doors/entry/", data=face(person, photo), content_type="image/jpeg")


def test_it_opens_for_the_same_person_on_a_second_photo(housed, door):
    obama = housed()
    enrol(obama, "obama", "obama.jpg")
    response = snapshot(door, "obama", "obama2.jpg")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["decision"] == "open"
    assert body["open"] is True
    assert body["message"] == "欢迎回家"
    event = AccessEvent.objects.get(pk=body["event_id"])
    assert event.resident == obama and event.method == "face" and event.distance < 0.5


def test_it_does_not_open_for_another_person(housed, door):
    obama = housed()
    enrol(obama, "obama", "obama.jpg")
    body = snapshot(door, "biden", "biden.jpg").json()
    assert body["decision"] == "deny_unknown"
    assert body["open"] is False
    event = AccessEvent.objects.get(pk=body["event_id"])
    assert event.resident is None
    assert event.snapshot_encrypted is not None  # kept (encrypted) so the manager can let the visitor in


def test_it_reminds_a_tenant_without_registration_and_opens(housed, door):
    rose = housed(registered=False, days_ago=10)
    enrol(rose, "rose_leslie", "img1.jpg")
    body = snapshot(door, "rose_leslie", "img2.jpg").json()
    assert body["decision"] == "open_remind"
    assert body["open"] is True
    assert "居住登记" in body["message"]
    tenancy = Tenancy.objects.get(resident=rose)
    assert body["register_link"].endswith(f"?tenancy={tenancy.pk}")
    assert "已逾期" in AccessEvent.objects.get(pk=body["event_id"]).reason


def test_it_reminds_a_new_arrival_still_within_the_deadline(housed, door):
    rose = housed(registered=False, days_ago=1)
    enrol(rose, "rose_leslie", "img1.jpg")
    body = snapshot(door, "rose_leslie", "img2.jpg").json()
    assert body["decision"] == "open_remind"
    assert "尚未办理" in body["reason"]


@override_settings(FACE_RETENTION_DAYS=30)
def test_a_checked_out_resident_is_unknown_to_the_door_at_once(housed, door):
    kit = housed()
    enrol(kit, "kit_harington", "john1.jpeg")
    resident_check_out(tenancy=Tenancy.objects.get(resident=kit), check_out=days_ago(2))
    body = snapshot(door, "kit_harington", "john2.jpeg").json()
    assert body["decision"] == "deny_unknown" and body["open"] is False
    assert AccessEvent.objects.get(pk=body["event_id"]).resident is None


def test_a_resident_of_another_block_is_unknown_here_and_not_logged_as_themself(housed, district, door):
    biden = housed(apartment=district.other)
    enrol(biden, "biden", "biden.jpg")
    body = snapshot(door, "biden", "biden2.jpg").json()
    assert body["decision"] == "deny_unknown" and body["resident"] is None
    assert AccessEvent.objects.get(pk=body["event_id"]).resident is None
    assert not AccessEvent.objects.filter(resident=biden).exists()


def test_it_says_when_there_is_no_face(door):
    from io import BytesIO

    from PIL import Image

    blank = BytesIO()
    Image.new("RGB", (320, 240), "white").save(blank, format="JPEG")
    body = door.client().post("/api/v1/doors/entry/", data=blank.getvalue(), content_type="image/jpeg").json()
    assert body["decision"] == "deny_invalid"
    assert body["message"] == "未检测到人脸, 请正对摄像头; 也可刷门禁卡、扫小程序开门码或输入房号和密码开门"


def test_it_rejects_a_snapshot_that_is_not_an_image(door):
    response = door.client().post("/api/v1/doors/entry/", data=b"not a jpeg", content_type="image/jpeg")
    assert response.status_code == 400
    assert response.json()["message"] == "文件不是有效的图片"
    assert not AccessEvent.objects.exists()


def test_it_refuses_enrolment_without_consent(housed):
    alex = housed(user=True)
    response = api(alex.user).post(
        "/api/v1/me/face/enrolment/", {"photo": _upload("alex_lacamoire", "img1.jpg")}, format="multipart"
    )
    assert response.status_code == 400
    assert "单独同意" in response.json()["message"]
    assert not FaceEnrolment.objects.exists()


def _upload(person, photo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(photo, face(person, photo), content_type="image/jpeg")


def test_a_resident_consents_enrols_and_withdraws_through_the_api(housed, door):
    alex = housed(user=True)
    client = api(alex.user)
    shown = client.get("/api/v1/me/face/").json()
    assert "人脸识别单独同意书" in shown["consent_text"] and shown["consented"] is False
    assert client.post("/api/v1/me/face/consent/", {"purpose_version": shown["consent_version"]}).status_code == 201
    consent = FaceConsent.objects.get(resident=alex)
    assert consent.purpose_text == faces.CONSENT_TEXT and consent.granted_by == alex.user
    response = client.post(
        "/api/v1/me/face/enrolment/", {"photo": _upload("alex_lacamoire", "img1.jpg")}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert snapshot(door, "alex_lacamoire", "img1.jpg").json()["decision"] == "open"

    withdrawn = client.delete("/api/v1/me/face/consent/").json()
    assert withdrawn == {"withdrawn": True, "deleted_encodings": 1}
    assert not FaceEnrolment.objects.filter(resident=alex).exists()
    assert FaceConsent.objects.get(pk=consent.pk).withdrawn_at is not None  # the proof of consent stays
    assert AuditEntry.objects.filter(action="face.consent_withdrawn", target_id=str(alex.pk)).exists()
    # The very next snapshot no longer finds them.
    assert snapshot(door, "alex_lacamoire", "img1.jpg").json()["decision"] == "deny_unknown"


def test_a_withdrawal_made_in_another_process_reaches_the_door_even_without_a_shared_cache(housed, door):
    """Without Redis each web process has a cache of its own, which the withdrawing process cannot reach."""
    from django.db.models import F

    from residents.models import FaceIndexBucket

    obama = housed()
    enrol(obama, "obama", "obama.jpg")
    assert snapshot(door, "obama", "obama2.jpg").json()["decision"] == "open"  # this process holds the face
    # What the other process writes: rows deleted, the block's version bumped (its cache stamp stays over there).
    FaceEnrolment.objects.filter(resident=obama).delete()
    FaceIndexBucket.objects.update(version=F("version") + 1)
    assert snapshot(door, "obama", "obama2.jpg").json()["decision"] == "deny_unknown"


def test_it_refuses_a_photo_with_several_faces(housed):
    from io import BytesIO

    from PIL import Image

    left = Image.open(BytesIO(face("obama", "obama.jpg"))).convert("RGB").resize((400, 500))
    right = Image.open(BytesIO(face("biden", "biden2.jpg"))).convert("RGB").resize((400, 400))
    both = Image.new("RGB", (800, 500), "white")
    both.paste(left, (0, 0))
    both.paste(right, (400, 50))
    out = BytesIO()
    both.save(out, format="JPEG")
    resident = housed()
    faces.consent_grant(resident=resident, by=None, purpose_version=faces.CONSENT_VERSION)
    from shijiao.errors import DomainError

    with pytest.raises(DomainError, match="多张人脸"):
        faces.face_enrol(resident=resident, photo=out.getvalue(), by=None)


def test_the_encoding_is_encrypted_at_rest_and_the_photo_is_not_kept(housed):
    resident = housed()
    enrolment = enrol(resident, "obama", "obama.jpg")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT encoding_encrypted, photo_encrypted FROM residents_faceenrolment WHERE id = %s", [enrolment.pk]
        )
        raw, photo = cursor.fetchone()
    raw = bytes(raw)
    assert raw.startswith(b"gAAAA")  # Fernet token, not 512 bytes of float32
    assert len(faces.encoding_from_bytes(raw)) == 128
    assert photo is None


def test_check_out_deletes_the_face_at_once_by_default_and_the_job_after_the_retention(housed, door):
    gone, staying, later = housed(), housed(), housed()
    enrol(gone, "kit_harington", "john1.jpeg")
    enrol(staying, "obama", "obama.jpg")
    enrol(later, "rose_leslie", "img1.jpg")
    resident_check_out(tenancy=Tenancy.objects.get(resident=gone), check_out=timezone.localdate())
    assert not FaceEnrolment.objects.filter(resident=gone).exists()  # FACE_RETENTION_DAYS 0: at the check-out
    with override_settings(FACE_RETENTION_DAYS=3):
        resident_check_out(tenancy=Tenancy.objects.get(resident=later), check_out=days_ago(2))
        assert FaceEnrolment.objects.filter(resident=later).exists()
        assert faces.purge_expired_face_data()["encodings"] == 0
        # Kept for the retention, but no door knows the face any more.
        assert snapshot(door, "rose_leslie", "img2.jpg").json()["decision"] == "deny_unknown"
    with override_settings(FACE_RETENTION_DAYS=1):
        assert faces.purge_expired_face_data()["encodings"] == 1
    assert FaceEnrolment.objects.filter(resident=staying).exists()
    assert snapshot(door, "kit_harington", "john2.jpeg").json()["decision"] == "deny_unknown"


def test_a_manager_enrols_a_face_only_with_the_scan_of_the_signed_paper_consent(housed, district, door):
    from accounts.models import Role

    resident = housed()
    manager = api(district.users[Role.PROPERTY_MANAGER])
    url = f"/api/v1/residents/{resident.pk}/face/"
    refused = manager.post(url, {"photo": _upload("obama", "obama.jpg"), "consent": "paper"}, format="multipart")
    assert refused.status_code == 400 and refused.json()["errors"].get("consent_scan")
    assert not FaceConsent.objects.exists()
    scan = _upload("rose_leslie", "img1.jpg")  # any photo of the signed form
    done = manager.post(url, {"photo": _upload("obama", "obama.jpg"), "consent_scan": scan}, format="multipart")
    assert done.status_code == 201, done.json()
    consent = FaceConsent.objects.get(resident=resident)
    assert consent.channel == "paper" and consent.granted_by == district.users[Role.PROPERTY_MANAGER]
    assert snapshot(door, "obama", "obama2.jpg").json()["decision"] == "open"


def test_the_purge_command_says_what_it_deleted(housed):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("purge_face_data", stdout=out)
    assert out.getvalue().strip() == "deleted 0 face encodings and 0 visitor snapshots"
