"""Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE, spooled to a file with no name.

Django's own handler spools a large upload (a portfolio workbook of a whole office is
tens of MB) to a named file in the temporary folder and removes it when the request
closes it. A worker killed in the middle (`kill -9`, gunicorn's timeout, the machine's
memory killer) never closes it, and the file stays behind, up to 64 MB a time. Here the
spool is an anonymous temporary file (`tempfile.TemporaryFile`: O_TMPFILE on Linux,
or unlinked at once): it has no name on disk, and the system frees it when the last
descriptor closes, however the process ends.
"""

import tempfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler


class AnonymousTemporaryUploadedFile(UploadedFile):
    """An uploaded file spooled to disk without a name (no `temporary_file_path`)."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)
        super().__init__(file, name, content_type, size, charset, content_type_extra)


class AnonymousTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """TemporaryFileUploadHandler, with the spool an anonymous file."""

    def new_file(self, *args, **kwargs):
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = AnonymousTemporaryUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.file.close()  # nothing to remove: the file has no name
