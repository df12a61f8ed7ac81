"""Fixtures: `mysql_url`, a fresh database on the test MariaDB (see tests/resources/mariadb.py)."""

from tests.resources.mariadb import mysql_url as mysql_url
