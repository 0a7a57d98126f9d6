from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from shijiao.startup import check_services, run_guarded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shijiao.settings")
application = run_guarded(get_wsgi_application)
run_guarded(check_services)
