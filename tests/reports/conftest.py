"""The reports' tests read the emulation book (tests/emulation/conftest.py)."""

from tests.emulation.conftest import card_book  # noqa: F401
