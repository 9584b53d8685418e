"""Exit 0 when the PostgreSQL server at the given SQLAlchemy URL answers within two seconds."""

import sys

import psycopg


def main(url: str) -> int:
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(dsn, connect_timeout=2) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
