"""`regulars org create SLUG --name NAME [--timezone TZ] [--country CC]` (SPEC 9.1)."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from regulars.orgs.actions import create_organisation
from regulars.orgs.models import Organisation


class Command(BaseCommand):
    help = "Manage organisations (tenants)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="Create an organisation.")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--timezone", default="Europe/Copenhagen")
        create.add_argument("--country", default="DK")
        commands.add_parser("list", help="List organisations.")

    def handle(self, *args, action, **options):
        if action == "list":
            for organisation in Organisation.objects.order_by("slug"):
                self.stdout.write(f"{organisation.slug}\t{organisation.name}")
            return
        self.create(options["slug"], options["name"], options["timezone"], options["country"])

    def create(self, slug: str, name: str, timezone_name: str, country: str) -> None:
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(f"not a valid slug: {slug!r}", returncode=2) from exc
        try:
            zoneinfo.ZoneInfo(timezone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"unknown time zone: {timezone_name!r}", returncode=2) from exc
        if len(country) != 2 or not country.isalpha():
            raise CommandError(f"not a two-letter country code: {country!r}", returncode=2)
        if Organisation.objects.filter(slug=slug).exists():
            raise CommandError(f"organisation {slug!r} already exists", returncode=2)
        organisation = create_organisation(
            slug=slug, name=name, timezone_name=timezone_name, country=country
        )
        self.stdout.write(f"created organisation {organisation.slug} ({organisation.name})")
