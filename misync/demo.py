"""Demo data for the MIS sync: a (disabled) connection to the local fake MIS and a few past runs."""

from datetime import datetime, time, timedelta

from accounts.models import Group, Role, User
from misync.models import MisConnection, SyncChange, SyncRun


def seed(school, write):
    connection, created = MisConnection.objects.get_or_create(
        school=school,
        defaults={
            "connector": "xporter",
            "base_url": "http://127.0.0.1:8765",
            "school_ref": "3302001",
            "enabled": False,
        },
    )
    if created:
        connection.set_credentials(
            {
                "id": "dbprimary-demo",
                "secret": "demo-password-7a",
                "relying_party": "dbprimary-demo",
                "third_party_id": "dbprimary-demo",
                "password": "demo-password-7a",
                "token": "demo-password-7a",
            }
        )
        connection.save()
    if SyncRun.objects.filter(school=school).exists():
        return
    today = school.local_today()
    tz = school.tzinfo
    pupils = list(User.objects.filter(school=school, role=Role.PUPIL).order_by("pk")[:6])
    group = Group.objects.filter(school=school).order_by("name").first()

    def past_run(days_ago, status, **fields):
        day = today - timedelta(days=days_ago)
        started = datetime.combine(day, time(2, 30), tzinfo=tz)
        values = dict(
            school=school,
            trigger="nightly",
            for_date=day,
            status=status,
            source="xporter",
            attempts=1,
            source_as_of=started - timedelta(hours=7),
            created_at=started,
            started_at=started,
            finished_at=started + timedelta(seconds=4),
            fetch_ms=2100,
            plan_ms=140,
            apply_ms=380,
        )
        return SyncRun.objects.create(**{**values, **fields})

    past_run(4, "succeeded")
    busy = past_run(3, "succeeded", updated=2, moved=1)
    changes = []
    if len(pupils) >= 3 and group is not None:
        changes = [
            SyncChange(
                run=busy,
                kind="updated",
                account=pupils[0],
                label=f"{pupils[0].get_full_name()} ({pupils[0].username})",
                detail={"last_name": ["Smyth", pupils[0].last_name]},
            ),
            SyncChange(
                run=busy,
                kind="updated",
                account=pupils[1],
                label=f"{pupils[1].get_full_name()} ({pupils[1].username})",
                detail={"admission_number": [None, pupils[1].admission_number]},
            ),
            SyncChange(
                run=busy,
                kind="moved",
                account=pupils[2],
                group=group,
                label=f"{pupils[2].get_full_name()} ({pupils[2].username})",
                detail={"to": group.name},
            ),
        ]
    SyncChange.objects.bulk_create(changes)
    past_run(
        2,
        "failed",
        attempts=5,
        error_kind="unreachable",
        fetch_ms=None,
        plan_ms=None,
        apply_ms=None,
        error_message="Could not connect to the MIS at http://127.0.0.1:8765 (connection refused)",
    )
    past_run(
        1,
        "rejected",
        left=212,
        hold_reasons=[
            "212 of 404 active pupils are missing from the export without a leave date (the limit is 10% or 50 pupils)"
        ],
    )
    write(f"MIS sync: demo connection (disabled) to {connection.base_url} and 4 past runs")
