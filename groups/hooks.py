"""What the organization's writes ask of the book kept above them.

`groups` sits below `lending`: it cannot read loans nor rebuild their bills, yet ending a
membership depends on the member's entrusted loans, and a move or a commune's new
transaction day changes the days a borrower is billed on. `lending` registers both
answers at start-up (as it registers its closed quarters with
`vbsp_district.core.closing`); `groups` only asks. Unregistered, there is no loan.
"""

from contextlib import nullcontext
from datetime import date

_entrusted_debts = None
_rebilling = None


def register(*, entrusted_debts, rebilling):
    """`entrusted_debts(member_id, after)` → [(loan_no, outstanding)]: the member's
    entrusted loans with outstanding at the end of `after`, or disbursed after it.
    `rebilling(member_ids, commune_id, day, field)`: a context manager around a write
    after which the members (and, with `commune_id`, every member billed on that
    commune's day) may be billed on other days from `day` on; the book brings their
    interest bills up to date at its end, or refuses the write on `field`."""
    global _entrusted_debts, _rebilling
    _entrusted_debts, _rebilling = entrusted_debts, rebilling


def entrusted_debts(member_id: int, after: date) -> list[tuple[str, int]]:
    return _entrusted_debts(member_id, after) if _entrusted_debts is not None else []


def rebilling(*, member_ids=(), commune_id: int | None = None, day: date, field: str):
    if _rebilling is None:
        return nullcontext()
    return _rebilling(list(member_ids), commune_id, day, field)
