"""ID numbers and phones are ciphertext in the database, found by keyed hash, masked when shown."""

from __future__ import annotations

import pytest
from django.db import connection

from residents.factories import ResidentFactory
from residents.models import Resident
from shijiao.pii import blind_index, mask_id_number, mask_name, mask_phone

pytestmark = pytest.mark.django_db


def test_the_raw_row_holds_no_id_number_or_phone_in_clear():
    resident = ResidentFactory(id_number="41130219950517991X", phone="19900001234")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM residents_resident WHERE id = %s", [resident.pk])
        raw = " ".join(str(value) for value in cursor.fetchone())
    assert "41130219950517991X" not in raw and "19950517" not in raw
    assert "19900001234" not in raw
    again = Resident.objects.get(pk=resident.pk)
    assert again.id_number == "41130219950517991X" and again.phone == "19900001234"


def test_an_exact_id_number_finds_the_resident_through_the_keyed_hash():
    resident = ResidentFactory(id_number="41130219950517991X")
    assert Resident.objects.get(id_number_hash=blind_index("41130219950517991x ")) == resident


def test_masks_keep_only_what_identifies_nobody():
    assert mask_id_number("330102199001011234") == "330102********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧**娜"
