"""Exit 0 when a PostgreSQL server answers at the given URL (used by `make test`)."""

from __future__ import annotations

import sys

import psycopg


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else ""
    if not url.startswith(("postgres://", "postgresql://")):
        return 1
    admin_url = url.rsplit("/", 1)[0] + "/postgres"  # the test database is created by the tests
    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return 0
    except psycopg.Error:
        return 1


if __name__ == "__main__":
    sys.exit(main())
