"""Communities: a leader's cog (manage membership, rename, delete entries), the superadmin's archive
with Rollover, and the three homepage looks with their community tile, all under the CSP.

Ported from the old tests/communities/test_browser.py (which started a second Playwright) onto the
shared harness and the demo data.
"""

import re

import pytest

from accounts.models import User
from communities.models import BlogPost, Community, CommunityMembership, ForumTopic
from tests.browser.harness import activate, login, shoot, tab_to, tick, type_into, visit


def led_by(username: str) -> Community:
    return (
        Community.objects.filter(
            status="active",
            memberships__user__username=username,
            memberships__role="leader",
            memberships__end_date__isnull=True,
        )
        .order_by("pk")
        .first()
    )


class CommunityCogTests:
    def test_a_leader_manages_membership_renames_and_deletes_entries_from_the_cog(self, page):
        community = led_by("demo-teacher")
        assert community is not None, "the demo teacher leads a community"
        pupil = (
            CommunityMembership.objects.filter(community=community, user__role="pupil", end_date__isnull=True)
            .select_related("user")
            .first()
            .user
        )
        login(page, "demo-teacher")
        visit(page, community.get_absolute_url())
        shoot(page, "community")

        activate(page, rf"^a\|.*Settings\s*for {community.name}")
        shoot(page, "community-settings")

        activate(page, r"^a\|.*\|Manage membership$")
        shoot(page, "community-members")
        activate(
            page,
            rf"^button\|submit\|.*Remove\s*{pupil.get_full_name()}$",
        )
        assert not CommunityMembership.objects.filter(community=community, user=pupil, end_date__isnull=True).exists()
        assert pupil.get_full_name() not in page.locator("table").inner_text()

        visit(page, f"/communities/{community.pk}/settings/")
        activate(page, r"^a\|.*Rename")
        type_into(page, r"^input\|text\|", "")
        page.keyboard.press("Control+A")
        page.keyboard.type("Owls next year")
        activate(page, r"^button\|submit\|.*\|Save name$")
        community.refresh_from_db()
        assert community.name == "Owls next year"

        posts = list(BlogPost.objects.filter(community=community).order_by("pk")[:2])
        topic = ForumTopic.objects.filter(community=community).order_by("pk").first()
        assert posts and topic
        visit(page, f"/communities/{community.pk}/settings/")
        activate(page, r"^a\|.*\|Delete entries$")
        for post in posts:
            tick(page, rf"^input\|checkbox\|post-{post.pk}\|")
        tick(page, rf"^input\|checkbox\|topic-{topic.pk}\|")
        shoot(page, "community-entries")
        activate(page, r"^button\|submit\|.*\|Delete selected entries$")
        for post in posts:
            assert post.title in page.locator("main").inner_text()  # the confirmation lists them
        shoot(page, "community-entries-confirm")
        activate(page, r"^button\|submit\|.*\|Delete entries$")
        assert not BlogPost.objects.filter(pk__in=[p.pk for p in posts]).exists()
        assert not ForumTopic.objects.filter(pk=topic.pk).exists()


class CommunitiesTabTests:
    def test_the_superadmin_archives_a_community_with_rollover(self, page):
        community = Community.objects.filter(school__slug="demo", status="active").order_by("pk").first()
        members = CommunityMembership.objects.filter(community=community, end_date__isnull=True).count()
        posts = BlogPost.objects.filter(community=community).count()
        login(page, "demo-superadmin")
        visit(page, "/communities/")
        shoot(page, "communities-tab")

        tick(
            page,
            rf"^input\|checkbox\|.*{community.name}",
        )
        activate(page, r"^button\|submit\|.*\|Archive$")
        assert community.name in page.locator(".summary-list").inner_text()
        tick(page, r"^input\|checkbox\|.*Rollover")
        shoot(page, "communities-archive-confirm")
        activate(page, r"^button\|submit\|.*\|Archive Communities$")

        community.refresh_from_db()
        assert community.status == "archived"
        copy = Community.objects.get(school=community.school, name=community.name, status="active")
        assert BlogPost.objects.filter(community=copy).count() == posts
        assert not CommunityMembership.objects.filter(community=copy, end_date__isnull=True).exists()
        assert members  # the demo community had members to leave behind
        visit(page, "/communities/handover/")
        visit(page, "/communities/create-for-classes/")


class HomepageLookTests:
    @pytest.mark.parametrize(("year_group", "look"), [("R", "early_years"), ("Y1", "starter"), ("Y3", "improver")])
    def test_each_homepage_look_shows_the_community_tile(self, page, year_group, look):
        pupil = (
            User.objects.filter(
                school__slug="demo",
                role="pupil",
                status="active",
                year_group=year_group,
                community_memberships__end_date__isnull=True,
                community_memberships__community__status="active",
            )
            .order_by("pk")
            .first()
        )
        login(page, pupil.username)
        assert page.locator("body").get_attribute("class") == f"theme-{look}"
        tile = page.locator(".tile a")
        assert tile.count() >= 1
        box = tile.first.bounding_box()
        if look == "early_years":
            assert page.locator(".tile-picture").first.evaluate("img => img.complete && img.naturalWidth > 0")
            assert box["height"] >= 200  # large picture-led tiles
        elif look == "improver":
            assert box["height"] < 100  # a compact list
        shoot(page, f"home-communities-{look}")
        label = tile.first.inner_text().strip().splitlines()[0]
        tab_to(page, rf"^a\|.*{re.escape(label)}")  # the tile is a link the keyboard reaches
