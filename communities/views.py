"""Community pages, the cog menu (settings) and the superadmin's Communities tab.

Each view: access helper → form → one service call → message → redirect.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from accounts.access import school_member_required, superadmin_required
from accounts.models import User
from communities import selectors, services
from communities.access import (
    get_communities_for_superadmin,
    get_community_for_leader,
    get_community_for_member,
    get_community_for_superadmin,
    get_entries_for_leader,
    get_topic_for_member,
)
from communities.forms import (
    ArchiveForm,
    BlogPostForm,
    ClassAddForm,
    ClassesForm,
    CommunityNameForm,
    ForumReplyForm,
    ForumTopicForm,
    HandoverForm,
    PeopleAddForm,
    PostingForm,
)
from communities.models import CommunityMembership
from communities.services import RefusedError
from communities.tables import CommunityFilter, CommunityTable

# --- Community page -------------------------------------------------------------------------


def _community_page(request, community, *, post_form=None, topic_form=None, status=200):
    abilities = selectors.abilities(user=request.user, community=community)
    context = {
        "community": community,
        "abilities": abilities,
        "posts": selectors.community_posts(community=community),
        "topics": selectors.community_topics(community=community),
        "post_form": post_form or BlogPostForm(prefix="post"),
        "topic_form": topic_form or ForumTopicForm(prefix="topic"),
    }
    return render(request, "communities/detail.html", context, status=status)


@school_member_required
@require_GET
def detail(request, pk):
    community = get_community_for_member(request, pk)
    return _community_page(request, community)


@school_member_required
@require_POST
def post_create(request, pk):
    community = get_community_for_member(request, pk)
    form = BlogPostForm(request.POST, prefix="post")
    if not form.is_valid():
        return _community_page(request, community, post_form=form, status=400)
    try:
        services.blog_post_create(community=community, author=request.user, **form.cleaned_data)
    except RefusedError as exc:
        messages.error(request, str(exc))
        return redirect(community)
    messages.success(request, "Your blog post is published.")
    return redirect(community)


@school_member_required
@require_POST
def topic_create(request, pk):
    community = get_community_for_member(request, pk)
    form = ForumTopicForm(request.POST, prefix="topic")
    if not form.is_valid():
        return _community_page(request, community, topic_form=form, status=400)
    try:
        topic = services.forum_topic_create(community=community, author=request.user, **form.cleaned_data)
    except RefusedError as exc:
        messages.error(request, str(exc))
        return redirect(community)
    messages.success(request, "Your topic is started.")
    return redirect(topic)


def _topic_page(request, community, topic, *, form=None, status=200):
    context = {
        "community": community,
        "topic": topic,
        "replies": selectors.topic_replies(topic=topic),
        "abilities": selectors.abilities(user=request.user, community=community),
        "form": form or ForumReplyForm(),
    }
    return render(request, "communities/topic.html", context, status=status)


@school_member_required
@require_GET
def topic(request, pk, topic_pk):
    community = get_community_for_member(request, pk)
    return _topic_page(request, community, get_topic_for_member(request, community, topic_pk))


@school_member_required
@require_POST
def reply_create(request, pk, topic_pk):
    community = get_community_for_member(request, pk)
    topic = get_topic_for_member(request, community, topic_pk)
    form = ForumReplyForm(request.POST)
    if not form.is_valid():
        return _topic_page(request, community, topic, form=form, status=400)
    try:
        services.forum_reply_create(topic=topic, author=request.user, body=form.cleaned_data["body"])
    except RefusedError as exc:
        messages.error(request, str(exc))
        return redirect(topic)
    messages.success(request, "Your reply is posted.")
    return redirect(topic)


# --- The cog: settings for leaders and the superadmin -----------------------------------------


@school_member_required
@require_GET
def settings(request, pk):
    community = get_community_for_leader(request, pk)
    context = {
        "community": community,
        "posting_form": PostingForm(initial={"pupils_can_post": community.pupils_can_post}),
    }
    return render(request, "communities/settings.html", context)


@school_member_required
@require_http_methods(["GET", "POST"])
def rename(request, pk):
    community = get_community_for_leader(request, pk)
    form = CommunityNameForm(request.POST if request.method == "POST" else None, initial={"name": community.name})
    if request.method == "POST" and form.is_valid():
        old = community.name
        services.community_rename(community=community, name=form.cleaned_data["name"], actor=request.user)
        messages.success(request, f"{old} is now called {community.name}.")
        return redirect("communities:settings", community.pk)
    return render(
        request, "communities/rename.html", {"community": community, "form": form}, status=400 if form.errors else 200
    )


@school_member_required
@require_POST
def posting(request, pk):
    community = get_community_for_leader(request, pk)
    form = PostingForm(request.POST)
    form.is_valid()  # a single optional checkbox is always valid
    services.community_set_pupils_can_post(
        community=community, allowed=form.cleaned_data["pupils_can_post"], actor=request.user
    )
    messages.success(request, "Members can now post." if community.pupils_can_post else "Only leaders can post now.")
    return redirect("communities:settings", community.pk)


def _members_page(request, community, *, pupils_form=None, staff_form=None, class_form=None, status=200):
    context = {
        "community": community,
        "members": selectors.current_members(community=community),
        "pupils_form": pupils_form or _people_form(community, pupils=True),
        "staff_form": staff_form or _people_form(community, pupils=False),
        "class_form": class_form or ClassAddForm(groups=selectors.school_groups(school=community.school)),
    }
    return render(request, "communities/members.html", context, status=status)


def _people_form(community, *, pupils: bool, data=None):
    return PeopleAddForm(
        data,
        people=selectors.people_to_add(community=community, pupils=pupils),
        allow_leader=not pupils,
        prefix="pupils" if pupils else "staff",
    )


@school_member_required
@require_GET
def members(request, pk):
    return _members_page(request, get_community_for_leader(request, pk))


def _add_people(request, pk, *, pupils: bool):
    community = get_community_for_leader(request, pk)
    form = _people_form(community, pupils=pupils, data=request.POST)
    if not form.is_valid():
        key = "pupils_form" if pupils else "staff_form"
        return _members_page(request, community, status=400, **{key: form})
    try:
        count = services.membership_add(
            community=community,
            users=list(form.cleaned_data["people"]),
            role=form.cleaned_data["role"],
            actor=request.user,
        )
    except RefusedError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Added {count} to {community.name}.")
    return redirect("communities:members", community.pk)


@school_member_required
@require_POST
def members_add_pupils(request, pk):
    return _add_people(request, pk, pupils=True)


@school_member_required
@require_POST
def members_add_staff(request, pk):
    return _add_people(request, pk, pupils=False)


@school_member_required
@require_POST
def members_add_class(request, pk):
    community = get_community_for_leader(request, pk)
    form = ClassAddForm(request.POST, groups=selectors.school_groups(school=community.school))
    if not form.is_valid():
        return _members_page(request, community, class_form=form, status=400)
    group = form.cleaned_data["group"]
    added_members, added_leaders = services.class_add(community=community, group=group, actor=request.user)
    messages.success(
        request, f"Added {group.name}: {added_members} pupils as members and {added_leaders} teachers as leaders."
    )
    return redirect("communities:members", community.pk)


def _current_member(community, user_pk) -> User:
    membership = get_object_or_404(
        CommunityMembership.objects.select_related("user"), community=community, user_id=user_pk, end_date__isnull=True
    )
    return membership.user


@school_member_required
@require_POST
def member_remove(request, pk, user_pk):
    community = get_community_for_leader(request, pk)
    user = _current_member(community, user_pk)
    services.membership_remove(community=community, users=[user], actor=request.user)
    messages.success(request, f"{user.get_full_name()} is no longer in {community.name}.")
    return redirect("communities:members", community.pk)


@school_member_required
@require_POST
def member_make_leader(request, pk, user_pk):
    community = get_community_for_leader(request, pk)
    user = _current_member(community, user_pk)
    try:
        services.membership_set_leader(community=community, user=user, leader=True, actor=request.user)
    except RefusedError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{user.get_full_name()} is now a leader of {community.name}.")
    return redirect("communities:members", community.pk)


@school_member_required
@require_POST
def member_unmake_leader(request, pk, user_pk):
    community = get_community_for_leader(request, pk)
    user = _current_member(community, user_pk)
    services.membership_set_leader(community=community, user=user, leader=False, actor=request.user)
    messages.success(request, f"{user.get_full_name()} is no longer a leader of {community.name}.")
    return redirect("communities:members", community.pk)


@school_member_required
@require_GET
def entries(request, pk):
    community = get_community_for_leader(request, pk)
    context = {
        "community": community,
        "posts": selectors.community_posts(community=community),
        "topics": selectors.community_topics(community=community),
    }
    return render(request, "communities/entries.html", context)


@school_member_required
@require_http_methods(["GET", "POST"])
def entries_delete(request, pk):
    """GET: the confirmation listing the ticked entries. POST: delete them."""
    community = get_community_for_leader(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    posts, topics = get_entries_for_leader(
        request, community, post_ids=data.getlist("posts"), topic_ids=data.getlist("topics")
    )
    if not posts and not topics:
        messages.error(request, "Select at least one blog post or forum topic to delete.")
        return redirect("communities:entries", community.pk)
    if request.method == "GET":
        context = {"community": community, "posts": posts, "topics": topics, "count": len(posts) + len(topics)}
        return render(request, "communities/entries_delete.html", context)
    count = services.entries_delete(community=community, posts=posts, topics=topics, actor=request.user)
    messages.success(request, f"Deleted {count} {'entry' if count == 1 else 'entries'} from {community.name}.")
    return redirect("communities:entries", community.pk)


# --- Superadmin: the Communities tab ----------------------------------------------------------


@superadmin_required
@require_GET
def index(request):
    school = request.user.school
    filterset = CommunityFilter(request.GET or None, queryset=selectors.communities_for_table(school=school))
    table = CommunityTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "communities/index.html", {"table": table, "filter": filterset})


@superadmin_required
@require_http_methods(["GET", "POST"])
def archive(request):
    """GET: the options for the ticked communities. POST: archive them."""
    data = request.POST if request.method == "POST" else request.GET
    ids = data.getlist("ids")
    if not ids:
        messages.error(request, "Select at least one community to archive.")
        return redirect("communities:index")
    communities = get_communities_for_superadmin(request, ids)
    form = ArchiveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            copies = services.community_archive(communities=communities, actor=request.user, **form.cleaned_data)
        except RefusedError as exc:
            messages.error(request, str(exc))
            return redirect("communities:index")
        text = f"Archived {len(communities)} {'community' if len(communities) == 1 else 'communities'}"
        if copies:
            text += f" and created {len(copies)} new {'copy' if len(copies) == 1 else 'copies'} with no members"
        messages.success(request, text + ".")
        return redirect("communities:index")
    return render(request, "communities/archive.html", {"communities": communities, "form": form})


@superadmin_required
@require_http_methods(["GET", "POST"])
def restore(request, pk):
    """GET: the confirmation. POST: make the archived community active again."""
    community = get_community_for_superadmin(request, pk)
    if community.is_active:
        messages.error(request, f"{community.name} is already active.")
        return redirect("communities:index")
    if request.method == "POST":
        services.community_restore(community=community, actor=request.user)
        messages.success(request, f"{community.name} is active again and back on its members' homepages.")
        return redirect("communities:index")
    return render(request, "communities/restore.html", {"community": community})


@superadmin_required
@require_http_methods(["GET", "POST"])
def delete(request, pk):
    """GET: the confirmation. POST: delete the archived community for good."""
    community = get_community_for_superadmin(request, pk)
    if community.is_active:
        messages.error(request, f"Archive {community.name} before deleting it.")
        return redirect("communities:index")
    if request.method == "POST":
        services.community_delete(community=community, actor=request.user)
        messages.success(request, f"{community.name} has been deleted for good.")
        return redirect("communities:index")
    context = {
        "community": community,
        "post_count": community.posts.count(),
        "topic_count": community.topics.count(),
    }
    return render(request, "communities/delete.html", context)


@superadmin_required
@require_http_methods(["GET", "POST"])
def create_for_classes(request):
    school = request.user.school
    groups = selectors.groups_for_classes_form(school=school)
    form = ClassesForm(
        request.POST if request.method == "POST" else None, groups=selectors.school_groups(school=school)
    )
    if request.method == "POST" and form.is_valid():
        outcome = services.communities_create_for_classes(
            school=school, groups=list(form.cleaned_data["groups"]), actor=request.user
        )
        if outcome.created:
            messages.success(
                request, f"Created {len(outcome.created)} communities: {', '.join(c.name for c in outcome.created)}."
            )
        if outcome.skipped:
            messages.warning(
                request,
                "Skipped because they already have an active community: "
                + ", ".join(g.name for g in outcome.skipped)
                + ".",
            )
        return redirect("communities:index")
    context = {"form": form, "groups": groups, "selected": {str(v) for v in form["groups"].value() or []}}
    return render(request, "communities/create_for_classes.html", context, status=400 if form.errors else 200)


def _handover_form(request, data=None, initial=None):
    school = request.user.school
    communities = selectors.handover_communities(school=school)
    groups = list(selectors.school_groups(school=school))
    suggestions = {c.pk: selectors.suggested_pass_up_group(community=c, groups=groups) for c in communities}
    return HandoverForm(data, initial=initial, communities=communities, groups=groups, suggestions=suggestions)


@superadmin_required
@require_GET
def handover(request):
    # "Change choices" on the preview comes back here with the choices in the query string.
    form = _handover_form(request, initial=request.GET.dict())
    return render(request, "communities/handover.html", {"form": form})


@superadmin_required
@require_POST
def handover_preview(request):
    """Check your answers: what each community will become. Changes nothing."""
    form = _handover_form(request, request.POST)
    if not form.is_valid():
        return render(request, "communities/handover.html", {"form": form}, status=400)
    choices = form.choices()
    groups = [c.group for c in choices if c.group is not None]
    context = {
        "form": form,
        "choices": choices,
        "class_people": selectors.class_people(groups=groups),
        "changes": [c for c in choices if c.action != services.HandoverAction.KEEP],
    }
    return render(request, "communities/handover_preview.html", context)


@superadmin_required
@require_POST
def handover_apply(request):
    form = _handover_form(request, request.POST)
    if not form.is_valid():
        return render(request, "communities/handover.html", {"form": form}, status=400)
    try:
        outcome = services.handover_apply(school=request.user.school, choices=form.choices(), actor=request.user)
    except RefusedError as exc:
        messages.error(request, str(exc))
        return redirect("communities:handover")
    messages.success(
        request,
        f"Handover done: {outcome.archived} archived, {outcome.copied} copied, {outcome.passed_up} passed up.",
    )
    return redirect("communities:index")
