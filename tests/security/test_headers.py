"""Security headers on every kind of page, and Django's production deployment checks."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def pages(client, people):
    yield client.get(reverse("login"))
    client.force_login(people.pupil)
    yield client.get(reverse("homepage"))
    client.force_login(people.admin)
    yield client.get(reverse("toolbox"))
    yield client.get("/no-such-page/")


class HeaderTests:
    def test_every_page_has_a_strict_content_security_policy(self, client, people):
        for response in pages(client, people):
            csp = response["Content-Security-Policy"]
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
            assert directives["script-src"] == "'self'"
            assert directives["style-src"] == "'self'"
            assert directives["default-src"] == "'self'"
            assert directives["frame-ancestors"] == "'none'"
            assert directives["object-src"] == "'none'"

    def test_every_page_forbids_framing_and_sniffing_and_keeps_referrers_in_house(self, client, people):
        for response in pages(client, people):
            assert response["X-Frame-Options"] == "DENY"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Referrer-Policy"] == "same-origin"
            assert response["Cross-Origin-Opener-Policy"] == "same-origin"

    def test_no_template_has_inline_script_or_style(self):
        """The CSP would block them in the browser, silently; catch them here instead."""
        import re
        from pathlib import Path

        offenders = []
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"<style\b", text):
                offenders.append(f"{path}: inline <script> or <style>")
            if re.search(r"\sstyle\s*=", text) or re.search(r"\son[a-z]+\s*=", text):
                offenders.append(f"{path}: inline style= or on*= handler")
        assert not offenders, "\n".join(offenders)


# Variables that make settings less strict than production; the deploy check must not inherit them.
RELAXING = {"DJANGO_ALLOW_ASYNC_UNSAFE", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"}


def check_deploy(tmp_path, **overrides):
    """`manage.py check --deploy --fail-level WARNING` in a subprocess with production values."""
    env = {key: value for key, value in os.environ.items() if key not in RELAXING}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="school.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
        **overrides,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


class DeployCheckTests:
    def test_the_production_settings_pass_check_deploy_at_warning_level(self, tmp_path):
        result = check_deploy(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_check_deploy_fails_when_production_hardening_is_switched_off(self, tmp_path):
        """The opposite case: the check above would notice a weakened setting."""
        result = check_deploy(tmp_path, SESSION_COOKIE_SECURE="0")
        assert result.returncode != 0
        assert "security.W012" in result.stdout + result.stderr
