from django import forms
from django.conf import settings


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet file",
        help_text="An .xlsx or .csv file",
        error_messages={"required": "Choose a spreadsheet file to upload", "empty": "The file is empty"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    create_groups = forms.BooleanField(
        label="Create missing classes",
        required=False,
        help_text="Classes named in the file that the school does not have yet are created with the pupils.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file must be smaller than {limit / 1024 / 1024:.0f} MB. Split it into smaller files."
            )
        return upload


class ConfirmForm(forms.Form):
    """Which likely duplicates to import anyway; the choices are the preview's tickable rows."""

    include = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, tickable_rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["include"].choices = [(n, str(n)) for n in tickable_rows]
