#!/bin/sh
# The image's entry point: the first argument names the part this container plays.
#
#   migrate         one-shot, before everything else: platform schema, then Airflow's
#   api             the platform API and portal (run two or more behind the proxy)
#   api-server | scheduler | dag-processor | triggerer | worker
#                   the Airflow 3 components (the worker is a Celery worker)
#   anything else   run as a command, e.g. `exchange backup /backups/nightly`
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
# The DAG files ship beside this script's folder, in the image as in a checkout.
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$(dirname -- "$here")/dags}"

role="${1:-api}"
[ "$#" -gt 0 ] && shift

case "$role" in
    migrate)
        exchange check-config
        exchange db upgrade
        exec airflow db migrate ;;
    api)
        exec exchange serve --host "${EXCHANGE_API_HOST:-0.0.0.0}" "$@" ;;
    api-server|scheduler|dag-processor|triggerer)
        exec airflow "$role" "$@" ;;
    worker)
        exec airflow celery worker "$@" ;;
    *)
        exec "$role" "$@" ;;
esac
