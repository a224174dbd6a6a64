"""The emulation desk's writes (DESIGN §5): a manager edits a year's targets and copies
them into the next year, and records new grading rules from a day on. Each write checks
the manager, validates, writes, keeps its history and records its audit event in one
transaction; recording rules regrades, in that transaction, the ended months and quarters
they now govern.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from reporting.periods import Period
from reporting.store import ended_periods
from vbsp_district.core.audit import audit_record
from vbsp_district.core.closing import check_open, first_closed_from
from vbsp_district.core.errors import refuse
from vbsp_district.core.money import vn_date, vnd
from vbsp_district.core.roles import require_manager

from . import grading
from .models import CommuneAssociationGrade, EmulationTarget, EmulationTargetRevision, GradingRules, GroupGrade
from .scorecard import ASSOCIATION, DISTRICT, LEVEL_NAMES
from .scorecard import LEVELS as SCORECARD_LEVELS

# -- targets -------------------------------------------------------------------------------

# The units a target is evaluated for, named as the scorecard names them.
LEVELS = {level: LEVEL_NAMES[level] for level in SCORECARD_LEVELS}
# T9 counts an association's news items: a commune association is not evaluated on it.
TARGET_LEVELS = {"T9": (DISTRICT, ASSOCIATION)}
# T9's threshold is a number of news items and T10's of loudspeaker broadcasts (what a
# commune association must reach; emulation/scorecard.py); every other target's is a
# ratio (1 = 100 %).
COUNT_TARGETS = {"T9", "T10"}
# T8 also asks for a share of the interest arrears to be recovered.
RECOVERY_TARGETS = {"T8"}

TARGET_FIELDS = ("title", "threshold", "recovery_threshold", "levels")
FIXED_FIELDS = ("year", "code", "every", "position")
TITLE_MAX = 200
REASON_MAX = 1000
DECIMAL_PLACES = 6  # those of the thresholds' columns
RATIO_RANGE = "phải là tỷ lệ từ 0 đến 1 (từ 0 % đến 100 %)"


def target_levels(code: str) -> tuple[str, ...]:
    """The unit levels a target of `code` can apply to."""
    return TARGET_LEVELS.get(code, tuple(LEVELS))


def threshold_is_count(code: str) -> bool:
    return code in COUNT_TARGETS


def decimal_text(value) -> str | None:
    """Decimal('0.950000') → '0.95', Decimal('2') → '2': how thresholds and bounds are kept."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def _decimal(value) -> Decimal | None:
    """A finite Decimal of what was given (Decimal, int or text), or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _places(number: Decimal) -> int:
    return max(0, -number.normalize().as_tuple().exponent)


def _ratio_problem(value) -> str | None:
    """What is wrong with a ratio (a fraction of 1, at most 6 decimals), or None."""
    number = _decimal(value)
    if number is None or not 0 <= number <= 1:
        return RATIO_RANGE
    if _places(number) > DECIMAL_PLACES:
        return f"chỉ được có tối đa {DECIMAL_PLACES} chữ số thập phân"
    return None


def _target_values(target: EmulationTarget) -> dict:
    """The editable values of a target as its history keeps them."""
    return {
        "title": target.title,
        "threshold": decimal_text(target.threshold),
        "recovery_threshold": decimal_text(target.recovery_threshold),
        "levels": list(target.levels),
    }


def _checked_target(code: str, title, threshold, recovery_threshold, levels) -> dict:
    """The new values of a target of `code`, checked and in their kept form; every problem
    at once, each on its field."""
    errors: dict[str, list[str]] = {}
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        errors["title"] = ["Tên chỉ tiêu không được để trống."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"Tên chỉ tiêu dài quá {TITLE_MAX} ký tự."]

    if threshold_is_count(code):
        number = _decimal(threshold)
        if number is None or number < 0 or number != number.to_integral_value() or number >= 10**6:
            errors["threshold"] = [f"Ngưỡng của chỉ tiêu {code} phải là số nguyên không âm (số tin, bài)."]
    elif problem := _ratio_problem(threshold):
        errors["threshold"] = [f"Ngưỡng của chỉ tiêu {code} {problem}."]

    if code in RECOVERY_TARGETS:
        # none: the interest rate alone decides (the scorecard's rule for T8)
        if recovery_threshold is not None and (problem := _ratio_problem(recovery_threshold)):
            errors["recovery_threshold"] = [f"Ngưỡng thu lãi tồn đọng của chỉ tiêu {code} {problem}."]
    elif recovery_threshold is not None:
        errors["recovery_threshold"] = [f"Chỉ tiêu {code} không có ngưỡng thu lãi tồn đọng (chỉ T8 có)."]

    allowed = target_levels(code)
    chosen = list(levels) if isinstance(levels, list | tuple) else None
    if chosen is None or any(level not in allowed for level in chosen):
        names = ", ".join(LEVELS[level] for level in allowed)
        errors["levels"] = [f"Cấp áp dụng của chỉ tiêu {code} chỉ gồm: {names}."]
    elif not chosen:
        errors["levels"] = [f"Phải chọn ít nhất một cấp áp dụng cho chỉ tiêu {code}."]

    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "threshold": decimal_text(_decimal(threshold)),
        "recovery_threshold": decimal_text(_decimal(recovery_threshold)) if code in RECOVERY_TARGETS else None,
        "levels": [level for level in allowed if level in chosen],
    }


def target_update(*, target: EmulationTarget, acting_user, reason: str = "", **changes) -> EmulationTarget:
    """Change what a manager may change of a target: its title, threshold, T8's recovery
    threshold and the unit levels it applies to (`changes`, by field name). The code and
    the period are the code's rule and are refused. The values replaced and those set are
    kept in a revision, with who, when and the optional reason, and in the audit trail."""
    require_manager(acting_user)
    for name in FIXED_FIELDS:
        if name in changes:
            refuse(name, "Mã, năm và kỳ đánh giá của chỉ tiêu do quy tắc của chỉ tiêu quy định, không sửa được.")
    if unknown := sorted(set(changes) - set(TARGET_FIELDS)):
        raise TypeError(f"target_update() got unexpected fields: {', '.join(unknown)}")
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > REASON_MAX:
        refuse("reason", f"Lý do dài quá {REASON_MAX} ký tự.")
    with transaction.atomic():
        target = EmulationTarget.objects.select_for_update().get(pk=target.pk)
        before = _target_values(target)
        current = {
            "title": target.title,
            "threshold": target.threshold,
            "recovery_threshold": target.recovery_threshold,
            "levels": target.levels,
        }
        after = _checked_target(target.code, **{**current, **changes})
        changed = [name for name in TARGET_FIELDS if after[name] != before[name]]
        if not changed:
            refuse(NON_FIELD_ERRORS, "Không có thay đổi nào so với giá trị hiện tại của chỉ tiêu.")
        target.title = after["title"]
        target.threshold = Decimal(after["threshold"])
        target.recovery_threshold = _decimal(after["recovery_threshold"])
        target.levels = after["levels"]
        target.save(update_fields=TARGET_FIELDS)
        revision = EmulationTargetRevision.objects.create(
            target=target,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            changed_by=acting_user,
            reason=reason,
        )
        audit_record(
            user=acting_user,
            action="emulation_target.update",
            obj=target,
            data={
                "year": target.year,
                "code": target.code,
                "before": revision.before,
                "after": revision.after,
                "reason": reason,
            },
        )
    return target


def targets_copy_year(*, year: int, acting_user) -> list[EmulationTarget]:
    """Copy a year's targets (titles, thresholds, levels, order) into the next year, which
    must have none yet; one audit event. Returns the next year's targets."""
    require_manager(acting_user)
    following = year + 1
    taken = f"Năm {following} đã có chỉ tiêu thi đua; không sao chép đè lên."
    with transaction.atomic():
        source = list(EmulationTarget.objects.filter(year=year).order_by("position", "code"))
        if not source:
            refuse("year", f"Năm {year} chưa có chỉ tiêu thi đua để sao chép.")
        if EmulationTarget.objects.filter(year=following).exists():
            refuse("year", taken)
        try:
            with transaction.atomic():
                copies = EmulationTarget.objects.bulk_create(
                    EmulationTarget(
                        year=following,
                        code=target.code,
                        title=target.title,
                        every=target.every,
                        threshold=target.threshold,
                        recovery_threshold=target.recovery_threshold,
                        levels=list(target.levels),
                        position=target.position,
                    )
                    for target in source
                )
        except IntegrityError:
            # another manager copied the year since the check
            refuse("year", taken)
        audit_record(
            user=acting_user,
            action="emulation_target.copy_year",
            object_type=EmulationTarget._meta.label,
            key=str(following),
            data={"from_year": year, "to_year": following, "codes": [t.code for t in copies]},
        )
    return copies


