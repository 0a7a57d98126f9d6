#!/usr/bin/env bash
# The whole suite in three lanes (`make test`), about 6 minutes where one pytest took 9 on 2 cores:
#   1. the unit tests (no Redis, broker or browser) on their own test database, Redis db and VAR_DIR,
#   2. at the same time, the integration and browser tests (they mostly wait: on servers, browsers, deadlines),
#   3. then the fault tests alone: they restart PostgreSQL, Redis and Mosquitto under everybody's feet.
# Each lane prints its own summary; the run fails when any lane fails. PYTEST_ARGS given: one plain pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if [ "$#" -gt 0 ]; then
  exec "$PY" -m pytest "$@"
fi

mkdir -p var
unit_log=var/test-unit-lane.log
started=$(date +%s)
TEST_DATABASE_NAME=test_shijiao_unit_lane VAR_DIR="$PWD/var/test-unit" TEST_REDIS_URL=redis://127.0.0.1:6379/12 \
  "$PY" -m pytest -p no:cacheprovider -m "not integration and not browser" >"$unit_log" 2>&1 &
unit_pid=$!
trap 'kill $unit_pid 2>/dev/null' EXIT

echo "== lane 2: integration and browser tests (lane 1, the unit tests, runs beside it into $unit_log)"
"$PY" -m pytest -p no:cacheprovider -m "integration or browser" --ignore=tests/faults
integration=$?
wait $unit_pid
unit=$?
trap - EXIT
echo "== lane 1: unit tests"
cat "$unit_log"

echo "== lane 3: fault tests (alone)"
"$PY" -m pytest -p no:cacheprovider tests/faults
faults=$?

verdict() { [ "$1" = 0 ] && echo passed || echo FAILED; }
echo "== lanes: unit $(verdict $unit), integration and browser $(verdict $integration)," \
  "faults $(verdict $faults) in $(($(date +%s) - started)) s"
[ $unit = 0 ] && [ $integration = 0 ] && [ $faults = 0 ]
