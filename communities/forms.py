"""Forms for communities. They validate input and never write."""

from django import forms

from accounts.models import Group, User
from communities.models import CommunityMembership
from communities.services import HandoverAction, HandoverChoice


class CommunityNameForm(forms.Form):
    name = forms.CharField(
        label="Community name", max_length=100, error_messages={"required": "Enter a name for the community"}
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name for the community")
        return name


class PostingForm(forms.Form):
    pupils_can_post = forms.BooleanField(
        label="Members who are not leaders may write posts, topics and replies", required=False
    )


class BlogPostForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200, error_messages={"required": "Enter a title"})
    body = forms.CharField(
        label="Post", widget=forms.Textarea(attrs={"rows": 5}), error_messages={"required": "Write your post"}
    )


class ForumTopicForm(forms.Form):
    title = forms.CharField(label="Topic", max_length=200, error_messages={"required": "Enter a topic"})
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 4}), error_messages={"required": "Write a message"}
    )


class ForumReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Write your reply"}
    )


class PeopleAddForm(forms.Form):
    """Pick accounts from the ones offered (a queryset already scoped to the school)."""

    people = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one person to add"},
    )
    role = forms.ChoiceField(
        choices=CommunityMembership.Role.choices, initial=CommunityMembership.Role.MEMBER, label="Add as"
    )

    def __init__(self, *args, people, allow_leader: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people
        self.fields["people"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.username})"
        if not allow_leader:
            self.fields["role"].choices = [(CommunityMembership.Role.MEMBER, "Member")]


class ClassAddForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=Group.objects.none(),
        label="Class",
        empty_label="Choose a class",
        error_messages={"required": "Choose a class"},
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class ClassesForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Classes",
        error_messages={"required": "Select at least one class"},
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups


class ArchiveForm(forms.Form):
    remove_members = forms.BooleanField(
        label="Remove members",
        required=False,
        help_text="End everyone's membership. The archive still records who was in it.",
    )
    rollover = forms.BooleanField(
        label="Rollover",
        required=False,
        help_text=(
            "Also create a new active copy with the same name, class, blog posts and forum topics, and no members."
        ),
    )


class HandoverForm(forms.Form):
    """One row per active community: what to do with it, and for "pass up" which class and name."""

    def __init__(self, *args, communities, groups, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        self.communities = communities
        self.group_map = {g.pk: g for g in groups}
        group_choices = [("", "Choose a class")] + [(str(g.pk), g.name) for g in groups]
        for community in communities:
            suggested = suggestions.get(community.pk)
            self.fields[f"action_{community.pk}"] = forms.ChoiceField(
                label=f"What happens to {community.name}", choices=HandoverAction.choices, initial=HandoverAction.KEEP
            )
            self.fields[f"group_{community.pk}"] = forms.ChoiceField(
                label=f"Class to pass {community.name} up to",
                choices=group_choices,
                required=False,
                initial=str(suggested.pk) if suggested else "",
            )
            self.fields[f"name_{community.pk}"] = forms.CharField(
                label=f"New name for {community.name}",
                max_length=100,
                required=False,
                help_text="Leave blank to use the class's name.",
            )

    def rows(self):
        """(community, action field, class field, name field) for the template."""
        return [(c, self[f"action_{c.pk}"], self[f"group_{c.pk}"], self[f"name_{c.pk}"]) for c in self.communities]

    def clean(self):
        cleaned = super().clean()
        for community in self.communities:
            action = cleaned.get(f"action_{community.pk}")
            group_id = cleaned.get(f"group_{community.pk}")
            if action == HandoverAction.PASS_UP and not group_id:
                self.add_error(f"group_{community.pk}", f"Choose the class to pass {community.name} up to")
        return cleaned

    def choices(self) -> list[HandoverChoice]:
        result = []
        for community in self.communities:
            action = self.cleaned_data[f"action_{community.pk}"]
            group_id = self.cleaned_data.get(f"group_{community.pk}")
            group = self.group_map.get(int(group_id)) if action == HandoverAction.PASS_UP and group_id else None
            name = self.cleaned_data.get(f"name_{community.pk}", "") if action == HandoverAction.PASS_UP else ""
            result.append(HandoverChoice(community=community, action=action, group=group, name=name))
        return result
