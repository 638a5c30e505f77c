"""makemessages that also extracts ``_g``.

Several modules (cases.views_intake, cases.services, cases.workflow, inspections.services, portal.views) import
``from django.utils.translation import gettext as _g`` for the eager ``gettext`` (``_`` is ``gettext_lazy`` where
both are needed, as in cases.views_intake). Django's xgettext keywords do not include ``_g``, so those strings never reached the .po and stayed
Chinese in the English UI. This command adds ``--keyword=_g`` so they are extracted like any ``gettext`` call.
"""

from __future__ import annotations

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = MakeMessagesCommand.xgettext_options + ["--keyword=_g"]
