"""Every criterion type, registered by importing its module."""

from . import person, purchases, tickets
from .base import CRITERIA, Context, Criterion

__all__ = ["CRITERIA", "Context", "Criterion", "person", "purchases", "tickets"]
