"""Readings partitioned by day on PostgreSQL (see sensors/partitions.py); SQLite keeps the plain table."""

from django.db import migrations

FORWARD = """
ALTER TABLE sensors_reading RENAME TO sensors_reading_plain;
ALTER INDEX sensors_reading_pkey RENAME TO sensors_reading_plain_pkey;
ALTER INDEX IF EXISTS sensors_reading_ts_brin RENAME TO sensors_reading_plain_ts_brin;
ALTER INDEX IF EXISTS sensors_reading_device_id_4aad57fc RENAME TO sensors_reading_plain_device_id;
CREATE TABLE sensors_reading (
    device_id bigint NOT NULL,
    metric varchar(32) NOT NULL,
    ts timestamp with time zone NOT NULL,
    value double precision NOT NULL,
    CONSTRAINT sensors_reading_pkey PRIMARY KEY (device_id, metric, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX sensors_reading_device_id_4aad57fc ON sensors_reading (device_id);
CREATE INDEX sensors_reading_ts_brin ON sensors_reading USING brin (ts);
CREATE TABLE sensors_reading_default PARTITION OF sensors_reading DEFAULT;
INSERT INTO sensors_reading (device_id, metric, ts, value) SELECT device_id, metric, ts, value FROM sensors_reading_plain;
DROP TABLE sensors_reading_plain;
"""

BACKWARD = """
CREATE TABLE sensors_reading_plain (
    device_id bigint NOT NULL,
    metric varchar(32) NOT NULL,
    ts timestamp with time zone NOT NULL,
    value double precision NOT NULL
);
INSERT INTO sensors_reading_plain SELECT device_id, metric, ts, value FROM sensors_reading;
DROP TABLE sensors_reading;
ALTER TABLE sensors_reading_plain RENAME TO sensors_reading;
ALTER TABLE sensors_reading ADD CONSTRAINT sensors_reading_pkey PRIMARY KEY (device_id, metric, ts);
CREATE INDEX sensors_reading_device_id_4aad57fc ON sensors_reading (device_id);
CREATE INDEX sensors_reading_ts_brin ON sensors_reading USING brin (ts);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FORWARD)
    from sensors.partitions import partitions_ensure

    partitions_ensure()


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("sensors", "0003_readings_commands")]
    operations = [migrations.RunPython(forward, backward)]
