"""`regulars demo-data` (the spelling of SPEC 8); the command lives in demo_data.py."""

from regulars.demo.management.commands.demo_data import Command

__all__ = ["Command"]
