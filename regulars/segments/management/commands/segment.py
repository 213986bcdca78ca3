"""`regulars segment count|export RULES.json --org SLUG` (SPEC 9.1)."""

import datetime
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from regulars.orgs.models import Organisation
from regulars.segments.engine import MAX_RULES_BYTES, RuleError, compile_rules, count_rules
from regulars.segments.exports import FORMATS, export_members


class Failure(Exception):
    """A problem reported as one line on stderr with exit status 2."""


class Command(BaseCommand):
    help = "Count or export the customers matching a segment rule file."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        count = actions.add_parser("count", help="print the SEG-2 counts as JSON")
        export = actions.add_parser("export", help="write the matching customers")
        for sub in (count, export):
            sub.add_argument("rules", help="rule tree JSON file (SPEC 9.3)")
            sub.add_argument("--org", required=True, help="organisation slug")
            sub.add_argument("--at", help="evaluation moment, ISO-8601 (default now)")
        export.add_argument("--format", choices=FORMATS, default="csv")
        export.add_argument("--output", help="file to write (default standard output)")
        export.add_argument("--all-data", action="store_true", help="every customer column")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = self._organisation(options["org"])
            rules = self._rules(options["rules"])
            at = self._moment(options["at"])
            if options["action"] == "count":
                self.stdout.write(json.dumps(count_rules(organisation, rules, at)))
            else:
                self._export(organisation, rules, at, options)
        except (Failure, RuleError) as error:
            self.stderr.write(f"error: {error}")
            sys.exit(2)

    def _export(self, organisation: Organisation, rules: Any, at: Any, options: Any) -> None:
        members = compile_rules(organisation, rules, at)
        content = export_members(members, options["format"], full=options["all_data"])
        if options["output"]:
            try:
                Path(options["output"]).write_bytes(content)
            except OSError as error:
                raise Failure(f"cannot write {options['output']}: {error.strerror}") from error
        elif options["format"] == "csv":
            self.stdout.write(content.decode(), ending="")
        else:
            sys.stdout.buffer.write(content)

    @staticmethod
    def _organisation(slug: str) -> Organisation:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise Failure(f"no organisation with slug {slug!r}")
        return organisation

    @staticmethod
    def _rules(path: str) -> Any:
        try:
            raw = Path(path).read_bytes()
        except OSError as error:
            raise Failure(f"cannot read {path}: {error.strerror}") from error
        if len(raw) > MAX_RULES_BYTES:
            raise Failure(f"{path}: the rules are larger than 256 KB")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise Failure(f"{path}: not valid JSON ({error})") from error

    @staticmethod
    def _moment(text: str | None) -> datetime.datetime | None:
        if text is None:
            return None
        try:
            return datetime.datetime.fromisoformat(text)
        except ValueError as error:
            raise Failure(f"--at: not an ISO-8601 moment: {text}") from error
