"""The browsable API docs, served entirely from this server.

Ninja's Swagger page loads its JavaScript from a CDN unless "ninja" is in INSTALLED_APPS (it is not, and adding it
is a settings change). So the page here is our own template, and the Swagger UI files bundled inside the
installed django-ninja package are served by `asset()` from a fixed allow-list: no outside host at run time.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.html import escape
from ninja.openapi.docs import DocsBase

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"}

PAGE = """<!DOCTYPE html>
<html lang="zh-hans">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="icon" href="{assets}favicon.png">
</head>
<body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script src="{assets}swagger-ui-init.js"></script>
</body>
</html>
"""


class LocalSwagger(DocsBase):
    def render_page(self, request, api, **kwargs) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        assets = reverse("api-v1:docs-asset", kwargs={"name": "x"})[:-1]
        body = PAGE.format(
            title=escape(api.title), assets=assets, settings=json.dumps(settings).replace("</", "<\\/")
        )
        return HttpResponse(body, content_type="text/html; charset=utf-8")


def asset(request, name: str):
    if name not in ASSETS or not (ASSET_DIR / name).is_file():
        raise Http404(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(open(ASSET_DIR / name, "rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