# -- grading rules -------------------------------------------------------------------------

# The criteria grading.group_months gives a value of: a ratio, or an amount (savings growth
# in đồng, compared with a bound in đồng).
RATIO_CRITERIA = ("transaction_day", "overdue", "principal_collection", "interest_collection", "members_saving")
AMOUNT_CRITERIA = ("savings_growth",)
# The bands' names are what the targets read (T5, T6: Tốt or Khá, none Yếu): fixed.
BANDS = ("Tốt", "Khá", "Trung bình")
LOWEST = "Yếu"
COMMUNE_ASSOCIATION_GRADES = ["Yếu", "Trung bình", "Khá", "Tốt"]  # by how many conditions are met
POINTS_MAX = 1000
AMOUNT_MAX = 10**15
STRUCTURE = "Bộ quy tắc xếp loại không đúng cấu trúc; hãy mở lại biểu mẫu và nhập lại."


def step_field(code: str, index: int, part: str) -> str:
    """The name a step's bound or points goes by in errors (and the rules form)."""
    return f"{code}-{index}-{part}"


def _points(value, field: str, label: str, errors: dict) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= POINTS_MAX:
        errors[field] = [f"{label} phải là số nguyên không âm (tối đa {vnd(POINTS_MAX)})."]
        return 0
    return value


