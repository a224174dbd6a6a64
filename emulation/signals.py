"""Stored grades follow the outreach records they read.

A commune association's quarterly grade counts the commune loudspeaker broadcasts of the
quarter (DESIGN §5, condition c). Recording, editing or moving a broadcast grades again,
in the same transaction, the ended quarters it was and is dated in, for its commune only:
the stored grades stay derived facts, like the stored figures they sit with.
"""

from django.db.models.signals import post_delete, post_save, pre_save

from groups.models import NewsItem
from reporting.cache import bump_records
from reporting.periods import Period
from reporting.store import ended_periods

from .grading import grade_quarter
from .models import GradingRules


def _quarters(item: NewsItem | None) -> set[tuple[str, int]]:
    """(quarter label, commune id) a news item counts in, if it is a broadcast."""
    if item is None or item.channel != NewsItem.Channel.COMMUNE_LOUDSPEAKER or item.commune_id is None:
        return set()
    day = item.published_on
    return {(f"{day.year:04d}Q{(day.month - 1) // 3 + 1}", item.commune_id)}


def _before(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    instance._counted_before = _quarters(NewsItem.objects.filter(pk=instance.pk).first())


def _after(sender, instance, raw=False, **kwargs):
    if raw:
        return
    touched = _quarters(instance) | getattr(instance, "_counted_before", set())
    if not touched:
        return
    graded = {p.label for p in ended_periods() if p.kind == "quarter"}
    communes: dict[str, set] = {}
    for label, commune_id in touched:
        if label in graded:
            communes.setdefault(label, set()).add(commune_id)
    for label, ids in sorted(communes.items()):
        grade_quarter(Period.parse(label), ids)


def connect():
    pre_save.connect(_before, sender=NewsItem, dispatch_uid="emulation.news_before")
    post_save.connect(_after, sender=NewsItem, dispatch_uid="emulation.news_after")
    # the grades a new rule set decides are kept between requests (reporting/cache.py)
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(bump_records, sender=GradingRules, dispatch_uid=f"emulation.kept.{name}")
