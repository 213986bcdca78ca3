"""API tokens: a process keeps a found token for a few seconds; revocation then holds."""

import pytest
from django.test import Client

from regulars.api import auth
from regulars.orgs.actions import create_api_token, revoke_api_token


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(auth, "found_tokens", auth.FoundTokens(clock=clock))
    return clock


def test_a_found_token_is_not_looked_up_again_for_a_while(org, clock, django_assert_num_queries):
    token = Client(
        headers={"Authorization": f"Bearer {create_api_token(organisation=org, name='t')[1]}"}
    )
    assert token.get("/api/loyalty/programs").status_code == 200
    with django_assert_num_queries(1):  # the programs, not the token
        assert token.get("/api/loyalty/programs").json() == []


def test_a_revoked_token_is_refused_once_its_seconds_are_over(org, clock):
    row, raw = create_api_token(organisation=org, name="till")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/loyalty/programs").status_code == 200
    revoke_api_token(token=row)
    clock.now += auth.TOKEN_SECONDS - 0.1
    assert client.get("/api/loyalty/programs").status_code == 200
    clock.now += 0.1
    assert client.get("/api/loyalty/programs").status_code == 401
    clock.now += 60
    assert client.get("/api/loyalty/programs").status_code == 401


def test_a_new_token_works_at_once_and_unknown_ones_stay_refused(org, clock):
    unknown = Client(headers={"Authorization": "Bearer rg_unknown"})
    assert unknown.get("/api/loyalty/programs").status_code == 401
    raw = create_api_token(organisation=org, name="new")[1]
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/loyalty/programs").status_code == 200
    assert unknown.get("/api/loyalty/programs").status_code == 401