def _bound(code: str, title: str, index: int, value, errors: dict) -> str:
    field = step_field(code, index, "bound")
    if code in AMOUNT_CRITERIA:
        number = _decimal(value)
        if number is None or number != number.to_integral_value() or abs(number) >= AMOUNT_MAX:
            errors[field] = [f"Ngưỡng mức {index + 1} của tiêu chí “{title}” phải là số tiền nguyên (đồng)."]
            return "0"
        return str(int(number))
    if problem := _ratio_problem(value):
        errors[field] = [f"Ngưỡng mức {index + 1} của tiêu chí “{title}” {problem}."]
        return "0"
    return decimal_text(_decimal(value))


def _check_order(code: str, title: str, steps: list, errors: dict):
    """Steps are tried in turn, so a step no stricter than an earlier one of the same
    direction could never be reached: ≥/> bounds fall, </≤ bounds rise."""
    last: dict[str, tuple[int, Decimal]] = {}
    for index, (op, bound, _points) in enumerate(steps):
        field = step_field(code, index, "bound")
        direction = {"ge": "down", "gt": "down", "lt": "up", "le": "up"}.get(op)
        if direction is None or field in errors:
            continue
        number = Decimal(bound)
        if direction in last:
            earlier, previous = last[direction]
            if (direction == "down" and number >= previous) or (direction == "up" and number <= previous):
                word = "thấp" if direction == "down" else "cao"
                errors[field] = [
                    f"Ngưỡng mức {index + 1} của tiêu chí “{title}” phải {word} hơn ngưỡng mức {earlier + 1}"
                    " (các mức được xét lần lượt từ trên xuống)."
                ]
                continue
        last[direction] = (index, number)


