"""The school's own settings: leaver retention, username scheme, password style."""

from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.access import admin_required
from accounts.forms import SchoolSettingsForm, retention_months_for_days
from accounts.services.schools import school_settings_update


@admin_required
def school_settings(request):
    school = request.user.school
    initial = {
        "leaver_retention_months": retention_months_for_days(school.leaver_retention_days),
        "username_scheme": school.username_scheme,
        "password_style": school.password_style,
    }
    form = SchoolSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = school_settings_update(
            actor=request.user,
            leaver_retention_days=form.leaver_retention_days,
            username_scheme=form.cleaned_data["username_scheme"],
            password_style=form.cleaned_data["password_style"],
        )
        messages.success(request, "School settings saved." if changed else "Nothing was changed.")
        return redirect("school_settings")
    return render(request, "accounts/school_settings.html", {"form": form})
