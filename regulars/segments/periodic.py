"""Segments' periodic work, found by the messaging worker's autodiscovery."""

from regulars.messaging.worker import register_periodic

from .planner import refresh_planner_statistics

register_periodic("segments.planner_statistics", refresh_planner_statistics, every_seconds=3600)