def _checked_group_rules(rules) -> dict:
    if not isinstance(rules, dict) or not isinstance(rules.get("criteria"), list):
        refuse("rules", STRUCTURE)
    if not isinstance(rules.get("bands"), list) or len(rules["bands"]) != len(BANDS):
        refuse("rules", STRUCTURE)
    errors: dict[str, list[str]] = {}
    criteria, seen = [], set()
    for criterion in rules["criteria"]:
        code = criterion.get("code") if isinstance(criterion, dict) else None
        if code not in RATIO_CRITERIA + AMOUNT_CRITERIA or code in seen:
            refuse("rules", STRUCTURE)
        steps = criterion.get("steps")
        if not isinstance(steps, list) or not steps:
            refuse("rules", STRUCTURE)
        seen.add(code)
        title = str(criterion.get("title") or code)
        checked = []
        for index, step in enumerate(steps):
            if not isinstance(step, list | tuple) or len(step) != 3 or step[0] not in grading.OPERATORS:
                refuse("rules", STRUCTURE)
            op, bound, points = step
            checked.append(
                [
                    op,
                    _bound(code, title, index, bound, errors),
                    _points(
                        points,
                        step_field(code, index, "points"),
                        f"Điểm mức {index + 1} của tiêu chí “{title}”",
                        errors,
                    ),
                ]
            )
        _check_order(code, title, checked, errors)
        otherwise = _points(
            criterion.get("otherwise"),
            f"{code}-otherwise",
            f"Điểm khi không đạt mức nào của tiêu chí “{title}”",
            errors,
        )
        none = _points(
            criterion.get("none"), f"{code}-none", f"Điểm khi không có số liệu của tiêu chí “{title}”", errors
        )
        criteria.append(
            {
                "code": code,
                "title": title,
                "points": max([points for _op, _bound, points in checked] + [otherwise, none]),
                "steps": checked,
                "otherwise": otherwise,
                "none": none,
            }
        )
    if not criteria:
        refuse("rules", STRUCTURE)
    most = sum(c["points"] for c in criteria)
    bands, previous = [], None
    for index, (name, band) in enumerate(zip(BANDS, rules["bands"], strict=True)):
        field = f"band-{index}"
        if not isinstance(band, list | tuple) or len(band) != 2 or band[0] != name:
            refuse("rules", STRUCTURE)
        least = _points(band[1], field, f"Điểm tối thiểu của loại {name}", errors)
        if field not in errors:
            if previous is not None and least >= previous[1]:
                errors[field] = [
                    f"Điểm tối thiểu của loại {name} phải thấp hơn của loại {previous[0]} ({previous[1]} điểm)."
                ]
            elif least > most:
                errors[field] = [f"Điểm tối thiểu của loại {name} vượt tổng điểm tối đa ({most} điểm)."]
            previous = (name, least)
        bands.append([name, least])
    if errors:
        raise ValidationError(errors)
    return {"criteria": criteria, "bands": bands, "lowest": LOWEST}


def _checked_commune_association_rules(rules) -> dict:
    if not isinstance(rules, dict):
        refuse("rules", STRUCTURE)
    errors: dict[str, list[str]] = {}
    if problem := _ratio_problem(rules.get("good_groups_share")):
        errors["good_groups_share"] = [f"Tỷ lệ tổ xếp loại tốt, khá {problem}."]
    if problem := _ratio_problem(rules.get("overdue_below")):
        errors["overdue_below"] = [f"Ngưỡng tỷ lệ nợ quá hạn {problem}."]
    broadcasts = _points(
        rules.get("broadcasts_at_least"), "broadcasts_at_least", "Số tin tối thiểu trên loa truyền thanh xã", errors
    )
    if errors:
        raise ValidationError(errors)
    return {
        "good_groups_share": decimal_text(_decimal(rules["good_groups_share"])),
        "overdue_below": decimal_text(_decimal(rules["overdue_below"])),
        "broadcasts_at_least": broadcasts,
        "grades": list(COMMUNE_ASSOCIATION_GRADES),
    }


def grading_rules_checked(kind: str, rules) -> dict:
    """The rules of `kind` checked and in their kept form (bounds as exact decimal text,
    each criterion's most points recomputed); a ValidationError names every field wrong."""
    if kind == GradingRules.Kind.GROUP:
        return _checked_group_rules(rules)
    if kind == GradingRules.Kind.COMMUNE_ASSOCIATION:
        return _checked_commune_association_rules(rules)
    refuse("kind", "Loại quy tắc xếp loại không hợp lệ.")


def periods_governed(kind: str, effective_on: date, until: date | None = None) -> list[Period]:
    """The ended months (group rules only) then quarters whose grades rules of `kind` in
    force from `effective_on` (until the day before `until`, when later rules take over)
    decide: every one ending in that span. Quarters come after the months, as a commune
    association's first condition reads its groups' grades of the quarter's last month."""
    periods = [p for p in ended_periods() if p.end >= effective_on and (until is None or p.end < until)]
    months = [p for p in periods if p.kind == "month"] if kind == GradingRules.Kind.GROUP else []
    return months + [p for p in periods if p.kind == "quarter"]


def _unit(kind: str) -> str:
    return "tháng" if kind == GradingRules.Kind.GROUP else "quý"


