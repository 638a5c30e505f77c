"""The unread-notification count for the page header (issue #3 §3).

Lazy: the COUNT runs only on pages that show it, and only for signed-in users. Enable with
`"wenming.cases.context_processors.notifications"` in TEMPLATES[0]["OPTIONS"]["context_processors"].
"""

from django.utils.functional import SimpleLazyObject


def unread_count(user) -> int:
    from .models import Notification

    return Notification.objects.for_user(user).unread().count()


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
