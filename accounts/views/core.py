from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from accounts import selectors
from accounts.access import admin_required, school_member_required
from accounts.credential_sheets import credential_sheet_load, credential_sheet_xlsx, login_cards_pdf
from accounts.models import ADMIN_ROLES
from misync.selectors import health_for_school


@login_required
def home(request):
    """Operators go to the admin site; everyone else to their school homepage."""
    if request.user.school_id is None:
        if request.user.is_staff:
            return redirect("admin:index")
        raise Http404("Not found")
    return redirect("homepage")


@school_member_required
def homepage(request):
    user = request.user
    context = {
        "theme": user.theme_follows() if user.role == "pupil" else "improver",
        "groups": selectors.groups_for_user(user=user),
        "communities": _communities_for(user),
        "show_toolbox": user.role in ADMIN_ROLES,
    }
    return render(request, "accounts/homepage.html", context)


def _communities_for(user):
    """The account's active communities, when the communities app provides them."""
    try:
        from communities.selectors import communities_for_homepage
    except ImportError:
        return None
    return communities_for_homepage(user=user)


@admin_required
def toolbox(request):
    school = request.user.school
    counts = selectors.school_counts(school=school)
    # The MIS sync banner (templates/misync/_status_banner.html); not shown while integration is off.
    mis_health = health_for_school(school=school)
    context = {"counts": counts, "mis_health": mis_health if mis_health.state != "off" else None}
    return render(request, "accounts/toolbox.html", context)


def _sheet_or_404(request, token):
    sheet = credential_sheet_load(admin=request.user, token=token)
    if sheet is None:
        raise Http404("These passwords are no longer available")
    return sheet


@admin_required
def credentials(request, token):
    sheet = _sheet_or_404(request, token)
    return render(request, "accounts/credentials.html", {"sheet": sheet})


@admin_required
def credentials_xlsx(request, token):
    sheet = _sheet_or_404(request, token)
    response = HttpResponse(
        credential_sheet_xlsx(sheet),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{slugify(sheet.title) or "logins"}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@admin_required
def credentials_pdf(request, token):
    sheet = _sheet_or_404(request, token)
    response = HttpResponse(login_cards_pdf(sheet), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{slugify(sheet.title) or "login-cards"}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
