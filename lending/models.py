from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class OverdueRule(models.TextChoices):
    MATURITY = "maturity", _("Quá hạn khi hết hạn cuối cùng")
    INSTALLMENT = "installment", _("Quá hạn theo từng kỳ hạn")


class LoanProgram(models.Model):
    """Chương trình cho vay, under the bank's own program code."""

    code = models.CharField(_("mã chương trình"), max_length=8, unique=True)
    name = models.CharField(_("tên chương trình"), max_length=150)
    overdue_factor = models.DecimalField(_("hệ số lãi quá hạn"), max_digits=5, decimal_places=2, default=1.30)
    overdue_rule = models.CharField(
        _("cách tính quá hạn"),
        max_length=12,
        choices=OverdueRule.choices,
        default=OverdueRule.MATURITY,
    )

    class Meta:
        verbose_name = _("chương trình cho vay")
        verbose_name_plural = _("chương trình cho vay")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(overdue_factor__gte=1), name="program_overdue_factor_ge_1")
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class ProgramRate(models.Model):
    """A program's annual rate for loans disbursed from `effective_on` on."""

    program = models.ForeignKey(
        LoanProgram, on_delete=models.PROTECT, related_name="rates", verbose_name=_("chương trình")
    )
    annual_rate = models.DecimalField(_("lãi suất %/năm"), max_digits=6, decimal_places=3)
    effective_on = models.DateField(_("áp dụng từ ngày"))

    class Meta:
        verbose_name = _("lãi suất chương trình")
        verbose_name_plural = _("lãi suất chương trình")
        ordering = ["program", "effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["program", "effective_on"], name="one_rate_per_program_day"),
            models.CheckConstraint(condition=models.Q(annual_rate__gt=0), name="program_rate_positive"),
        ]

    def __str__(self):
        return f"{self.program.code} {self.annual_rate}% từ {self.effective_on:%d/%m/%Y}"


class Channel(models.TextChoices):
    ENTRUSTED = "entrusted", _("Ủy thác qua tổ chức hội")
    DIRECT = "direct", _("Cho vay trực tiếp")


class Loan(models.Model):
    """Món vay / khế ước: one loan contract of one member under one program."""

    loan_no = models.CharField(_("số khế ước"), max_length=30, unique=True)
    member = models.ForeignKey(
        "groups.Member", on_delete=models.PROTECT, related_name="loans", verbose_name=_("hộ vay")
    )
    program = models.ForeignKey(
        LoanProgram, on_delete=models.PROTECT, related_name="loans", verbose_name=_("chương trình")
    )
    channel = models.CharField(_("phương thức"), max_length=10, choices=Channel.choices, default=Channel.ENTRUSTED)
    annual_rate = models.DecimalField(_("lãi suất %/năm"), max_digits=6, decimal_places=3)
    approved_amount = models.BigIntegerField(_("số tiền cho vay theo hợp đồng (đồng)"))
    disbursed_on = models.DateField(_("ngày giải ngân lần đầu"))
    purpose = models.CharField(_("mục đích"), max_length=200, blank=True)
    bills_through = models.DateField(
        _("lãi đã tính đến ngày"),
        null=True,
        blank=True,
        help_text=_("Derived: interest bills are stored up to this day."),
    )
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("món vay")
        verbose_name_plural = _("món vay")
        ordering = ["loan_no"]
        indexes = [
            models.Index(fields=["member", "disbursed_on"]),
            # every report first looks for loans whose stored bills stop too early
            models.Index(fields=["bills_through"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(approved_amount__gt=0), name="loan_amount_positive"),
            models.CheckConstraint(condition=models.Q(annual_rate__gt=0), name="loan_rate_positive"),
        ]

    def __str__(self):
        return self.loan_no

    def get_absolute_url(self):
        return reverse("loan_detail", args=[self.loan_no])


class Installment(models.Model):
    """Kỳ hạn trả nợ: principal falling due on a contract date."""

    loan = models.ForeignKey(
        Loan,
        on_delete=models.PROTECT,
        related_name="installments",
        verbose_name=_("món vay"),
        db_index=False,  # the (loan, due_on) unique index serves
    )
    due_on = models.DateField(_("ngày đến hạn theo hợp đồng"))
    principal = models.BigIntegerField(_("số tiền gốc (đồng)"))

    class Meta:
        verbose_name = _("kỳ hạn trả nợ")
        verbose_name_plural = _("kỳ hạn trả nợ")
        ordering = ["loan", "due_on"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "due_on"], name="one_installment_per_day"),
            models.CheckConstraint(condition=models.Q(principal__gt=0), name="installment_principal_positive"),
        ]

    def __str__(self):
        return f"{self.loan.loan_no} {self.due_on:%d/%m/%Y}"


