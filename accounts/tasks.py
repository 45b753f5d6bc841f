from celery import shared_task

from accounts.models import School
from accounts.services.leavers import leavers_purge_expired


@shared_task(acks_late=True)
def purge_expired_leavers():
    """Daily: fan out one purge per school so one school's failure never blocks another."""
    for school_id in School.objects.values_list("pk", flat=True):
        purge_school_leavers.delay(school_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def purge_school_leavers(school_id: int) -> int:
    school = School.objects.filter(pk=school_id).first()
    if school is None:
        return 0
    return leavers_purge_expired(school=school, today=school.local_today())
