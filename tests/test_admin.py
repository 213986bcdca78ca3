"""Django admin for raw data: every registered model of orgs, customers and commerce opens."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from regulars.imports.actions import import_rows

APPS = {"orgs", "customers", "commerce"}


@pytest.fixture
def operator(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(user)
    return client


def test_every_model_has_a_working_changelist(operator, org, other_org):
    import_rows(
        organisation=org, kind="customers", rows=[{"external_id": "C1", "email_consent": "true"}]
    )
    models = [m for m in admin.site._registry if m._meta.app_label in APPS]
    assert len(models) == 20
    for model in models:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert operator.get(url).status_code == 200, url
