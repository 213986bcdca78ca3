"""Settings → staff: owners change roles and remove staff, never themselves or the last owner."""

import pytest
from django.urls import reverse

from regulars.orgs.actions import (
    StaffChangeRefused,
    add_staff_user,
    change_staff_role,
    remove_staff_member,
)
from regulars.orgs.models import Membership

URL = reverse("web:settings_staff")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def membership(user, org) -> Membership:
    return Membership.objects.get(user=user, organisation=org)


def roles(org) -> dict[str, str]:
    memberships = Membership.objects.filter(organisation=org).select_related("user")
    return {m.user.username: m.role for m in memberships}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_owner_changes_a_role(alice_client, org, mia, carol):
    response = alice_client.post(
        URL, {"membership": membership(carol, org).pk, "role": "marketer"}, follow=True
    )
    assert messages_of(response) == ["carol is now Marketer."]
    assert roles(org) == {"alice": "owner", "mia": "marketer", "carol": "marketer"}


def test_owner_removes_a_staff_member(alice_client, org, other_org, mia):
    add_staff_user(organisation=other_org, username="mia", role="viewer")
    response = alice_client.post(URL, {"remove": membership(mia, org).pk}, follow=True)
    assert messages_of(response) == ["mia no longer has access to Salon Saks & Sax."]
    assert roles(org) == {"alice": "owner"}
    # Her login and her other organisation stay.
    assert roles(other_org) == {"mia": "viewer"}
    assert "<td>mia" not in response.content.decode()


def test_owner_cannot_change_or_remove_themselves(alice_client, org, alice):
    refusal = "You cannot change your own role or remove yourself; ask another owner."
    own = membership(alice, org).pk
    demoted = alice_client.post(URL, {"membership": own, "role": "viewer"}, follow=True)
    assert messages_of(demoted) == [refusal]
    removed = alice_client.post(URL, {"remove": own}, follow=True)
    assert messages_of(removed) == [refusal]
    assert roles(org) == {"alice": "owner"}
    html = alice_client.get(URL).content.decode()
    assert f'name="remove" value="{own}"' not in html
    assert f'name="membership" value="{own}"' not in html


def test_another_owner_can_demote_and_remove_an_owner(alice_client, org):
    olga = add_staff_user(organisation=org, username="olga", role="owner")
    alice_client.post(URL, {"membership": olga.pk, "role": "viewer"})
    assert roles(org)["olga"] == "viewer"
    alice_client.post(URL, {"remove": olga.pk})
    assert roles(org) == {"alice": "owner"}


def test_the_last_owner_stays(org, alice, mia):
    owner = membership(alice, org)
    with pytest.raises(StaffChangeRefused) as refused:
        change_staff_role(membership=owner, role="viewer", changed_by=mia)
    assert refused.value.reason == "last_owner"
    with pytest.raises(StaffChangeRefused) as refused:
        remove_staff_member(membership=owner, removed_by=mia)
    assert refused.value.reason == "last_owner"
    assert roles(org) == {"alice": "owner", "mia": "marketer"}


def test_unknown_role_and_foreign_membership(alice_client, org, other_org, bob, carol):
    bad = alice_client.post(
        URL, {"membership": membership(carol, org).pk, "role": "king"}, follow=True
    )
    assert messages_of(bad) == ["Choose one of the roles."]
    foreign = membership(bob, other_org).pk
    assert alice_client.post(URL, {"remove": foreign}).status_code == 404
    assert alice_client.post(URL, {"membership": foreign, "role": "viewer"}).status_code == 404
    assert alice_client.post(URL, {"remove": "x"}).status_code == 404
    assert roles(other_org) == {"bob": "owner"}
    assert roles(org) == {"alice": "owner", "carol": "cashier"}


@pytest.mark.parametrize("who", ["mia", "carol", "victor"])
def test_only_owners_manage_staff(client, request, org, alice, who):
    client.force_login(request.getfixturevalue(who))
    owner = membership(alice, org).pk
    assert client.post(URL, {"remove": owner}).status_code == 403
    assert client.post(URL, {"membership": owner, "role": "viewer"}).status_code == 403
    assert roles(org)["alice"] == "owner"


def test_staff_page_in_danish(alice_client, org, alice, carol):
    from regulars.orgs.models import StaffProfile

    StaffProfile.objects.create(user=alice, language="da")
    response = alice_client.post(URL, {"remove": membership(alice, org).pk}, follow=True)
    html = response.content.decode()
    assert "Du kan ikke ændre din egen rolle eller fjerne dig selv" in html
    assert "Fjern" in html
