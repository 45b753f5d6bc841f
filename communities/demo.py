"""Demo communities for the demo school (called by `manage.py seed_demo`).

Idempotent: one community per class (a class that already has one is left alone), its pupils
as members and its teachers as leaders, a few blog posts and forum topics with replies, and
one archived community from last year.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Group, Role, User
from accounts.services.audit import AuditBuffer, AuditContext
from communities.models import BlogPost, Community, CommunityMembership, ForumReply, ForumTopic, author_role_for

# The services' inner helpers, because seed_demo runs inside its own transaction and the
# public services are durable (outermost) transactions.
from communities.services import _add_class_members, _create

POSTS = [
    (
        "Welcome to our class page",
        "This is where we share what we have been learning. Look out for photos of our work!",
    ),
    ("Our trip to the museum", "We saw dinosaur bones and a real Egyptian mummy. Thank you to all the parent helpers."),
    ("Spelling list for next week", "Practise these words at home: because, friend, school, people, thought."),
]
TOPICS = [
    (
        "What is your favourite book?",
        "Tell us the name of your favourite book and why you like it.",
        ["The Gruffalo, because the mouse is clever.", "Matilda! She loves reading too."],
    ),
    (
        "Ideas for our class garden",
        "What should we plant in the spring?",
        ["Sunflowers, they grow really tall.", "Strawberries so we can eat them."],
    ),
]
ARCHIVED_NAME = "Year 6 Leavers 2025"


def seed(school, write):
    with transaction.atomic():
        ctx = AuditContext(school=school, actor=None, source="seed_demo")
        audit = AuditBuffer(ctx)
        today = school.local_today()
        created = 0
        covered = set(Community.objects.filter(school=school, group__isnull=False).values_list("group_id", flat=True))
        for group in Group.objects.filter(school=school).order_by("name"):
            if group.pk in covered:
                continue
            community = _create(audit=audit, school=school, name=group.name, group=group, pupils_can_post=False)
            _add_class_members(audit=audit, community=community, group=group, today=today)
            created += 1
            _seed_entries(community)
        if not Community.objects.filter(school=school, name=ARCHIVED_NAME).exists():
            archived = Community.objects.create(
                school=school,
                name=ARCHIVED_NAME,
                status=Community.Status.ARCHIVED,
                archived_at=timezone.now() - timedelta(days=130),
            )
            pupils = list(User.objects.filter(school=school, role=Role.PUPIL, year_group="Y6").order_by("pk")[:10])
            start = today - timedelta(days=400)
            CommunityMembership.objects.bulk_create(
                [
                    CommunityMembership(
                        community=archived, user=p, start_date=start, end_date=today - timedelta(days=130)
                    )
                    for p in pupils
                ]
            )
            _seed_entries(archived)
            audit.add(action="archived", target_type="community", target_id=archived.pk, target_label=archived.name)
        # The demo pupil's class lets pupils post, so that login shows the forms.
        Community.objects.filter(school=school, memberships__user__username="demo-pupil").update(pupils_can_post=True)
        audit.flush()
    write(f"Communities: created {created} class communities")


def _seed_entries(community):
    leader = (
        User.objects.filter(community_memberships__community=community, community_memberships__role="leader")
        .order_by("pk")
        .first()
        or User.objects.filter(school=community.school, role=Role.SUPERADMIN).order_by("pk").first()
    )
    pupils = list(User.objects.filter(community_memberships__community=community, role=Role.PUPIL).order_by("pk")[:3])
    if leader is None:
        return
    base = timezone.now() - timedelta(days=20)
    for index, (title, body) in enumerate(POSTS):
        BlogPost.objects.create(
            community=community,
            author=leader,
            author_role=author_role_for(leader),
            title=title,
            body=body,
            created_at=base + timedelta(days=index * 5),
        )
    for index, (title, body, replies) in enumerate(TOPICS):
        topic = ForumTopic.objects.create(
            community=community,
            author=leader,
            author_role=author_role_for(leader),
            title=title,
            body=body,
            created_at=base + timedelta(days=index * 6 + 1),
        )
        for r_index, text in enumerate(replies):
            author = pupils[r_index % len(pupils)] if pupils else leader
            ForumReply.objects.create(
                topic=topic,
                author=author,
                author_role=author_role_for(author),
                body=text,
                created_at=topic.created_at + timedelta(hours=r_index + 1),
            )
