"""Regulars: the customer-engagement back office of a small business."""

from .celery import app as celery_app

__all__ = ["celery_app"]
