"""The JSON API, /api/v1/ (DESIGN.md §6): one module per domain, one error shape, OpenAPI schema and local docs.

Inspections (points, rounds, scoring, market grades), metrics and rankings, and published assessment products
are read (and inspection items scored) through the same services and selectors as the pages.
"""

from __future__ import annotations

from django.urls import path
from ninja import NinjaAPI

from . import cases, categories, docs, errors, inspections, metrics, org, plans, products
from .auth import AUTH

api = NinjaAPI(
    title="文明城市创建管理平台 API",
    version="1.0.0",
    description="负面清单案件、问题类别、单位与辖区、实施方案与目标进度、实地测评、考核指标与排名、考评产品。"
    "错误统一为 {code, message}。",
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
api.add_router("", products.router)


def urls():
    patterns, app_name, namespace = api.urls
    patterns = [path("docs/assets/<str:name>", docs.asset, name="docs-asset"), *patterns]
    return patterns, app_name, namespace
