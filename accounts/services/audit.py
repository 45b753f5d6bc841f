"""The audit log: every change to an account, group or community is recorded here."""

from dataclasses import dataclass, field

from accounts.models import AuditBatch, AuditEntry, School, User


@dataclass(frozen=True)
class AuditContext:
    """Who is making a change and from where; passed down to every service that writes."""

    school: School
    actor: User | None
    source: str
    batch: AuditBatch | None = None

    @property
    def actor_label(self) -> str:
        if self.actor is None:
            return "System"
        return f"{self.actor.get_full_name() or self.actor.username} ({self.actor.username})"


def audit_batch_create(*, school: School, kind: str, label: str, actor: User | None) -> AuditBatch:
    return AuditBatch.objects.create(school=school, kind=kind, label=label[:200], actor=actor)


@dataclass
class AuditBuffer:
    """Collects entries during a bulk change and writes them with one bulk_create."""

    ctx: AuditContext
    entries: list[AuditEntry] = field(default_factory=list)

    def add(self, *, action: str, target_type: str, target_id: int | None, target_label: str, detail=None):
        self.entries.append(
            AuditEntry(
                school=self.ctx.school,
                actor=self.ctx.actor,
                actor_label=self.ctx.actor_label[:200],
                action=action,
                target_type=target_type,
                target_id=target_id,
                target_label=str(target_label)[:200],
                detail=detail or {},
                source=self.ctx.source[:60],
                batch=self.ctx.batch,
            )
        )

    def add_account(self, account: User, action: str, detail=None):
        label = f"{account.get_full_name()} ({account.username})".strip()
        self.add(action=action, target_type="account", target_id=account.pk, target_label=label, detail=detail)

    def flush(self) -> int:
        if not self.entries:
            return 0
        AuditEntry.objects.bulk_create(self.entries, batch_size=1000)
        count = len(self.entries)
        self.entries = []
        return count


def audit_record(
    *, ctx: AuditContext, action: str, target_type: str, target_id: int | None, target_label: str, detail=None
) -> None:
    buffer = AuditBuffer(ctx)
    buffer.add(action=action, target_type=target_type, target_id=target_id, target_label=target_label, detail=detail)
    buffer.flush()
