from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "wenming.api"
    label = "api"
    verbose_name = _("开放接口")

    def ready(self):
        # Webhooks hear every case event from every entry point (pages, API, Open311, jobs) — see
        # cases.workflow.on_case_event — so no page can forget to announce.
        from wenming.cases.workflow import on_case_event

        from .webhooks import emit_case_event

        on_case_event(emit_case_event)
