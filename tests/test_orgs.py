from regulars.orgs.actions import create_api_token, organisation_for_token, revoke_api_token
from regulars.orgs.models import ApiToken


def test_api_token_is_stored_hashed_and_resolves_to_its_organisation(org, other_org):
    token, raw = create_api_token(organisation=org, name="till")
    _, other_raw = create_api_token(organisation=other_org, name="till")

    assert raw not in ApiToken.objects.values_list("key_hash", flat=True)
    assert organisation_for_token(raw) == org
    assert organisation_for_token(other_raw) == other_org
    assert organisation_for_token(raw + "x") is None


def test_revoked_token_no_longer_resolves(org):
    token, raw = create_api_token(organisation=org, name="till")
    revoke_api_token(token=token)
    assert organisation_for_token(raw) is None


def test_unknown_token_gets_401(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    response = client.get("/api/customers/", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
