#!/bin/sh
# Run once by the postgres image on an empty data volume: one role and database for the
# platform (its tables and the Iceberg catalog) and one for Airflow's metadata.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v exchange_password="$EXCHANGE_DB_PASSWORD" -v airflow_password="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE exchange LOGIN PASSWORD :'exchange_password';
CREATE DATABASE exchange OWNER exchange;
CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow;
SQL
