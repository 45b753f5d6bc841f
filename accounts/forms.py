import math

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.credentials import USERNAME_RE, USERNAME_RULE, password_policy_errors
from accounts.models import Role, School, Theme, User, YearGroup, normalise_upn, validate_upn
from accounts.selectors import groups_for_school


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password. Passwords are case-sensitive.",
        "inactive": "This account is no longer active. Ask your school office.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


# --- Accounts tab, pupil and staff pages, new account, leavers, school settings -------------
BULK_MAX_IDS = 1000


class IdListField(forms.Field):
    """Several account ids from checkboxes or hidden inputs, as a sorted list of distinct ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError("Choose accounts from the list") from None
        if len(ids) > BULK_MAX_IDS:
            raise ValidationError(
                f"Choose at most {BULK_MAX_IDS} accounts by ticking them, or use “select all matching”"
            )
        return ids


class BulkSelectionForm(forms.Form):
    """Which accounts a bulk action is for: ticked ids, or every account matching a filter.

    "All matching" carries the Accounts tab's filter querystring, not thousands of ids; the
    confirmation page re-runs it and `expected` (the count the admin confirmed) guards against
    the set changing between the confirmation and the POST.
    """

    ids = IdListField(required=False)
    all_matching = forms.BooleanField(required=False, widget=forms.HiddenInput)
    filter = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("all_matching") and not data.get("ids"):
            raise ValidationError("Select at least one account", code="empty")
        return data

    @property
    def filter_query(self) -> str | None:
        return (self.cleaned_data.get("filter") or "") if self.cleaned_data.get("all_matching") else None


class LeaveForm(forms.Form):
    leave_date = forms.DateField(
        label="Leave date", help_text="For example, 23/07/2026. Today or earlier.",
        error_messages={"required": "Enter the leave date", "invalid": "Enter the leave date as day/month/year"},
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_leave_date(self):
        value = self.cleaned_data["leave_date"]
        if value > self.today:
            raise ValidationError("The leave date must be today or in the past")
        return value


class MoveForm(forms.Form):
    group = forms.ModelChoiceField(
        label="Class to move them to", queryset=None, empty_label="Choose a class",
        error_messages={"required": "Choose the class to move them to"},
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups_for_school(school=school)


def _check_unique(*, school, field: str, value, exclude_pk=None, label: str):
    if not value:
        return
    clash = User.objects.filter(school=school, **{field: value})
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.first()
    if other is not None:
        raise ValidationError(f"{label} {value} already belongs to {other.get_full_name() or other.username}")


def _clean_upn(value, *, school, exclude_pk=None):
    upn = normalise_upn(value)
    if upn:
        validate_upn(upn)
        _check_unique(school=school, field="upn", value=upn, exclude_pk=exclude_pk, label="UPN")
    return upn


class PupilForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150, error_messages={"required": "Enter a first name"})
    last_name = forms.CharField(label="Surname", max_length=150, error_messages={"required": "Enter a surname"})
    group = forms.ModelChoiceField(label="Class", queryset=None, required=False, empty_label="No class")
    year_group = forms.ChoiceField(label="Year group", choices=[("", "Not set"), *YearGroup.choices], required=False)
    theme = forms.ChoiceField(label="Homepage theme", choices=Theme.choices)
    theme_pinned = forms.BooleanField(
        label="Keep this theme whatever the year group (pin it)", required=False,
        help_text="Unpinned, the theme follows the year group: Early Years, Starter (KS1), Improver (KS2).",
    )
    admission_number = forms.CharField(label="Admission number", max_length=20, required=False)
    upn = forms.CharField(
        label="UPN", max_length=20, required=False, help_text="Unique Pupil Number: 13 characters, for example A123456789012"
    )

    def __init__(self, *args, school, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.school, self.pupil = school, pupil
        self.fields["group"].queryset = groups_for_school(school=school)

    def clean_admission_number(self):
        value = self.cleaned_data["admission_number"].strip() or None
        _check_unique(school=self.school, field="admission_number", value=value, exclude_pk=self.pupil.pk,
                      label="Admission number")
        return value

    def clean_upn(self):
        return _clean_upn(self.cleaned_data["upn"], school=self.school, exclude_pk=self.pupil.pk)


STAFF_ROLE_CHOICES = [(Role.STAFF, "Staff"), (Role.ADMIN, "Admin"), (Role.SUPERADMIN, "Superadmin")]


class StaffForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150, error_messages={"required": "Enter a first name"})
    last_name = forms.CharField(label="Surname", max_length=150, error_messages={"required": "Enter a surname"})
    email = forms.EmailField(label="Email address", required=False,
                             error_messages={"invalid": "Enter an email address like name@school.org.uk"})
    role = forms.ChoiceField(
        label="Role", choices=STAFF_ROLE_CHOICES,
        help_text="Admins use the admin toolbox. Only a superadmin can make someone an admin.",
    )

    def __init__(self, *args, actor, account, **kwargs):
        super().__init__(*args, **kwargs)
        if actor.role != Role.SUPERADMIN or actor.pk == account.pk:
            # Disabled fields ignore what is posted and keep the initial (current) role.
            self.fields["role"].disabled = True


class NewAccountForm(forms.Form):
    role = forms.ChoiceField(label="Type of account", choices=[], widget=forms.RadioSelect,
                             error_messages={"required": "Choose the type of account"})
    first_name = forms.CharField(label="First name", max_length=150, error_messages={"required": "Enter a first name"})
    last_name = forms.CharField(label="Surname", max_length=150, error_messages={"required": "Enter a surname"})
    group = forms.ModelChoiceField(
        label="Class", queryset=None, required=False, empty_label="No class",
        help_text="A pupil joins it as a pupil, staff as a teacher.",
    )
    year_group = forms.ChoiceField(
        label="Year group (pupils)", choices=[("", "Same as the class"), *YearGroup.choices], required=False
    )
    theme = forms.ChoiceField(
        label="Homepage theme (pupils)", choices=[("", "Follow the year group"), *Theme.choices], required=False
    )
    username = forms.CharField(label="Username", max_length=30, required=False,
                               help_text="Leave blank to make one from the name.")
    password = forms.CharField(label="Password", max_length=128, required=False,
                               help_text="Leave blank to make one in the school's password style.",
                               widget=forms.TextInput(attrs={"autocomplete": "new-password"}))
    admission_number = forms.CharField(label="Admission number (pupils)", max_length=20, required=False)
    upn = forms.CharField(label="UPN (pupils)", max_length=20, required=False,
                          help_text="13 characters, for example A123456789012")
    email = forms.EmailField(label="Email address (staff)", required=False,
                             error_messages={"invalid": "Enter an email address like name@school.org.uk"})

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = actor.school
        choices = [(Role.PUPIL, "Pupil"), (Role.STAFF, "Staff")]
        if actor.role == Role.SUPERADMIN:
            choices += [(Role.ADMIN, "Admin (uses the admin toolbox)"), (Role.SUPERADMIN, "Superadmin")]
        self.fields["role"].choices = choices
        self.fields["group"].queryset = groups_for_school(school=self.school)

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        if not value:
            return ""
        if not USERNAME_RE.match(value):
            raise ValidationError(f"A username is {USERNAME_RULE}")
        if User.objects.filter(username__iexact=value).exists():
            raise ValidationError(f"The username {value} is taken. Choose another or leave it blank")
        return value

    def clean_password(self):
        value = self.cleaned_data["password"]
        if value:
            errors = password_policy_errors(school=self.school, password=value)
            if errors:
                raise ValidationError(errors)
        return value

    def clean_admission_number(self):
        value = self.cleaned_data["admission_number"].strip() or None
        _check_unique(school=self.school, field="admission_number", value=value, label="Admission number")
        return value

    def clean_upn(self):
        return _clean_upn(self.cleaned_data["upn"], school=self.school)

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.PUPIL and not data.get("year_group"):
            group = data.get("group")
            if group is None or not group.year_group:
                self.add_error("year_group", "Choose the pupil's year group, or a class that has one")
        return data

    def new_account(self):
        """The form's answers as the shared `NewAccount` the import also uses."""
        from accounts.services.accounts import NewAccount

        data = self.cleaned_data
        is_pupil = data["role"] == Role.PUPIL
        return NewAccount(
            forename=data["first_name"], surname=data["last_name"], role=data["role"],
            username=data["username"], password=data["password"], group=data["group"],
            year_group=data["year_group"] if is_pupil else "",
            theme=data["theme"] if is_pupil else "",
            admission_number=data["admission_number"] if is_pupil else None,
            upn=data["upn"] if is_pupil else None,
            email="" if is_pupil else data["email"],
        )


