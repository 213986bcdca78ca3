"""The back-office shell: login, rate limiting, language, organisation switch, headers."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from regulars.orgs.actions import add_staff_user, create_organisation
from regulars.orgs.models import StaffProfile
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_login_page_renders_and_logs_in(client, alice):
    page = client.get(reverse("web:login"))
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.get(reverse("web:home"))["Location"] == reverse("web:customers")


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(reverse("web:customers"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next=/customers/"


def test_login_is_rate_limited_per_username_and_address(client, alice):
    for _ in range(5):
        response = client.post(reverse("web:login"), {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
    locked = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed attempts" in locked.content
    assert "_auth_user_id" not in client.session
    other = client.post(
        reverse("web:login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302


def test_logout_needs_post(alice_client):
    assert alice_client.get(reverse("web:logout")).status_code == 405
    assert alice_client.post(reverse("web:logout")).status_code == 302
    assert alice_client.get(reverse("web:customers")).status_code == 302


def test_password_reset_mails_a_working_link(client, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("web:password_reset"), {"email": "alice@example.com"})
    assert response["Location"] == reverse("web:password_reset_done")
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    new_password = "a new long passphrase 77"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done["Location"] == reverse("web:password_reset_complete")
    assert client.login(username="alice", password=new_password)


def test_language_is_remembered_per_user(alice_client, alice):
    response = alice_client.post(reverse("web:set_language"), {"language": "da", "next": "/"})
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=alice).language == "da"
    alice_client.cookies.clear()
    alice_client.force_login(alice)
    page = alice_client.get(reverse("web:customers"))
    assert page.headers["Content-Language"] == "da"
    assert '<html lang="da">' in page.content.decode()
    assert "Kunder" in page.content.decode()


def test_language_switch_ignores_unknown_languages_and_foreign_next(alice_client, alice):
    response = alice_client.post(
        reverse("web:set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("web:home")
    assert not StaffProfile.objects.filter(user=alice, language="xx").exists()


def test_organisation_switcher(client, alice, other_org):
    add_staff_user(organisation=other_org, username="alice", role="viewer")
    client.force_login(alice)
    page = client.get(reverse("web:customers")).content.decode()
    assert "Other Venue" in page and "Salon Saks &amp; Sax" in page
    client.post(reverse("web:switch_organisation"), {"organisation": other_org.pk})
    assert StaffProfile.objects.get(user=alice).current_organisation == other_org
    page = client.get(reverse("web:customers")).content.decode()
    assert '<span class="role-badge">Viewer</span>' in page


def test_cannot_switch_to_a_foreign_organisation(client, alice, other_org):
    client.force_login(alice)
    response = client.post(reverse("web:switch_organisation"), {"organisation": other_org.pk})
    assert response.status_code == 403
    assert not StaffProfile.objects.filter(user=alice, current_organisation=other_org).exists()
    for impossible in ("99999999999999999999", "-1", "x", ""):
        response = client.post(reverse("web:switch_organisation"), {"organisation": impossible})
        assert response.status_code == 403


def test_security_headers(alice_client):
    response = alice_client.get(reverse("web:customers"))
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "cdn" not in response.content.decode().lower()


def test_session_cookie_flags(client, alice):
    response = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_csrf_is_enforced(alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(reverse("web:set_language"), {"language": "da"}).status_code == 403


def test_404_page_in_the_users_language(alice_client, alice):
    StaffProfile.objects.create(user=alice, language="nb")
    response = alice_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Fant ikke siden" in response.content.decode()


def test_nav_is_filtered_by_role(client, carol, mia):
    client.force_login(carol)
    page = client.get(reverse("web:customers")).content.decode()
    assert f'href="{reverse("web:customers")}"' in page
    assert f'href="{reverse("web:settings")}"' not in page
    client.force_login(mia)
    page = client.get(reverse("web:customers")).content.decode()
    assert f'href="{reverse("web:settings")}"' not in page
    assert f'href="{reverse("web:customers")}"' in page


def test_user_without_organisation_gets_403(client, db):
    from django.contrib.auth import get_user_model

    loner = get_user_model().objects.create_user("loner", password=PASSWORD)
    client.force_login(loner)
    assert client.get(reverse("web:customers")).status_code == 403


def test_static_files_are_served_without_a_cdn(client, db):
    response = client.get("/static/web/regulars.css")
    assert response.status_code == 200
    assert client.get("/static/django_htmx/htmx-2.min.js").status_code == 200


def test_second_organisation_fixture_is_isolated(db):
    create_organisation(slug="third", name="Third")
