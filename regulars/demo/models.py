"""Book-keeping of the demo data generator."""

from django.db import models


class SuspendedIndex(models.Model):
    """A secondary index dropped for a bulk load, kept here until it is rebuilt.

    The definition is saved (and committed) before the index is dropped, so an interrupted
    load is repaired by the next run of the generator (`restore_indexes`).
    """

    table = models.CharField(max_length=200)
    name = models.CharField(max_length=200, unique=True)
    definition = models.TextField()
    suspended_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
