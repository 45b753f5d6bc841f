from django.apps import AppConfig


class MisyncConfig(AppConfig):
    name = "misync"
    verbose_name = "MIS sync"
