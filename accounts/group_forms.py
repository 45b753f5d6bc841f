"""Forms for the Groups page and the rollover wizard. They validate input and never write.

Kept apart from accounts/forms.py so the groups area can change without touching the forms of
the Accounts tab.
"""

from django import forms

from accounts.models import YearGroup

NAME_HELP = "For example, Year 3 Oak. Each class in the school needs a different name."


class GroupNameForm(forms.Form):
    name = forms.CharField(
        label="Class name",
        max_length=100,
        help_text=NAME_HELP,
        error_messages={
            "required": "Enter a name for the class",
            "max_length": "Class names are at most 100 characters",
        },
    )

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


class GroupCreateForm(GroupNameForm):
    year_group = forms.ChoiceField(
        label="Year group",
        choices=[("", "No year group")] + list(YearGroup.choices),
        required=False,
        help_text="Classes are listed oldest year first; the rollover wizard moves them up a year.",
    )


class MoveMembersForm(forms.Form):
    pupils = forms.TypedMultipleChoiceField(
        label="Pupils to move", coerce=int, error_messages={"required": "Choose at least one pupil to move"}
    )
    to = forms.TypedChoiceField(
        label="Move them to", coerce=int, error_messages={"required": "Choose the class to move them to"}
    )

    def __init__(self, *args, pupils, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupils"].choices = [(m.user_id, str(m.user)) for m in pupils]
        self.fields["to"].choices = [("", "Choose a class")] + [(g.pk, g.name) for g in groups]


class TeacherAddForm(forms.Form):
    teacher = forms.TypedChoiceField(
        label="Teacher to add", coerce=int, error_messages={"required": "Choose a member of staff to add"}
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = [("", "Choose a member of staff")] + [
            (u.pk, f"{u.get_full_name() or u.username} ({u.username})") for u in staff
        ]


class _Checkboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose group keeps the field's id (Django gives it none), so the leavers step's
    fieldset has an id and the error summary's link for the field has somewhere to go."""

    def id_for_label(self, id_, index=None):
        return id_ if index is None else super().id_for_label(id_, index)


class WizardLeaversForm(forms.Form):
    pupils = forms.TypedMultipleChoiceField(
        label="Pupils who are leaving", coerce=int, required=False, widget=_Checkboxes
    )
    leave_date = forms.DateField(
        label="Leave date",
        help_text="For example, 23/07/2026. The leavers cannot log in from now on.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"],
        error_messages={
            "required": "Enter the leave date",
            "invalid": "Enter the leave date as day/month/year, for example 23/07/2026",
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupils"].choices = [(p.pk, str(p)) for p in candidates]


class WizardClassesForm(forms.Form):
    """One name field per class the wizard may rename and one delete box per empty class.

    Field names are `name_<pk>` and `delete_<pk>` so that the check page can carry them to the
    apply POST as hidden inputs.
    """

    def __init__(self, *args, changes, **kwargs):
        super().__init__(*args, **kwargs)
        self.changes = changes
        for change in changes:
            if change.mis_managed:
                continue
            self.fields[f"name_{change.group_id}"] = forms.CharField(
                label=f"New name for {change.name}",
                max_length=100,
                required=False,
                initial=change.new_name,
            )
            if change.pupils == 0:
                self.fields[f"delete_{change.group_id}"] = forms.BooleanField(
                    label=f"Delete {change.name}", required=False, initial=change.delete
                )

    def clean(self):
        cleaned = super().clean()
        for change in self.changes:
            if change.mis_managed:
                continue
            key = f"name_{change.group_id}"
            deleting = cleaned.get(f"delete_{change.group_id}")
            name = " ".join((cleaned.get(key) or "").split())
            if not deleting and not name and key not in self.errors:
                self.add_error(key, f"Enter a new name for {change.name}")
            cleaned[key] = name
        return cleaned

    def names(self) -> dict[int, str]:
        return {
            c.group_id: self.cleaned_data[f"name_{c.group_id}"]
            for c in self.changes
            if not c.mis_managed and self.cleaned_data.get(f"name_{c.group_id}")
        }

    def delete_ids(self) -> set[int]:
        return {c.group_id for c in self.changes if self.cleaned_data.get(f"delete_{c.group_id}")}

    def rows(self):
        """(change, name field, delete field or None) for the template."""
        for change in self.changes:
            if change.mis_managed:
                yield change, None, None
                continue
            delete = self[f"delete_{change.group_id}"] if f"delete_{change.group_id}" in self.fields else None
            yield change, self[f"name_{change.group_id}"], delete
