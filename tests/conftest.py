"""The shared fixtures live in tests/support/fixtures.py; a folder's own stay in its conftest.py."""

pytest_plugins = ["tests.support.fixtures"]
