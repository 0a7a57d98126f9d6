from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cockpit.aggregates import refresh_figures
from cockpit.tests.factories import populate


@pytest.fixture
def figures(district):
    """Both blocks with residents and devices (the other's offline), figures refreshed."""
    today = timezone.localdate()
    populate(district.mine, residents=3, devices=2, online=2, check_in=today - timedelta(days=1))
    populate(district.other, residents=2, devices=2, online=0, check_in=today - timedelta(days=3))
    refresh_figures(days=7)
    return district