def grades_made_with(rules: GradingRules) -> int:
    """How many months (group rules) or quarters (commune association rules) have stored
    grades made with `rules`."""
    if rules.kind == GradingRules.Kind.GROUP:
        return GroupGrade.objects.filter(rules=rules).values("month").distinct().count()
    return CommuneAssociationGrade.objects.filter(rules=rules).values("quarter").distinct().count()


def periods_graded_by_rules() -> dict[int, int]:
    """{rules id: how many months or quarters its stored grades cover}, in two queries."""
    counts = dict(
        GroupGrade.objects.values("rules_id")
        .annotate(n=Count("month", distinct=True))
        .values_list("rules_id", "n")
        .order_by()
    )
    for rules_id, n in (
        CommuneAssociationGrade.objects.values("rules_id")
        .annotate(n=Count("quarter", distinct=True))
        .values_list("rules_id", "n")
        .order_by()
    ):
        counts[rules_id] = counts.get(rules_id, 0) + n
    return counts


def grading_rules_record(*, kind: str, effective_on: date, rules: dict, acting_user) -> GradingRules:
    """Record the rules of `kind` in force from `effective_on`, and regrade in the same
    transaction every ended month and quarter they now decide (`periods_governed`): the
    periods that ended before keep their grades and the rules those were made with. Like
    a write dated `effective_on`, it is refused while a quarter it would regrade is closed.

    A change is a new row. Rules already recorded for the same day are replaced only while
    no stored grade was made with them; rules identical to those in force that day are
    refused, as there is nothing to record. The row returned carries `regraded`: the
    periods graded again."""
    require_manager(acting_user)
    if kind not in GradingRules.Kind.values:
        refuse("kind", "Loại quy tắc xếp loại không hợp lệ.")
    if not isinstance(effective_on, date) or effective_on.year < 1900:
        refuse("effective_on", "Ngày áp dụng phải là một ngày, dạng dd/mm/yyyy.")
    checked = grading_rules_checked(kind, rules)
    with transaction.atomic():
        # one writer of a kind's rules at a time
        rows = list(GradingRules.objects.select_for_update().filter(kind=kind).order_by("pk"))
        in_force = max((r for r in rows if r.effective_on <= effective_on), key=lambda r: r.effective_on, default=None)
        if in_force is not None and in_force.rules == checked:
            refuse(
                NON_FIELD_ERRORS,
                f"Quy tắc này giống hệt quy tắc đang áp dụng từ {vn_date(in_force.effective_on)}; không có gì để ghi.",
            )
        later = min((r.effective_on for r in rows if r.effective_on > effective_on), default=None)
        closed = first_closed_from(effective_on)
        if closed is not None and (later is None or closed.end < later):
            # a closed quarter's grades, like its figures, never change
            check_open(effective_on, "effective_on", "Ngày áp dụng")
        replaced = None
        if in_force is not None and in_force.effective_on == effective_on:
            if used := grades_made_with(in_force):
                refuse(
                    "effective_on",
                    f"Quy tắc áp dụng từ {vn_date(effective_on)} đã được dùng để xếp loại {used} {_unit(kind)};"
                    " quy tắc đã dùng không sửa được: hãy ghi quy tắc mới với ngày áp dụng khác.",
                )
            replaced = in_force.rules
            record = in_force
            record.rules, record.recorded_at, record.recorded_by = checked, timezone.now(), acting_user
            record.save(update_fields=["rules", "recorded_at", "recorded_by"])
        else:
            try:
                with transaction.atomic():
                    record = GradingRules.objects.create(
                        kind=kind, effective_on=effective_on, rules=checked, recorded_by=acting_user
                    )
            except IntegrityError:
                refuse("effective_on", f"Đã có quy tắc áp dụng từ {vn_date(effective_on)}; hãy tải lại trang.")
        regraded = periods_governed(kind, effective_on, later)
        for period in regraded:
            if period.kind == "month":
                grading.grade_month(period)
            else:
                grading.grade_quarter(period)
        audit_record(
            user=acting_user,
            action="grading_rules.record",
            obj=record,
            data={
                "kind": kind,
                "effective_on": effective_on,
                "rules": checked,
                "replaced": replaced,
                "regraded": [p.label for p in regraded],
            },
        )
    record.regraded = regraded
    return record
