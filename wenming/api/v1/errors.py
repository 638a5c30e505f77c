"""One error shape for the whole JSON API: {"code": ..., "message": ...} with a Chinese message (STYLE.md).

Field problems add `details`: [{"field": ..., "message": ...}]. Ninja's own handlers (English, 422, a different
shape) are replaced here, and anything unexpected becomes a 500 in the same shape, never an HTML page.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from wenming.cases.workflow import CaseChanged, WorkflowError

logger = logging.getLogger(__name__)


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    details: list[FieldError] | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def not_found(message: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message or _("未找到该资源"))


def forbidden(message: str | None = None) -> ApiError:
    return ApiError(403, "forbidden", message or _("您无权执行此操作"))


ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 429)


def responses(ok: dict[int, object]) -> dict[int, object]:
    """An operation's documented responses: its successes plus every error it may answer with."""
    return {**ok, **dict.fromkeys(ERROR_STATUSES, ErrorOut)}


# pydantic error types → a Chinese sentence (the message users and integrators read)
_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "too_long": "条目过多",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "float_parsing": "必须是数字",
    "float_type": "必须是数字",
    "finite_number": "必须是有限的数字",
    "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false",
    "string_type": "必须是文本",
    "datetime_parsing": "时间格式不正确，请使用 ISO 8601（如 2019-10-08T09:00:00+08:00）",
    "datetime_from_date_parsing": "时间格式不正确，请使用 ISO 8601（如 2019-10-08T09:00:00+08:00）",
    "datetime_type": "时间格式不正确，请使用 ISO 8601（如 2019-10-08T09:00:00+08:00）",
    "date_parsing": "日期格式不正确，请使用 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式不正确，请使用 YYYY-MM-DD",
    "date_type": "日期格式不正确，请使用 YYYY-MM-DD",
    "timezone_aware": "时间必须带时区（如 +08:00）",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "decimal_parsing": "必须是数字",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "请求体格式不正确",
    "dict_type": "请求体必须是 JSON 对象",
    "list_type": "必须是列表",
    "value_error": "取值无效",
}


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "header", "payload", "data")]
    return ".".join(parts) or "body"


def install(api) -> None:
    def respond(request, status, code, message, details=None):
        body = {"code": code, "message": message}
        if details:
            body["details"] = details
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        response = respond(request, exc.status, exc.code, exc.message, exc.details)
        if exc.status == 429 and exc.details is None and getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(NinjaValidationError)
    def _validation(request, exc: NinjaValidationError):
        details = []
        for err in exc.errors:
            text = _PYDANTIC_MESSAGES.get(err.get("type", ""), "取值无效")
            details.append({"field": _field_name(err.get("loc", ())), "message": _(text)})
        return respond(request, 400, "invalid", _("请求参数有误，请检查后重试"), details)

    @api.exception_handler(DjangoValidationError)
    def _django_validation(request, exc: DjangoValidationError):
        details = []
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                details.extend({"field": field, "message": m} for m in errors)
        else:
            details = [{"field": "body", "message": m} for m in exc.messages]
        message = details[0]["message"] if len(details) == 1 else _("提交的内容有误，请检查后重试")
        return respond(request, 400, "invalid", message, details)

    @api.exception_handler(CaseChanged)
    def _changed(request, exc: CaseChanged):
        return respond(request, 409, exc.code, exc.message)

    @api.exception_handler(WorkflowError)
    def _workflow(request, exc: WorkflowError):
        status = 403 if exc.code == "forbidden" else 409 if exc.code == "illegal_state" else 400
        return respond(request, status, exc.code, exc.message)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        message = exc.message if exc.message != "Unauthorized" else _("请先登录或提供有效的访问令牌")
        return respond(request, 401, "unauthorized", message)

    @api.exception_handler(Throttled)
    def _throttled(request, exc):
        return respond(request, 429, "rate_limited", _("请求过于频繁，请稍后再试"))

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        if exc.status_code == 404:
            return respond(request, 404, "not_found", _("未找到该资源"))
        if exc.status_code == 403:
            return respond(request, 403, "forbidden", _("您无权执行此操作"))
        return respond(request, exc.status_code, "bad_request", _("请求有误"))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, "not_found", _("未找到该资源"))

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return respond(request, 403, "forbidden", _("您无权执行此操作"))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return respond(request, 413, "payload_too_large", _("提交的内容过大"))

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        logger.exception("API error on %s", request.path)
        return respond(request, 500, "server_error", _("服务器内部错误，请稍后重试"))
