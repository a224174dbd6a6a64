"""Workbook imports off the request: queued by the import page, run by the worker.

A workbook of a commune's book takes minutes to check and write, longer than a request
may last. The page stores the upload (`WorkbookImport`) and queues `run_import` in the
same transaction; the worker (`manage.py db_worker`, a service beside gunicorn) runs it.

The import and the job's DONE commit together, so a job is never DONE without its rows
nor its rows without DONE. A worker killed mid-import leaves nothing of the workbook: its
job stays RUNNING with the pid of a process that is gone (shown as interrupted at once)
until the next job's start marks it FAILED; the manager uploads the file again.
"""

import hashlib
import logging
import os
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from ..models import WorkbookImport
from ..services.batch import BatchRefused
from .reader import WorkbookUnreadable, workbook_import

logger = logging.getLogger(__name__)

Status = WorkbookImport.Status

INTERRUPTED = WorkbookImport.INTERRUPTED
FAILED = "Lỗi hệ thống khi nhập tệp (đã ghi vào nhật ký máy chủ): chưa ghi dữ liệu nào. Hãy báo quản trị hệ thống."
# A RUNNING job younger than this is never taken for interrupted by another worker: its
# own worker may be between marking it RUNNING and locking it for the import.
SETTLE = timedelta(seconds=10)


def queue_import(upload, *, acting_user) -> tuple[WorkbookImport, bool]:
    """Store the uploaded workbook and queue its import: (the job, whether it is new).

    A file is imported once. The same bytes sent again while their import waits or runs
    (a double click, a second manager), or once it is done, are not queued again: the job
    they already have is returned. (A workbook of rows without keys, savings or
    repayments, would otherwise be written twice.) After a refusal or a failure the file
    may be sent again. Two uploads of the same file wait for each other here."""
    content = b"".join(upload.chunks())
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        _one_at_a_time("lending.workbook_upload:" + digest)
        mark_interrupted()
        same = WorkbookImport.objects.filter(sha256=digest, status__in=[Status.QUEUED, Status.RUNNING, Status.DONE])
        for job in same.defer("content", "issues").order_by("-pk"):
            if job.status == Status.DONE or job.pending:
                return job, False
        job = WorkbookImport.objects.create(
            file_name=os.path.basename(upload.name)[:255],
            content=content,
            size=len(content),
            sha256=digest,
            uploaded_by=acting_user,
        )
        run_import.enqueue(job.pk)
    return job, True


@task()
def run_import(job_id: int) -> str:
    """Import a queued workbook, all or nothing; the job's status, in the end."""
    mark_interrupted()
    with transaction.atomic():
        job = WorkbookImport.objects.select_for_update().defer("content").get(pk=job_id)
        if job.status != Status.QUEUED:
            return job.status
        job.status, job.worker_pid, job.started_at = Status.RUNNING, os.getpid(), timezone.now()
        job.save(update_fields=["status", "worker_pid", "started_at"])
    try:
        with transaction.atomic():
            # held until the import commits: another worker sees the job as alive
            job = WorkbookImport.objects.select_for_update().get(pk=job_id)
            _one_at_a_time("lending.workbook_import")
            if job.status != Status.RUNNING or job.worker_pid != os.getpid():
                return job.status
            counts = workbook_import(ContentFile(bytes(job.content), name=job.file_name), acting_user=job.uploaded_by)
            job.counts = [[sheet, count] for sheet, count in counts.items()]
            _finish(job, Status.DONE)
    except BatchRefused as refused:
        job.issues = [[i.sheet, i.line, i.column, i.message] for i in refused.shown]
        job.issue_count = len(refused.issues)
        _finish(job, Status.REFUSED)
    except WorkbookUnreadable as unreadable:
        _finish(job, Status.REFUSED, str(unreadable))
    except ValidationError as invalid:
        _finish(job, Status.REFUSED, " ".join(invalid.messages))
    except Exception:
        logger.exception("workbook import %s failed", job_id)
        _finish(job, Status.FAILED, FAILED)
    return job.status


def _one_at_a_time(name: str):
    """The transaction holds `name` until it ends; another asking for it waits. On
    PostgreSQL an advisory lock: two workers never import at once (each checks its rows
    against the book as it was before the other's), two uploads of the same file never
    both queue it. SQLite writes one transaction at a time anyway."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def _finish(job: WorkbookImport, status: str, message: str = ""):
    job.status, job.message, job.finished_at = status, message, timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "counts", "issues", "issue_count"])


def mark_interrupted() -> int:
    """Mark FAILED the RUNNING jobs whose import is dead; how many there were.

    On PostgreSQL a live import holds its job's row lock: a row that can be locked has
    none. SQLite (one worker, for development) has no row locks: the worker's process is
    looked for instead."""
    stale = WorkbookImport.objects.filter(status=Status.RUNNING, started_at__lt=timezone.now() - SETTLE).defer(
        "content"
    )
    with transaction.atomic():
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            dead = list(stale.select_for_update(skip_locked=True))
        else:
            dead = [job for job in stale if job.interrupted]
        for job in dead:
            _finish(job, Status.FAILED, INTERRUPTED)
    return len(dead)
