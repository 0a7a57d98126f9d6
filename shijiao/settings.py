"""Settings for e智办, read from the environment.

With no environment the product runs on embedded defaults: SQLite under
``var/``, the in-memory channel layer and in-process Celery execution.
Production sets DATABASE_URL, REDIS_URL and MQTT_URL (see docs/configuration.md).
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from shijiao.env import (
    check_fernet_keys,
    check_file,
    check_url,
    database_from_url,
    envbool,
    envfloat,
    envint,
    envlist,
    envsecret,
    envstr,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", True)
# Production (DEBUG=false) refuses to start without its own keys: never the public development key below, and
# never personal-data keys derived from it (shijiao/pii.py derives them only in development).
SECRET_KEY = envsecret(
    "SECRET_KEY",
    debug=DEBUG,
    dev_default="dev-only-insecure-key-change-me-in-production-0123456789",
    min_length=50,  # what `manage.py check --deploy` asks for
    how='python -c "import secrets; print(secrets.token_urlsafe(50))"',
)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["*"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files (no CDN)
    "channels",
    # ours, lowest first (one-way dependencies: see docs/architecture.md)
    "accounts",
    "apartments",
    "residents",
    "sensors",
    "alerts",
    "services",
    "cockpit",
    "demo",
]

MIDDLEWARE = [
    "shijiao.api.ApiErrorMiddleware",  # outermost: every error under /api/ in the API's JSON envelope
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shijiao.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "shijiao.urls"
WSGI_APPLICATION = "shijiao.wsgi.application"
ASGI_APPLICATION = "shijiao.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL, BASE_DIR)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the ASGI server, the worker and the consumer share the demo file.
    # IMMEDIATE transactions wait for the write lock instead of failing with "database is locked"
    # when the simulator, periodic jobs and requests write at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
DATABASES["default"]["TEST"] = {"NAME": envstr("TEST_DATABASE_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- redis, channels, celery, mqtt ----------------------------------------
REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    check_url("REDIS_URL", REDIS_URL, {"redis", "rediss", "unix"}, "redis://127.0.0.1:6379/0")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "shijiao.channel_layer.RedisChannelLayer",  # channels_redis's, cancellable on Python 3.11
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],  # > the 5 s blocking receive (redis-py 8: 5 s)
                "prefix": envstr("CHANNEL_LAYER_PREFIX", "asgi"),
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
    CACHES = {"default": {"BACKEND": "shijiao.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Open WebSockets join their groups again this often (Redis may have lost them) and catch up on what they missed.
WS_REFRESH_SECONDS = envfloat("WS_REFRESH_SECONDS", 30.0)

CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Embedded default: tasks run in-process, so the demo needs no worker.
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not (REDIS_URL or envstr("CELERY_BROKER_URL")))
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = envint("CELERY_WORKER_PREFETCH_MULTIPLIER", 4)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 300)}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE: dict = {  # apps add their periodic jobs in their sections below
    "heartbeat": {"task": "shijiao.heartbeat", "schedule": 30.0},
}
CELERY_IMPORTS = ["shijiao.tasks"]
CELERY_BEAT_SCHEDULER = "shijiao.celery:RecordingScheduler"  # leaves beat's heartbeat for /healthz
# /healthz (shijiao/health.py): workers, beat and MQTT consumers leave a heartbeat this often; older than the
# second figure, the part is reported down (503).
HEALTH_HEARTBEAT_SECONDS = envint("HEALTH_HEARTBEAT_SECONDS", 10)
HEALTH_STALE_SECONDS = envint("HEALTH_STALE_SECONDS", 60)

MQTT_URL = envstr("MQTT_URL", "")
if MQTT_URL:
    check_url("MQTT_URL", MQTT_URL, {"mqtt", "mqtts", "tcp"}, "mqtt://127.0.0.1:1883")
MQTT_CLIENT_ID = envstr("MQTT_CLIENT_ID", "shijiao-ingest")
# mqtts://: the broker's certificate is checked against the system's CAs, or this PEM file's (a private CA).
MQTT_CA_FILE = check_file("MQTT_CA_FILE", envstr("MQTT_CA_FILE", ""), "a PEM file of the broker's CA")
MQTT_SHARED_GROUP = envstr("MQTT_SHARED_GROUP", "shijiao")

# --- personal data --------------------------------------------------------
# Fernet key (urlsafe base64, 32 bytes) for ID numbers, phones and face encodings at rest.
PII_ENCRYPTION_KEY = check_fernet_keys(
    "PII_ENCRYPTION_KEY",
    envsecret(
        "PII_ENCRYPTION_KEY",
        debug=DEBUG,
        min_length=44,
        how='python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"',
    ),
)
# Key of the keyed hash (HMAC-SHA256) used to look up an ID number or phone exactly.
PII_HASH_KEY = envsecret(
    "PII_HASH_KEY", debug=DEBUG, how='python -c "import secrets; print(secrets.token_urlsafe(32))"'
)

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
# Behind nginx: the app checks who may see a photo, then answers X-Accel-Redirect to this internal location
# (e.g. "/protected-media/"); empty: the app streams the file itself (services/media.py).
MEDIA_ACCEL_REDIRECT = envstr("MEDIA_ACCEL_REDIRECT", "")
# Photo links the API hands out (signed, no session needed) work this long.
MEDIA_LINK_SECONDS = envint("MEDIA_LINK_SECONDS", 3600)
# The CJK TrueType font the PDFs embed (shijiao/pdf.py); "" looks for fonts-wqy-microhei and the like.
PDF_CJK_FONT = envstr("PDF_CJK_FONT", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- security (production defaults when DEBUG is off) -----------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (shijiao/security.py): media origins besides the cameras' own, and video-call origins.
CSP_MEDIA_SRC = envlist("CSP_MEDIA_SRC", [])
CSP_FRAME_SRC = envlist("CSP_FRAME_SRC", [])
CSP_REPORT_ONLY = envbool("CSP_REPORT_ONLY", False)

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",  # mini-program and H5 client
        "rest_framework.authentication.SessionAuthentication",  # staff in the browser
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "shijiao.api.NumberedPage",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "shijiao.api.exception_handler",
    # Throttles count per REMOTE_ADDR, never per X-Forwarded-For: a client writes that header itself and could
    # start a fresh count with every request. uvicorn puts the real client address into REMOTE_ADDR when the
    # proxy is trusted (FORWARDED_ALLOW_IPS, docs/deployment.md).
    "NUM_PROXIES": 0,
    # Opt-in per view (shijiao.api.THROTTLES): device gateways must never be throttled by these.
    "DEFAULT_THROTTLE_RATES": {
        "anon": envstr("API_THROTTLE_ANON", "120/min"),
        "user": envstr("API_THROTTLE_USER", "240/min"),
        "login": envstr("API_THROTTLE_LOGIN", "20/min"),
        "otp": envstr("API_THROTTLE_OTP", "10/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "e智办 API",
    "DESCRIPTION": "石桥街道流动人口公寓数智化治理平台接口 (mini-program, devices, staff).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Every operation documents the JSON error envelope (components: schema Error, responses Error400...).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "shijiao.schema.error_envelope"],
    # Choice sets that share a field name ("status", "kind", "category") get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "RoomKindEnum": "apartments.models.Room.Kind",
        "InspectionKindEnum": "apartments.models.InspectionKind",
        "InspectionStatusEnum": "apartments.models.Inspection.Status",
        "HazardStatusEnum": "apartments.models.Hazard.Status",
        "JobApplicationStatusEnum": "services.models.JobApplication.Status",
        "FeedbackStatusEnum": "services.models.Feedback.Status",
        "FeedbackKindEnum": "services.models.Feedback.Kind",
        "ClinicKindEnum": "services.models.Clinic.Kind",
        "RepairCategoryEnum": "services.models.RepairRequest.Category",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- apartments -------------------------------------------------------------
DEMO_SUB_DISTRICT = envstr("DEMO_SUB_DISTRICT", "石桥街道")

# --- residents --------------------------------------------------------------
# Days after arrival by which residence registration is due (Zhejiang practice; check).
REGISTRATION_DEADLINE_DAYS = envint("REGISTRATION_DEADLINE_DAYS", 3)
# Working days after check-out by which deregistration must be reported (check).
DEREGISTRATION_DEADLINE_WORKING_DAYS = envint("DEREGISTRATION_DEADLINE_WORKING_DAYS", 3)
# Reminders for a tenancy without registration: the resident this many days before the deadline, the property
# staff when it passed, the grid worker this many days after (residents.registration.registration_remind).
# An unknown face at a door: the block's property staff get one notice a door per this many minutes.
DOOR_UNKNOWN_NOTICE_MINUTES = envint("DOOR_UNKNOWN_NOTICE_MINUTES", 10)
REGISTRATION_REMIND_DAYS_BEFORE = envint("REGISTRATION_REMIND_DAYS_BEFORE", 1)
REGISTRATION_GRID_AFTER_DAYS = envint("REGISTRATION_GRID_AFTER_DAYS", 2)
# Public holidays (ISO dates) that are not working days, besides weekends; make-up working weekends too.
RESIDENTS_HOLIDAYS = envlist("RESIDENTS_HOLIDAYS", [])
RESIDENTS_EXTRA_WORKING_DAYS = envlist("RESIDENTS_EXTRA_WORKING_DAYS", [])
# E-residence permit (State Council Decree 663): days registered, whether a job is required, validity.
PERMIT_MIN_REGISTERED_DAYS = envint("PERMIT_MIN_REGISTERED_DAYS", 183)
PERMIT_REQUIRES_JOB = envbool("PERMIT_REQUIRES_JOB", False)
PERMIT_VALID_DAYS = envint("PERMIT_VALID_DAYS", 365)
# Face at the door: match tolerance (face distance), photo kept?, retention after check-out, visitor snapshots.
# Chosen from the measurement over every shipped test photo against every enrolled identity (bench/face_access.py,
# residents/tests/test_face_accuracy.py): no false accept, no false reject, the middle of the gap between the
# farthest genuine pair (0.41) and the nearest impostor pair (0.76).
FACE_MATCH_TOLERANCE = envfloat("FACE_MATCH_TOLERANCE", 0.58)
# A face enrolled by staff: the person is told at once by SMS (this template, parameter ``link``: the one-tap
# withdrawal page, valid FACE_WITHDRAW_LINK_DAYS days).
FACE_NOTICE_SMS_TEMPLATE = envstr("FACE_NOTICE_SMS_TEMPLATE", "SMS_FACE_ENROLLED")
FACE_WITHDRAW_LINK_DAYS = envint("FACE_WITHDRAW_LINK_DAYS", 30)
# Face data of someone who never lived in a block (enrolled before a check-in that never came) is deleted after
# this many days: without a block there is no door to open.
FACE_UNHOUSED_RETENTION_DAYS = envint("FACE_UNHOUSED_RETENTION_DAYS", 30)
FACE_KEEP_PHOTOS = envbool("FACE_KEEP_PHOTOS", False)
FACE_RETENTION_DAYS = envint("FACE_RETENTION_DAYS", 0)
FACE_VISITOR_SNAPSHOT_HOURS = envint("FACE_VISITOR_SNAPSHOT_HOURS", 24)
FACE_MAX_SIDE = envint("FACE_MAX_SIDE", 1280)
FACE_DETECT_SIDE = envint("FACE_DETECT_SIDE", 640)
DOOR_QR_MAX_AGE_SECONDS = envint("DOOR_QR_MAX_AGE_SECONDS", 120)
# Wrong PINs: after this many in a row at one door or for one person the PIN is locked PIN_LOCK_SECONDS, doubled
# with every further wrong PIN (at most a day), and the block's staff are alerted (alarm movement_pin_guessing).
PIN_MAX_FAILURES = envint("PIN_MAX_FAILURES", 5)
PIN_LOCK_SECONDS = envint("PIN_LOCK_SECONDS", 60)
# Where the one-tap registration link of a door reminder points (the mini-program / H5 page).
RESIDENT_REGISTER_URL = envstr("RESIDENT_REGISTER_URL", f"{SITE_URL}/h5/#/registration")
# Gap lists: regular entries without registration, silent registered residents.
GAP_REGULAR_WINDOW_DAYS = envint("GAP_REGULAR_WINDOW_DAYS", 14)
GAP_REGULAR_MIN_DAYS = envint("GAP_REGULAR_MIN_DAYS", 3)
GAP_SILENT_DAYS = envint("GAP_SILENT_DAYS", 30)
# Radar: night loitering beyond N minutes; tailgating window after one door opening.
RADAR_LOITER_MINUTES = envint("RADAR_LOITER_MINUTES", 10)
RADAR_NIGHT_START_HOUR = envint("RADAR_NIGHT_START_HOUR", 22)
RADAR_NIGHT_END_HOUR = envint("RADAR_NIGHT_END_HOUR", 6)
TAILGATE_WINDOW_SECONDS = envint("TAILGATE_WINDOW_SECONDS", 15)
CELERY_BEAT_SCHEDULE["residents-purge-face-data"] = {"task": "residents.purge_face_data", "schedule": 3600.0}
# Residents' personal data is anonymised this many days after they left (last check-out or end of their permit):
# how long the registration records are needed is the street's and the police station's call (check).
RESIDENT_RETENTION_DAYS = envint("RESIDENT_RETENTION_DAYS", 365)
CELERY_BEAT_SCHEDULE["residents-purge-personal-data"] = {"task": "residents.purge_personal_data", "schedule": 86400.0}
CELERY_BEAT_SCHEDULE["residents-remind-registrations"] = {
    "task": "residents.remind_registrations",
    "schedule": envfloat("REGISTRATION_REMIND_INTERVAL", 3600.0),
}

# --- sensors ----------------------------------------------------------------
READING_RETENTION_DAYS = envint("READING_RETENTION_DAYS", 90)
DEVICE_OFFLINE_AFTER_INTERVALS = envint("DEVICE_OFFLINE_AFTER_INTERVALS", 3)
# Minute roll-ups are kept this long; hour roll-ups this long (0 = forever).
ROLLUP_MINUTE_RETENTION_DAYS = envint("ROLLUP_MINUTE_RETENTION_DAYS", 90)
ROLLUP_HOUR_RETENTION_DAYS = envint("ROLLUP_HOUR_RETENTION_DAYS", 0)
# Each roll-up run looks back this far again, so readings arriving a little late are counted.
ROLLUP_LATE_SECONDS = envint("ROLLUP_LATE_SECONDS", 120)
INGEST_MAX_PAYLOAD_BYTES = envint("INGEST_MAX_PAYLOAD_BYTES", 64 * 1024)
INGEST_MAX_POINTS_PER_MESSAGE = envint("INGEST_MAX_POINTS_PER_MESSAGE", 1000)
INGEST_HTTP_MAX_BODY_BYTES = envint("INGEST_HTTP_MAX_BODY_BYTES", 1024 * 1024)
INGEST_MAX_FUTURE_SECONDS = envint("INGEST_MAX_FUTURE_SECONDS", 300)
INGEST_MAX_PAST_DAYS = envint("INGEST_MAX_PAST_DAYS", 7)
# The MQTT consumer hands a batch to Celery when it has this many messages or after this many ms.
INGEST_BATCH_MESSAGES = envint("INGEST_BATCH_MESSAGES", 2000)
INGEST_FLUSH_MS = envint("INGEST_FLUSH_MS", 50)
INGEST_QUEUE = envstr("INGEST_QUEUE", "celery")
# Batches of alarm-bearing messages (sensors/urgency.py) and the offline check travel on their own queue, which a
# worker of its own consumes (docker-compose.yml "alarms"): an alarm never waits behind the telemetry backlog.
INGEST_ALARM_QUEUE = envstr("INGEST_ALARM_QUEUE", "alarms")
# A worker started without -Q consumes every queue, the alarm queue among them (nothing is left unconsumed);
# docker-compose.yml gives each queue a worker of its own (-Q). A device going silent is alarm work too.
# Each queue has its own exchange and routing key, as Celery gives a queue it creates on demand: a bare Queue(name)
# here would take the default exchange and key ("celery") and every task would be delivered to all three queues.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in dict.fromkeys([INGEST_ALARM_QUEUE, "celery", INGEST_QUEUE])
]
CELERY_TASK_ROUTES = {"sensors.check_offline": {"queue": INGEST_ALARM_QUEUE}}
# The fast lane (sensors/urgency.py): a message an alarm rule may fire on does not wait out the batch window.
INGEST_FAST_LANE = envbool("INGEST_FAST_LANE", True)
# A device sending more than this many times the messages its reporting interval implies (and more than the
# second figure per minute) is flagged as flooding in the rejection list (sensors/ingest.py); its readings are kept.
INGEST_FLOOD_FACTOR = envint("INGEST_FLOOD_FACTOR", 10)
INGEST_FLOOD_MIN_PER_MINUTE = envint("INGEST_FLOOD_MIN_PER_MINUTE", 60)
# A batch handed over this long ago, neither stored, queued nor held by a worker, is queued again (sensors/handover.py).
INGEST_REQUEUE_AFTER_SECONDS = envint("INGEST_REQUEUE_AFTER_SECONDS", 60)
INGEST_SWEEP_SECONDS = envint("INGEST_SWEEP_SECONDS", 30)
DEVICE_CACHE_SECONDS = envint("DEVICE_CACHE_SECONDS", 30)
DEVICE_COMMAND_TIMEOUT_SECONDS = envint("DEVICE_COMMAND_TIMEOUT_SECONDS", 30)
CELERY_BEAT_SCHEDULE.update(
    {
        "sensors-check-offline": {"task": "sensors.check_offline", "schedule": 15.0},
        "sensors-rollup": {"task": "sensors.rollup", "schedule": 60.0},
        "sensors-purge": {"task": "sensors.purge", "schedule": 3600.0},
        "sensors-expire-commands": {"task": "sensors.expire_commands", "schedule": 5.0},
        "sensors-sweep-handovers": {"task": "sensors.sweep_handovers", "schedule": float(INGEST_SWEEP_SECONDS)},
    }
)

# --- alerts -----------------------------------------------------------------
# Notification protocol clients (shijiao/notify/): one timeout for every outside HTTP call, in seconds.
NOTIFY_HTTP_TIMEOUT = envfloat("NOTIFY_HTTP_TIMEOUT", 5.0)
# Alibaba Cloud: one AccessKey for SMS and voice; endpoints overridable (tests, private gateways).
ALIYUN_ACCESS_KEY_ID = envstr("ALIYUN_ACCESS_KEY_ID", "")
ALIYUN_ACCESS_KEY_SECRET = envstr("ALIYUN_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_ENDPOINT = envstr("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ALIYUN_SMS_SIGN_NAME = envstr("ALIYUN_SMS_SIGN_NAME", "石桥街道")
ALIYUN_VOICE_ENDPOINT = envstr("ALIYUN_VOICE_ENDPOINT", "https://dyvmsapi.aliyuncs.com/")
ALIYUN_VOICE_SHOW_NUMBER = envstr("ALIYUN_VOICE_SHOW_NUMBER", "")
# Template codes registered in the Alibaba Cloud console for alarm SMS / voice (params: place, alarm, value).
ALERTS_SMS_TEMPLATE = envstr("ALERTS_SMS_TEMPLATE", "SMS_ALARM")
ALERTS_VOICE_TTS_CODE = envstr("ALERTS_VOICE_TTS_CODE", "TTS_ALARM")
# DingTalk: old (oapi) and new (api) endpoints, the app's keys, agent for work notices, robot for DING.
DINGTALK_API = envstr("DINGTALK_API", "https://oapi.dingtalk.com")
DINGTALK_NEW_API = envstr("DINGTALK_NEW_API", "https://api.dingtalk.com")
DINGTALK_APP_KEY = envstr("DINGTALK_APP_KEY", "")
DINGTALK_APP_SECRET = envstr("DINGTALK_APP_SECRET", "")
DINGTALK_AGENT_ID = envstr("DINGTALK_AGENT_ID", "")
DINGTALK_ROBOT_CODE = envstr("DINGTALK_ROBOT_CODE", "")
DINGTALK_DING_REMIND_TYPE = envint("DINGTALK_DING_REMIND_TYPE", 3)  # 1 in-app, 2 SMS, 3 phone call
# WeCom group robot (企业微信群机器人).
WECOM_ROBOT_URL = envstr("WECOM_ROBOT_URL", "https://qyapi.weixin.qq.com")
WECOM_ROBOT_KEY = envstr("WECOM_ROBOT_KEY", "")
# Outgoing webhooks for other systems: comma-separated URLs, one shared HMAC-SHA256 secret.
ALERTS_WEBHOOK_URLS = envlist("ALERTS_WEBHOOK_URLS", [])
ALERTS_WEBHOOK_SECRET = envstr("ALERTS_WEBHOOK_SECRET", "")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "e智办 <noreply@localhost>")
# Retries of a failed notification: attempts in all, first back-off (doubles each time), in seconds.
ALERTS_NOTIFY_MAX_ATTEMPTS = envint("ALERTS_NOTIFY_MAX_ATTEMPTS", 4)
ALERTS_NOTIFY_BACKOFF_SECONDS = envint("ALERTS_NOTIFY_BACKOFF_SECONDS", 10)
# One-click command: the video conference link ({command} = command id, {token} = random room token).
ALERTS_VIDEO_URL_TEMPLATE = envstr(
    "ALERTS_VIDEO_URL_TEMPLATE", "https://meeting.example.invalid/j/ezb-{command}-{token}"
)
CELERY_BEAT_SCHEDULE["alerts-escalate"] = {"task": "alerts.sweep", "schedule": envfloat("ALERTS_SWEEP_SECONDS", 5.0)}

# --- services ---------------------------------------------------------------
# API sessions (accounts.tokens): access token lifetime, refresh token lifetime, in seconds.
API_ACCESS_TOKEN_TTL = envint("API_ACCESS_TOKEN_TTL", 2 * 3600)
API_REFRESH_TOKEN_TTL = envint("API_REFRESH_TOKEN_TTL", 30 * 24 * 3600)
# WeChat mini-program login (jscode2session); the base URL is a setting so tests can point it elsewhere.
WECHAT_APP_ID = envstr("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = envstr("WECHAT_APP_SECRET", "")
WECHAT_API_BASE = envstr("WECHAT_API_BASE", "https://api.weixin.qq.com")
WECHAT_TIMEOUT = envfloat("WECHAT_TIMEOUT", 5.0)
# Subscription messages (subscribeMessage.send): the template the resident subscribes to for progress notices
# (fields thing1 = what happened, thing2 = next step, time3 = when), and which version of the mini-program opens.
WECHAT_NOTICE_TEMPLATE_ID = envstr("WECHAT_NOTICE_TEMPLATE_ID", "")
WECHAT_MINIPROGRAM_STATE = envstr("WECHAT_MINIPROGRAM_STATE", "formal")
# The SMS template for the same notices when WeChat cannot deliver (params: what, next).
NOTICE_SMS_TEMPLATE = envstr("NOTICE_SMS_TEMPLATE", "SMS_NOTICE")
# SMS login codes (accounts.otp).
OTP_TTL_SECONDS = envint("OTP_TTL_SECONDS", 300)
OTP_MAX_ATTEMPTS = envint("OTP_MAX_ATTEMPTS", 5)
OTP_MAX_FAILURES_PER_PHONE_PER_DAY = envint("OTP_MAX_FAILURES_PER_PHONE_PER_DAY", 10)
OTP_RESEND_SECONDS = envint("OTP_RESEND_SECONDS", 60)
OTP_MAX_PER_PHONE_PER_DAY = envint("OTP_MAX_PER_PHONE_PER_DAY", 10)
OTP_MAX_PER_IP_PER_HOUR = envint("OTP_MAX_PER_IP_PER_HOUR", 30)
OTP_SMS_TEMPLATE_CODE = envstr("OTP_SMS_TEMPLATE_CODE", "SMS_LOGIN_CODE")
OTP_SENDER = envstr(
    "OTP_SENDER",
    "accounts.otp.send_by_aliyun_sms" if envstr("ALIYUN_ACCESS_KEY_ID") else "accounts.otp.send_to_log",
)
# Public lists (jobs, rentals, clinics, guides, notices) are cached this long, and dropped on any change.
SERVICES_LIST_CACHE_SECONDS = envint("SERVICES_LIST_CACHE_SECONDS", 300)
# Overdue consultations and feedback are escalated to the street by this periodic job.
CELERY_BEAT_SCHEDULE["services-escalate-overdue-feedback"] = {
    "task": "services.escalate_overdue_feedback",
    "schedule": envfloat("FEEDBACK_ESCALATION_INTERVAL", 300.0),
}

# --- cockpit ----------------------------------------------------------------
# Seconds between two full refreshes of the cockpit's precomputed figures (events refresh single blocks sooner).
COCKPIT_REFRESH_SECONDS = envfloat("COCKPIT_REFRESH_SECONDS", 60.0)
# Share of a block's devices offline above which the plan shows the block as "设备离线".
COCKPIT_OFFLINE_SHARE = envfloat("COCKPIT_OFFLINE_SHARE", 0.1)
# Days of daily figures kept for trends and weekly reports.
COCKPIT_TREND_DAYS = envint("COCKPIT_TREND_DAYS", 30)
# The big screen's base map (cockpit/basemap.py): any XYZ tile template, or the 天地图 key; neither = own plan.
COCKPIT_TILE_URL = envstr("COCKPIT_TILE_URL", "")
COCKPIT_TILE_SUBDOMAINS = envstr("COCKPIT_TILE_SUBDOMAINS", "")
COCKPIT_TILE_ATTRIBUTION = envstr("COCKPIT_TILE_ATTRIBUTION", "")
COCKPIT_TILE_MAX_ZOOM = envint("COCKPIT_TILE_MAX_ZOOM", 18)
COCKPIT_TILE_DARKEN = envbool("COCKPIT_TILE_DARKEN", True)
TIANDITU_KEY = envstr("TIANDITU_KEY", "")


def _tile_origins() -> list[str]:
    from urllib.parse import urlsplit

    if COCKPIT_TILE_URL:
        template, subdomains = COCKPIT_TILE_URL, COCKPIT_TILE_SUBDOMAINS
    elif TIANDITU_KEY:
        template, subdomains = "https://t{s}.tianditu.gov.cn/", "01234567"
    else:
        return []
    urls = [template.replace("{s}", s) for s in subdomains] if "{s}" in template else [template]
    return sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, urls) if p.scheme in ("http", "https")})


# Map tiles are images from the tile service's origins.
CSP_IMG_SRC = envlist("CSP_IMG_SRC", []) + _tile_origins()
CELERY_BEAT_SCHEDULE["cockpit-refresh-figures"] = {
    "task": "cockpit.refresh_figures",
    "schedule": COCKPIT_REFRESH_SECONDS,
}

# --- inspections ------------------------------------------------------------
# Days a responsible party has to rectify a hazard, by severity (一般 / 较大 / 重大).
HAZARD_DEADLINE_DAYS = {
    "low": envint("HAZARD_DEADLINE_DAYS_LOW", 7),
    "medium": envint("HAZARD_DEADLINE_DAYS_MEDIUM", 3),
    "high": envint("HAZARD_DEADLINE_DAYS_HIGH", 1),
}
# How often each block must be inspected when no InspectionPlan row says otherwise (days).
INSPECTION_DEFAULT_FREQUENCY_DAYS = {
    "patrol": envint("INSPECTION_PATROL_EVERY_DAYS", 1),
    "fire": envint("INSPECTION_FIRE_EVERY_DAYS", 30),
}
CELERY_BEAT_SCHEDULE["inspections-escalate-overdue-hazards"] = {
    "task": "apartments.escalate_overdue_hazards",
    "schedule": envfloat("HAZARD_ESCALATION_CHECK_SECONDS", 900.0),
}
