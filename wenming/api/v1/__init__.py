"""The JSON API, /api/v1/ (DESIGN.md §6): one module per domain, one error shape, OpenAPI schema and local docs.

Skipped for now: inspections, metrics and assessment products (those apps have no committed models yet).
"""

from __future__ import annotations

from django.urls import path
from ninja import NinjaAPI

from . import cases, categories, docs, errors, inspections, metrics, org, plans
from .auth import AUTH

api = NinjaAPI(
    title="文明城市创建管理平台 API",
    version="1.0.0",
    description="负面清单案件、问题类别、单位与辖区、实施方案与目标进度。错误统一为 {code, message}。",
    urls_namespace="api-v1",
    auth=AUTH,
    docs=docs.LocalSwagger(),
    docs_url="/docs",
)
errors.install(api)
api.add_router("", cases.router)
api.add_router("", categories.router)
api.add_router("", org.router)
api.add_router("", plans.router)
api.add_router("", inspections.router)
api.add_router("", metrics.router)


def urls():
    patterns, app_name, namespace = api.urls
    patterns = [path("docs/assets/<str:name>", docs.asset, name="docs-asset"), *patterns]
    return patterns, app_name, namespace
