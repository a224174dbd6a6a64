from collections import defaultdict

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from lending.engine import LoanBook
from lending.models import InterestBill, Loan
from lending.selectors import loan_facts_bulk
from vbsp_district.core.signals import book_changed


class Command(BaseCommand):
    help = (
        "Rebuild every loan's stored interest bills from the ledger, through today; with "
        "--check, only report the loans whose stored bills differ from the ledger over the "
        "range they claim to cover (exit status 1 if any)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report differences, change nothing")

    def handle(self, *args, check, **options):
        today = timezone.localdate()
        facts = loan_facts_bulk()
        stored = defaultdict(list)
        for row in InterestBill.objects.order_by("loan_id", "billed_on").values_list(
            "loan_id", "billed_on", "period_start", "amount", "overdue_amount"
        ):
            stored[row[0]].append(row[1:])
        loans = {pk: (no, through) for pk, no, through in Loan.objects.values_list("pk", "loan_no", "bills_through")}
        numbers = {pk: no for pk, (no, _t) in loans.items()}
        differing, new_bills, through = [], [], defaultdict(list)
        for loan_id, loan_facts in facts.items():
            book = LoanBook(loan_facts)
            # --check verifies the bills the cache claims to hold (through `bills_through`);
            # a rebuild brings every loan up to today.
            claimed = loans[loan_id][1]
            horizon = min(claimed, today) if check and claimed else today
            bills = book.bills(horizon)
            expected = [(b.billed_on, b.period_start, b.amount, b.overdue_amount) for b in bills]
            if expected != stored.get(loan_id, []):
                differing.append(loan_id)
                new_bills += [
                    InterestBill(
                        loan_id=loan_id,
                        billed_on=b.billed_on,
                        period_start=b.period_start,
                        amount=b.amount,
                        overdue_amount=b.overdue_amount,
                    )
                    for b in bills
                ]
            through[book.bills_complete_through(today)].append(loan_id)
        if check:
            for loan_id in sorted(differing, key=numbers.get):
                self.stdout.write(f"Khế ước {numbers[loan_id]}: lãi đã lưu khác với sổ giao dịch")
            self.stdout.write(f"{len(facts)} khế ước, {len(differing)} khác biệt.")
            if differing:
                raise SystemExit(1)
            return
        with transaction.atomic():
            for i in range(0, len(differing), 500):
                InterestBill.objects.filter(loan_id__in=differing[i : i + 500]).delete()
            InterestBill.objects.bulk_create(new_bills, batch_size=5000)
            for day, ids in through.items():
                for i in range(0, len(ids), 500):
                    Loan.objects.filter(pk__in=ids[i : i + 500]).update(bills_through=day)
            if differing:
                # mended bills change figures: every stored period is computed again
                book_changed.send(sender=self.__class__, day=None)
        self.stdout.write(f"{len(facts)} khế ước, {len(differing)} đã tính lại lãi.")
