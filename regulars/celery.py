"""Celery application: drives the same task functions as `regulars worker`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")

app = Celery("regulars")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
