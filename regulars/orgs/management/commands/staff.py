"""`regulars staff add USERNAME --org SLUG --role ROLE [--password P] [--email E]`."""

from django.core.management.base import BaseCommand, CommandError

from regulars.orgs.actions import add_staff_user
from regulars.orgs.models import Organisation, Role


class Command(BaseCommand):
    help = "Manage staff users of an organisation."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("add", help="Add a staff user (or change their role).")
        add.add_argument("username")
        add.add_argument("--org", required=True, help="organisation slug")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--password", help="without it the user sets one by password reset")
        add.add_argument("--email", default="")

    def handle(self, *args, username, org, role, password, email, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"no organisation {org!r}", returncode=2)
        membership = add_staff_user(
            organisation=organisation,
            username=username,
            role=role,
            password=password,
            email=email,
        )
        self.stdout.write(f"{membership.user.username} is {role} of {organisation.slug}")
