"""Personas shared by every test module.

alice owns the salon; carol is its cashier, victor its viewer, mia its marketer. bob owns
another organisation whose data must never show up in the salon's answers.
"""

import pytest
from django.test import Client
from django.utils import translation

from regulars.orgs.actions import add_staff_user, create_api_token, create_organisation

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """A page request activates its user's language for the thread: texts translated
    later (import reasons, CLI output) must not come out in the previous test's language."""
    yield
    translation.deactivate()


@pytest.fixture
def org(db):
    return create_organisation(slug="salon", name="Salon Saks & Sax")


@pytest.fixture
def other_org(db):
    return create_organisation(
        slug="other", name="Other Venue", timezone_name="Europe/Oslo", country="NO"
    )


def _staff(organisation, username, role):
    return add_staff_user(
        organisation=organisation,
        username=username,
        role=role,
        password=PASSWORD,
        email=f"{username}@example.com",
    ).user


@pytest.fixture
def alice(org):
    return _staff(org, "alice", "owner")


@pytest.fixture
def mia(org):
    return _staff(org, "mia", "marketer")


@pytest.fixture
def carol(org):
    return _staff(org, "carol", "cashier")


@pytest.fixture
def victor(org):
    return _staff(org, "victor", "viewer")


@pytest.fixture
def bob(other_org):
    return _staff(other_org, "bob", "owner")


@pytest.fixture
def api_token(org):
    return create_api_token(organisation=org, name="till")[1]


@pytest.fixture
def other_api_token(other_org):
    return create_api_token(organisation=other_org, name="other till")[1]


@pytest.fixture
def api(api_token):
    """A test client that sends the salon's API token."""
    return Client(headers={"Authorization": f"Bearer {api_token}"})


@pytest.fixture
def other_api(other_api_token):
    return Client(headers={"Authorization": f"Bearer {other_api_token}"})
