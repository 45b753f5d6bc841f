"""Class community pages: members and leaders, a blog and a forum (DESIGN §2, §3).

Models keep single-row rules only; archiving, rollover and handover live in services.
Authors are SET_NULL with the author's role kept beside them, so content written by an
account that has since been deleted still reads "Former pupil" / "Former staff member".
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Group, Role, School, User

# Pictures for the Early Years tiles (static/img/community-<name>.svg), chosen by id so a
# community keeps its picture.
PICTURES = ["sun", "tree", "star", "boat", "apple", "house"]


class Community(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="communities")
    name = models.CharField(max_length=100)
    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communities",
        help_text="The class this community belongs to, if any.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    pupils_can_post = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "communities"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["active", "archived"]), name="community_status_valid"),
            models.CheckConstraint(
                condition=Q(status="active", archived_at__isnull=True)
                | Q(status="archived", archived_at__isnull=False),
                name="community_archived_at_matches_status",
            ),
        ]
        indexes = [
            # Communities tab: a school's communities by status, ordered by name.
            models.Index(fields=["school", "status", "name"], name="community_school_status_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("communities:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED

    @property
    def initial(self) -> str:
        """The letter on a homepage tile: the class's own name ("Oak" in "Year 3 Oak")."""
        words = [w for w in self.name.split() if w[:1].isalpha()]
        word = words[-1] if words else (self.name or "?")
        return word[:1].upper()

    @property
    def picture(self) -> str:
        return f"img/community-{PICTURES[(self.pk or 0) % len(PICTURES)]}.svg"


class CommunityMembership(models.Model):
    """A member or leader of a community between two dates.

    Removing someone sets end_date; rows are kept so an archived community still shows who
    was in it.
    """

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        LEADER = "leader", "Leader"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="community_memberships")
    role = models.CharField(max_length=6, choices=Role.choices, default=Role.MEMBER)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"],
                condition=Q(end_date__isnull=True),
                name="community_membership_one_current",
            ),
            models.CheckConstraint(condition=Q(role__in=["member", "leader"]), name="community_membership_role_valid"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="community_membership_dates_ordered",
            ),
        ]
        indexes = [
            # Homepage: a user's current communities.
            models.Index(fields=["user", "end_date"], name="community_member_user_idx"),
        ]

    def __str__(self):
        return f"{self.user} in {self.community}"

    @property
    def is_leader(self) -> bool:
        return self.role == self.Role.LEADER


class AuthorRole(models.TextChoices):
    PUPIL = "pupil", "Pupil"
    STAFF = "staff", "Staff"


def author_role_for(user: User) -> str:
    return AuthorRole.PUPIL if user.role == Role.PUPIL else AuthorRole.STAFF


class Authored(models.Model):
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    author_role = models.CharField(max_length=5, choices=AuthorRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def author_name(self) -> str:
        if self.author is not None:
            return self.author.get_full_name() or self.author.username
        return "Former pupil" if self.author_role == AuthorRole.PUPIL else "Former staff member"


class BlogPost(Authored):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "-created_at"], name="blogpost_recent_idx")]

    def __str__(self):
        return self.title


class ForumTopic(Authored):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "-created_at"], name="forumtopic_recent_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("communities:topic", args=[self.community_id, self.pk])


class ForumReply(Authored):
    topic = models.ForeignKey(ForumTopic, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "forum replies"

    def __str__(self):
        return f"Reply to {self.topic}"
