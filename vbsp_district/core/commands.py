"""Management commands whose output is a public contract (formats/)."""

import argparse
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from .months import iso_day


class ContractCommand(BaseCommand):
    """A command that refuses bad arguments with one line on standard error and exit
    status 2, whatever argparse or the command's own checks refused."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        prog = f"{prog_name} {subcommand}"

        def error(message):
            message = " ".join(str(message).split())
            if parser.called_from_command_line:
                sys.stderr.write(f"{prog}: lỗi: {message}\n")
                sys.exit(2)
            raise CommandError(f"Error: {message}", returncode=2)

        parser.error = error
        return parser


def iso_date_argument(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date."""
    day = iso_day(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"ngày '{text}' không hợp lệ, cần dạng YYYY-MM-DD")
    return day
