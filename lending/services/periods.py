"""Period close: a manager closes a quarter; its figures never change until it is reopened."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from vbsp_district.core.audit import audit_record
from vbsp_district.core.errors import refuse
from vbsp_district.core.months import add_months
from vbsp_district.core.roles import require_manager
from vbsp_district.core.signals import quarter_closed

from ..models import ClosedPeriod


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    if quarter not in (1, 2, 3, 4):
        refuse("quarter", "Quý phải từ 1 đến 4.")
    start = date(year, 3 * quarter - 2, 1)
    return start, date.fromordinal(add_months(start, 3).toordinal() - 1)


@transaction.atomic
def period_close(*, year: int, quarter: int, acting_user) -> ClosedPeriod:
    """Close a quarter once it has ended."""
    require_manager(acting_user)
    start, end = quarter_bounds(year, quarter)
    if end >= timezone.localdate():
        refuse("quarter", f"Quý {quarter}/{year} chưa kết thúc, chưa thể khóa sổ.")
    if ClosedPeriod.objects.filter(start=start, reopened_at__isnull=True).exists():
        refuse("quarter", f"Quý {quarter}/{year} đã khóa sổ.")
    try:
        with transaction.atomic():
            period = ClosedPeriod.objects.create(start=start, end=end, closed_by=acting_user)
    except IntegrityError:
        # Another manager closed the quarter since the check.
        refuse("quarter", f"Quý {quarter}/{year} đã khóa sổ.")
    audit_record(
        user=acting_user,
        action="period.close",
        obj=period,
        key=f"{year}Q{quarter}",
        data={"start": start, "end": end},
    )
    quarter_closed.send(sender=ClosedPeriod, period=period, acting_user=acting_user)
    return period


@transaction.atomic
def period_reopen(*, period: ClosedPeriod, reason: str, acting_user) -> ClosedPeriod:
    """Reopen a closed quarter, with a reason kept in the audit trail."""
    require_manager(acting_user)
    period = ClosedPeriod.objects.select_for_update().get(pk=period.pk)
    if period.reopened_at is not None:
        refuse("period", "Kỳ này đã được mở lại.")
    if not reason or not reason.strip():
        refuse("reason", "Phải nêu lý do mở lại kỳ đã khóa sổ.")
    period.reopened_at = timezone.now()
    period.reopened_by = acting_user
    period.save(update_fields=["reopened_at", "reopened_by"])
    audit_record(
        user=acting_user,
        action="period.reopen",
        obj=period,
        key=f"{period.start.year}Q{(period.start.month + 2) // 3}",
        data={"reason": reason.strip()},
    )
    return period
