from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.models import Group
from misync.models import CONNECTOR_CHOICES


class MisSettingsForm(forms.Form):
    connector = forms.ChoiceField(label="MIS connector", choices=CONNECTOR_CHOICES)
    base_url = forms.CharField(
        label="Base URL or path",
        max_length=500,
        required=False,
        help_text="The middleware's web address (https://…), or for file exports the file, folder or URL to read.",
    )
    school_ref = forms.CharField(
        label="School or establishment id",
        max_length=100,
        required=False,
        help_text="Xporter estab, Wonde school id, or OneRoster org sourcedId.",
    )
    client_id = forms.CharField(
        label="Client id or relying party",
        max_length=200,
        required=False,
        help_text="Leave blank to keep what is stored.",
    )
    secret = forms.CharField(
        label="Replace password or API token",
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave blank to keep the stored one. It is never shown again once saved.",
    )
    clear_credentials = forms.BooleanField(label="Remove the stored credentials", required=False)
    enabled = forms.BooleanField(label="Run the nightly sync", required=False)
    nightly_time = forms.TimeField(
        label="Nightly time",
        help_text="In the school's time zone, as HH:MM (for example 02:30).",
        widget=forms.TimeInput(format="%H:%M"),
    )
    pause_until = forms.DateField(
        label="Pause until",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="No nightly syncs up to and including this date (for example over the summer).",
    )
    sync_hold_percent = forms.IntegerField(
        label="Hold when more than this percentage of pupils would vanish",
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    sync_hold_count = forms.IntegerField(
        label="Hold when more than this many pupils would vanish",
        validators=[MinValueValidator(1)],
    )

    def clean_base_url(self):
        value = self.cleaned_data["base_url"].strip()
        if value.startswith("http://") and not value.startswith(("http://127.0.0.1", "http://localhost")):
            raise forms.ValidationError("Enter an https:// address: the MIS sends pupils' personal data")
        return value

    def credentials(self, existing: dict) -> dict | None:
        """The credentials to store, or None to keep the stored ones."""
        data = self.cleaned_data
        if data["clear_credentials"]:
            return {}
        if not data["secret"] and not data["client_id"]:
            return None
        secret = data["secret"] or existing.get("secret", "")
        client_id = data["client_id"] or existing.get("id", "")
        # One stored shape, with the names each connector reads (see misync README section).
        return {
            "id": client_id,
            "secret": secret,
            "relying_party": client_id,
            "third_party_id": client_id,
            "password": secret,
            "token": secret,
        }


class PreviewForm(forms.Form):
    date = forms.DateField(
        label="Plan for the night of",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="The run early on this date (school time).",
    )


class IssueLoginsForm(forms.Form):
    group = forms.ModelChoiceField(label="Class", queryset=Group.objects.none(), empty_label="Choose a class")
    include_all = forms.BooleanField(
        label="Give every pupil in the class a new password, including those who already have one", required=False
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(school=school).order_by("name")
        self.fields["group"].error_messages["invalid_choice"] = "Choose a class from the list"
        self.fields["group"].error_messages["required"] = "Choose a class"
