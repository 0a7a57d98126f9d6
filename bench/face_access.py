"""Benchmark: snapshot → door decision at 56,300 enrolled residents, against the bare face_recognition floor.

Creates a throw-away database (PostgreSQL when it answers, else SQLite), enrols the real test faces
(tests/data/faces, first photo of each person) plus synthetic encodings for the rest of 56,300 residents
in 95 blocks, then posts the other photos to the door API in process (DRF client: authentication, image
decoding, HOG detection, encoding, 1:N matching, tenancy and registration checks, the access event) and
times it; the floor is face_recognition.load_image_file + face_locations + face_encodings of the same photo.

    python bench/face_access.py [--residents 56300] [--rounds 15]

Then measures accuracy: every shipped test photo, encoded as the door encodes a snapshot, against every enrolled
identity (each photo encoded as enrolment does), the same photo excepted; false accepts (FAR) and false rejects
(FRR) at the configured FACE_MATCH_TOLERANCE, and the tolerance the measurement supports (no false accept, the
fewest false rejects: ``residents.faces.choose_tolerance``).

Last line: ``face access: p95 <A> ms per decision, floor p95 <B> ms, 1:N <C> ms at <N>, FAR <x>% FRR <y>% at
tolerance <t>``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "tests" / "data" / "faces"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings_test")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_shijiao_face_access")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=56_300, help="enrolled residents in all (default 56300)")
    parser.add_argument("--rounds", type=int, default=15, help="times each probe photo goes through (default 15)")
    args = parser.parse_args()

    import django

    django.setup()
    import warnings

    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    import face_recognition
    import numpy as np
    from django.db import connection
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from apartments.factories import ApartmentFactory, RoomFactory
        from residents import faces
        from residents.models import FaceConsent, FaceEnrolment, ResidenceRegistration, Resident, Tenancy
        from sensors.factories import DeviceFactory
        from sensors.models import DeviceType
        from shijiao.pii import blind_index

        t0 = time.perf_counter()
        blocks = [ApartmentFactory(code=f"B-{i:03d}", name=f"基准公寓{i}") for i in range(95)]
        rooms = [RoomFactory(apartment=b, floor=2, number="201", capacity=20) for b in blocks]
        real = sorted(p for p in FACES.iterdir() if p.is_dir())
        rng = np.random.default_rng(2026)
        today = date.today()
        residents = [
            Resident(
                name=f"基准{i}",
                id_number=f"99{i:016d}",
                id_number_hash=blind_index(f"99{i:016d}"),
                phone="",
            )
            for i in range(args.residents)
        ]
        Resident.objects.bulk_create(residents, batch_size=5000)
        ids = list(Resident.objects.order_by("pk").values_list("pk", flat=True))
        # Beds are not part of this benchmark: 56,300 people share 95 rooms without bed numbers.
        Tenancy.objects.bulk_create(
            [
                Tenancy(resident_id=rid, room=rooms[i % 95], bed="", check_in=today - timedelta(days=40))
                for i, rid in enumerate(ids)
            ],
            batch_size=5000,
        )
        tenancy_ids = dict(Tenancy.objects.values_list("resident_id", "pk"))
        now = django.utils.timezone.now()
        ResidenceRegistration.objects.bulk_create(
            [
                ResidenceRegistration(
                    resident_id=rid,
                    tenancy_id=tenancy_ids[rid],
                    status="confirmed",
                    resides_since=today - timedelta(days=40),
                    submitted_at=now,
                    confirmed_at=now,
                )
                for rid in ids
            ],
            batch_size=5000,
        )
        consent_text = faces.CONSENT_TEXT
        FaceConsent.objects.bulk_create(
            [
                FaceConsent(
                    resident_id=rid,
                    purpose_version=faces.CONSENT_VERSION,
                    purpose_text=consent_text,
                    channel="paper",
                    granted_at=now,
                )
                for rid in ids
            ],
            batch_size=5000,
        )
        consents = dict(FaceConsent.objects.values_list("resident_id", "pk"))
        # The real people live in block 0 (the door's block) and enrol with their first photo.
        encodings: dict[int, np.ndarray] = {}
        probes: list[Path] = []
        for n, person in enumerate(real):
            photos = sorted(person.iterdir())
            image = face_recognition.load_image_file(photos[0])
            encodings[ids[n * 95]] = face_recognition.face_encodings(image, num_jitters=1)[0].astype(np.float32)
            probes.extend(photos[1:] or photos[:1])
        synthetic = rng.normal(0.0, 0.09, size=(len(ids), 128)).astype(np.float32)
        rows = []
        for i, rid in enumerate(ids):
            vector = encodings.get(rid, synthetic[i])
            rows.append(
                FaceEnrolment(
                    resident_id=rid, consent_id=consents[rid], encoding_encrypted=faces.encoding_to_bytes(vector)
                )
            )
        FaceEnrolment.objects.bulk_create(rows, batch_size=5000)
        seeded = time.perf_counter() - t0

        t0 = time.perf_counter()
        faces.face_index.reset()
        faces.face_index.refresh()
        loaded = time.perf_counter() - t0

        door = DeviceFactory(device_type=DeviceType.objects.get(code="door_controller"), apartment=blocks[0])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {door.issue_token()}")
        payloads = [(p, p.read_bytes()) for p in probes]

        decisions: list[float] = []
        floor: list[float] = []
        outcomes: dict[str, str] = {}
        for _ in range(args.rounds):
            for path, data in payloads:
                t = time.perf_counter()
                response = client.post("/api/v1/doors/entry/", data=data, content_type="image/jpeg")
                decisions.append((time.perf_counter() - t) * 1000)
                outcomes[f"{path.parent.name}/{path.name}"] = response.json()["decision"]
                t = time.perf_counter()
                image = face_recognition.load_image_file(path)
                boxes = face_recognition.face_locations(image, number_of_times_to_upsample=0, model="hog")
                face_recognition.face_encodings(image, known_face_locations=boxes)
                floor.append((time.perf_counter() - t) * 1000)

        from django.conf import settings

        from shijiao.images import clean_image

        enrolled, probed = [], []
        for person in real:
            for photo in sorted(person.iterdir()):
                raw = photo.read_bytes()
                enrolled.append(
                    (person.name, faces.encode_largest_face(faces.load_rgb(clean_image(raw).content.read())))
                )
                probed.append((person.name, faces.encode_largest_face(faces.load_rgb(raw))))
        genuine, impostor = [], []
        for i, identity in enumerate(enrolled):
            g, imp = faces.pair_distances([identity], [p for j, p in enumerate(probed) if j != i])
            genuine += g
            impostor += imp
        tolerance = settings.FACE_MATCH_TOLERANCE
        accuracy = faces.accuracy_at(tolerance, genuine, impostor)
        supported = faces.choose_tolerance(genuine, impostor)

        unknown = rng.normal(0.0, 0.09, size=128).astype(np.float32)
        matching = []
        for _ in range(500):
            t = time.perf_counter()
            faces.face_index.match(unknown, apartment_id=blocks[1].pk)
            matching.append((time.perf_counter() - t) * 1000)

        print(f"seeded {len(ids)} residents with encrypted encodings in {seeded:.1f} s; index loaded in {loaded:.2f} s")
        print(f"index holds {faces.face_index.size()} encodings; probes: {len(payloads)} photos × {args.rounds} rounds")
        for name, decision in sorted(outcomes.items()):
            print(f"  {name}: {decision}")
        print(f"decision median {np.median(decisions):.1f} ms, floor median {np.median(floor):.1f} ms")
        block = faces.face_index.block_size(blocks[1].pk)
        print(f"1:N median {np.median(matching):.2f} ms (a door matches only its block: {block} of {len(ids)})")
        print(
            f"accuracy over {len(probed)} photos of {len(real)} people: {accuracy.genuine} genuine pairs "
            f"(farthest {max(genuine):.3f}), {accuracy.impostor} impostor pairs (nearest {min(impostor):.3f}); "
            f"{accuracy.false_accepts} false accepts, {accuracy.false_rejects} false rejects at {tolerance}; "
            f"the measurement supports {supported}"
        )
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"face access: p95 {p95(decisions):.0f} ms per decision, floor p95 {p95(floor):.0f} ms, "
            f"1:N {p95(matching):.1f} ms at {len(ids)}, FAR {accuracy.far:.1%} FRR {accuracy.frr:.1%} "
            f"at tolerance {tolerance}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
