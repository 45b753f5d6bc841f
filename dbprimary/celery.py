"""The Celery app, as in Celery's "First steps with Django".

Without CELERY_BROKER_URL / REDIS_URL the settings make every task run eagerly in-process,
so the embedded default needs no worker. Exactly one `celery beat` runs in production.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbprimary.settings")

app = Celery("dbprimary")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat runs in UTC; tasks that care about a school's local time work it out per school.
app.conf.beat_schedule = {
    "purge-expired-leavers": {
        "task": "accounts.tasks.purge_expired_leavers",
        "schedule": crontab(minute=15, hour=3),
    },
}

# The spreadsheet import's tasks live in a sub-package that autodiscovery does not reach by itself.
app.autodiscover_tasks(["accounts.importer"])
app.conf.beat_schedule["expire-import-previews"] = {
    "task": "accounts.importer.tasks.expire_import_jobs",
    "schedule": crontab(minute=45, hour=3),
}

# MIS sync (misync): every 15 minutes, queue the nightly run of each school whose local
# nightly time has passed and that has no run for its local date yet.
app.conf.beat_schedule["misync-dispatch-nightly"] = {
    "task": "misync.tasks.dispatch_nightly_syncs",
    "schedule": crontab(minute="*/15"),
}

# Sync health (misync, issue 7): hourly, check every enabled school's MIS link and send alert,
# reminder or recovery e-mails; flags a school with no successful sync for 36 hours.
app.conf.beat_schedule["misync-check-health"] = {
    "task": "misync.tasks.check_sync_health",
    "schedule": crontab(minute=40),
}
