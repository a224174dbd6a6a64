"""The test suite: fast hashing, the database named by DATABASE_URL (SQLite by default)."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
