"""The OpenAPI schema's shared parts: the JSON error envelope on every operation (drf-spectacular hook)."""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "每个错误的统一格式 (shijiao/api.py): code 供程序判断, message 给人看 (随 Accept-Language), "
    "errors 按字段列出 (表单可放在对应输入框下)。",
    "required": ["code", "message", "errors"],
    "properties": {
        "code": {"type": "string", "example": "invalid"},
        "message": {"type": "string", "example": "身份证号校验位不正确, 请核对"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"id_number": ["身份证号校验位不正确, 请核对"]},
        },
        "retry_after": {"type": "integer", "description": "throttled 时: 几秒后再试"},
    },
}
WHY = {
    "400": "请求有误 (字段错误在 errors 中)",
    "401": "未登录或令牌过期",
    "403": "无权执行",
    "404": "未找到 (或不在您的范围内)",
    "409": "与当前状态冲突 (重复提交等)",
    "413": "请求体过大",
    "429": "请求太频繁",
    "default": "其他错误 (同一格式)",
}


def _response(code: str) -> dict:
    return {"$ref": f"#/components/responses/Error{code.capitalize()}"}


def error_envelope(result: dict, generator, request, public) -> dict:
    """Add the ``Error`` schema and the error responses every operation may answer with."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR
    components.setdefault("responses", {}).update(
        {
            f"Error{code.capitalize()}": {
                "description": why,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            for code, why in WHY.items()
        }
    )
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = ["400", "429", "default"]
            if "{" in path:
                codes.append("404")
            if any(requirement for requirement in operation.get("security", [{}])):
                codes += ["401", "403"]
            if method in ("post", "put", "patch"):
                codes += ["409", "413"]
            for code in codes:
                responses.setdefault(code, _response(code))
    return result
