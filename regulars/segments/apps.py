from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "regulars.segments"
    label = "segments"