class ReinstateForm(forms.Form):
    group = forms.ModelChoiceField(
        label="Class", queryset=None, required=False, empty_label="No class",
        help_text="They join it from today.",
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups_for_school(school=school)


def retention_days_for_months(months: int) -> int:
    """1–12 months as days (30.5 a month, so 6 months is the default 183), never above 366."""
    return min(366, math.ceil(months * 30.5))


def retention_months_for_days(days: int) -> int:
    return max(1, min(12, round(days / 30.5)))


class SchoolSettingsForm(forms.Form):
    leaver_retention_months = forms.IntegerField(
        label="Keep leavers for (months)", min_value=1, max_value=12,
        help_text="Leavers are deleted for good this many months after they left. From 1 to 12.",
        error_messages={
            "required": "Enter how many months to keep leavers",
            "invalid": "Enter a whole number of months, from 1 to 12",
            "min_value": "Keep leavers for at least 1 month",
            "max_value": "Leavers can be kept for at most 12 months",
        },
    )
    username_scheme = forms.ChoiceField(label="Usernames", choices=School.UsernameScheme.choices,
                                        help_text="For new accounts; existing usernames do not change.")
    password_style = forms.ChoiceField(label="Passwords", choices=School.PasswordStyle.choices,
                                       help_text="For new accounts and password resets.")

    @property
    def leaver_retention_days(self) -> int:
        return retention_days_for_months(self.cleaned_data["leaver_retention_months"])

