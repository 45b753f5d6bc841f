from django.contrib.auth.backends import ModelBackend

from accounts.models import Status, User


class CaseInsensitiveUsernameBackend(ModelBackend):
    """Usernames are unique case-insensitively, so 'ZoeO' logs in as 'zoeo'. Leavers cannot log in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = User.objects.select_related("school").get(username__iexact=username.strip())
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check, so timing reveals nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and user.status == Status.ACTIVE

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("school").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials):
    """Axes counts failures per lower-cased username, matching how logins are looked up."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()
