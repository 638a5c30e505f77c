"""Login with lockout after repeated failures (等保 2.0, GB/T 22239-2019 身份鉴别)."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from wenming.core import clock

from .models import User


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle for user names
            return None
        if user.is_locked():
            if request is not None:
                request.wenming_locked = True
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        failures = user.failed_logins + 1
        locked_until = None
        if failures >= settings.WENMING_LOGIN_MAX_FAILURES:
            locked_until = clock.now() + dt.timedelta(minutes=settings.WENMING_LOGIN_LOCK_MINUTES)
            failures = 0
        User.objects.filter(pk=user.pk).update(failed_logins=failures, locked_until=locked_until)
        return None