class Extension(models.Model):
    """Gia hạn nợ: moves one installment's due date, decided on a date."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="extensions", verbose_name=_("món vay"))
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, related_name="extensions", verbose_name=_("kỳ hạn")
    )
    new_due_on = models.DateField(_("ngày đến hạn mới"))
    decided_on = models.DateField(_("ngày quyết định"))
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("gia hạn nợ")
        verbose_name_plural = _("gia hạn nợ")
        ordering = ["loan", "decided_on", "id"]

    def __str__(self):
        return f"{self.loan.loan_no}: {self.new_due_on:%d/%m/%Y}"


class Freeze(models.Model):
    """Khoanh nợ: an amount of principal frozen (earning nothing) for a time."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="freezes", verbose_name=_("món vay"))
    amount = models.BigIntegerField(_("số tiền khoanh (đồng)"))
    effective_on = models.DateField(_("khoanh từ ngày"))
    ends_on = models.DateField(_("đến ngày"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("khoanh nợ")
        verbose_name_plural = _("khoanh nợ")
        ordering = ["loan", "effective_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="freeze_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=models.F("effective_on")),
                name="freeze_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.loan.loan_no} {self.amount}"


class LoanTransaction(models.Model):
    """One row of the loan ledger. Append-only: a correction is a reversal row."""

    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement", _("Giải ngân")
        PRINCIPAL = "principal", _("Thu nợ gốc")
        INTEREST = "interest", _("Thu lãi")
        PRINCIPAL_WRITE_OFF = "principal_write_off", _("Xóa nợ gốc")
        INTEREST_WRITE_OFF = "interest_write_off", _("Xóa nợ lãi")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("món vay"))
    kind = models.CharField(_("loại giao dịch"), max_length=20, choices=Kind.choices)
    value_date = models.DateField(_("ngày giao dịch"))
    amount = models.BigIntegerField(_("số tiền (đồng)"))
    reference = models.CharField(_("số chứng từ"), max_length=64, null=True, blank=True)  # noqa: DJ001 (NULL: no reference, outside the unique constraint)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("hủy giao dịch"),
    )
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("giao dịch món vay")
        verbose_name_plural = _("giao dịch món vay")
        ordering = ["value_date", "id"]
        # (loan, kind, value date): the waterfall reads one kind of a few loans up to a date;
        # the narrow FK index on loan alone still pays: the report reads the whole ledger in
        # loan order through it, summing loan by loan without a hash table
        # a loan's rows; a month's rows of the whole book (the grading's postings)
        indexes = [models.Index(fields=["loan", "kind", "value_date"]), models.Index(fields=["value_date"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="loan_txn_positive"),
            models.UniqueConstraint(
                fields=["loan", "reference"],
                condition=models.Q(reference__isnull=False),
                name="loan_txn_reference_unique",
            ),
        ]

    def __str__(self):
        return f"{self.loan.loan_no} {self.get_kind_display()} {self.amount}"


class SavingsTransaction(models.Model):
    """One row of a member's savings ledger (tiết kiệm qua tổ). Append-only."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Gửi tiết kiệm")
        WITHDRAWAL = "withdrawal", _("Rút tiết kiệm")

    member = models.ForeignKey(
        "groups.Member",
        on_delete=models.PROTECT,
        related_name="savings_transactions",
        verbose_name=_("tổ viên"),
        db_index=False,  # the (member, value_date) index serves
    )
    kind = models.CharField(_("loại giao dịch"), max_length=10, choices=Kind.choices)
    value_date = models.DateField(_("ngày giao dịch"))
    amount = models.BigIntegerField(_("số tiền (đồng)"))
    reference = models.CharField(_("số chứng từ"), max_length=64, null=True, blank=True)  # noqa: DJ001 (NULL: no reference, outside the unique constraint)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("hủy giao dịch"),
    )
    recorded_at = models.DateTimeField(_("thời điểm ghi"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("giao dịch tiết kiệm")
        verbose_name_plural = _("giao dịch tiết kiệm")
        ordering = ["value_date", "id"]
        indexes = [models.Index(fields=["member", "value_date"]), models.Index(fields=["value_date"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="savings_txn_positive"),
            models.UniqueConstraint(
                fields=["member", "reference"],
                condition=models.Q(reference__isnull=False),
                name="savings_txn_reference_unique",
            ),
        ]

    def __str__(self):
        return f"{self.member.national_id} {self.get_kind_display()} {self.amount}"


class ReversalRequest(models.Model):
    """Maker-checker: staff ask to reverse a posted row, a different manager decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ duyệt")
        APPROVED = "approved", _("Đã duyệt")
        REJECTED = "rejected", _("Từ chối")

    loan_transaction = models.ForeignKey(
        LoanTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal_requests",
        verbose_name=_("giao dịch món vay"),
    )
    savings_transaction = models.ForeignKey(
        SavingsTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal_requests",
        verbose_name=_("giao dịch tiết kiệm"),
    )
    reason = models.TextField(_("lý do"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người đề nghị"),
    )
    requested_at = models.DateTimeField(_("thời điểm đề nghị"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người duyệt"),
    )
    decided_at = models.DateTimeField(_("thời điểm duyệt"), null=True, blank=True)
    decision_note = models.TextField(_("ghi chú duyệt"), blank=True)

    class Meta:
        verbose_name = _("đề nghị hủy giao dịch")
        verbose_name_plural = _("đề nghị hủy giao dịch")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(loan_transaction__isnull=True, savings_transaction__isnull=False)
                | models.Q(loan_transaction__isnull=False, savings_transaction__isnull=True),
                name="reversal_request_one_target",
            ),
            models.UniqueConstraint(
                fields=["loan_transaction"],
                condition=models.Q(status="pending"),
                name="one_pending_reversal_per_loan_txn",
            ),
            models.UniqueConstraint(
                fields=["savings_transaction"],
                condition=models.Q(status="pending"),
                name="one_pending_reversal_per_savings_txn",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def target(self):
        return self.loan_transaction or self.savings_transaction


class InterestBill(models.Model):
    """Derived: interest falling due on a billing date. A cache of the ledger, rebuilt."""

    loan = models.ForeignKey(
        Loan,
        on_delete=models.CASCADE,
        related_name="bills",
        verbose_name=_("món vay"),
        db_index=False,  # the (loan, billed_on) unique index serves
    )
    billed_on = models.DateField(_("ngày tính lãi"))
    period_start = models.DateField(_("tính từ ngày"))
    amount = models.BigIntegerField(_("tiền lãi (đồng)"))
    overdue_amount = models.BigIntegerField(_("trong đó lãi quá hạn (đồng)"), default=0)

    class Meta:
        verbose_name = _("kỳ tính lãi")
        verbose_name_plural = _("kỳ tính lãi")
        ordering = ["loan", "billed_on"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "billed_on"], name="one_bill_per_loan_day"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bill_positive"),
        ]

    def __str__(self):
        return f"{self.loan_id} {self.billed_on:%d/%m/%Y} {self.amount}"


class ClosedPeriod(models.Model):
    """A closed quarter: its figures never change. Every write dated on or before its last
    day is refused until a manager reopens it (vbsp_district/core/closing.py)."""

    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"))
    closed_at = models.DateTimeField(_("thời điểm khóa sổ"), auto_now_add=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(_("thời điểm mở lại"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("kỳ đã khóa sổ")
        verbose_name_plural = _("kỳ đã khóa sổ")
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["start"],
                condition=models.Q(reopened_at__isnull=True),
                name="one_open_closure_per_period",
            )
        ]

    def __str__(self):
        return f"{self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"


class WorkbookImport(models.Model):
    """A workbook uploaded on the import page, imported by the worker (`manage.py db_worker`)
    off the request: lending/workbook/jobs.py. The file is kept as it was uploaded.

    The import and the row's DONE are one transaction: a worker that dies mid-import leaves
    nothing of the workbook and the row RUNNING with the pid of a process that is gone,
    which the pages show as interrupted (`interrupted`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("đang chờ")
        RUNNING = "running", _("đang nhập")
        DONE = "done", _("đã nhập")
        REFUSED = "refused", _("không nhập được")
        FAILED = "failed", _("lỗi hệ thống")

    # the message of a job whose worker died: marked FAILED by the next upload or import
    INTERRUPTED = (
        "Bị gián đoạn (tiến trình nhập đã dừng giữa chừng): chưa ghi dữ liệu nào của tệp này. Hãy nhập lại tệp."
    )

    file_name = models.CharField(_("tên tệp"), max_length=255)
    content = models.BinaryField(_("nội dung tệp"))
    size = models.PositiveIntegerField(_("kích thước (byte)"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), auto_now_add=True)
    status = models.CharField(_("trạng thái"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    worker_pid = models.PositiveIntegerField(_("tiến trình nhập"), null=True, blank=True)
    started_at = models.DateTimeField(_("bắt đầu nhập"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    # [[sheet, records written], ...] in the workbook's sheet order
    counts = models.JSONField(_("số bản ghi theo trang"), default=list, blank=True)
    # the first BatchRefused.SHOWN problems: [[sheet, line, column, message], ...]
    issues = models.JSONField(_("lỗi"), default=list, blank=True)
    issue_count = models.PositiveIntegerField(_("số lỗi"), default=0)
    message = models.TextField(_("thông báo"), blank=True)

    class Meta:
        verbose_name = _("lần nhập tệp Excel")
        verbose_name_plural = _("các lần nhập tệp Excel")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["status"], name="workbook_import_status")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("workbook_import_job", args=[self.pk])

    @property
    def interrupted(self) -> bool:
        """RUNNING, but its worker process is gone (killed, or the server restarted): the
        import's transaction died with it, nothing of the workbook was written. (FAILED
        for it since, by the next upload or import.)"""
        from pathlib import Path

        if self.status == self.Status.FAILED:
            return self.message == self.INTERRUPTED
        return self.status == self.Status.RUNNING and not (
            self.worker_pid and Path(f"/proc/{self.worker_pid}").exists()
        )

    @property
    def pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING) and not self.interrupted

    @property
    def records(self) -> int:
        return sum(count for _sheet, count in self.counts)
