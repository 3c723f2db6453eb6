"""Stripe's wire format: form-encoded parameters in, Stripe-shaped errors out.

The stand-in is only worth having if it is as strict as Stripe about what it
accepts: a gateway that sends `metadata[ticket]` where Stripe expects
`metadata[ticket_id]` still passes, but a gateway that sends an unknown
top-level parameter, a float amount or a malformed bracket gets the same 400
Stripe would answer (`parameter_unknown`, `parameter_invalid_integer`, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, overload
from urllib.parse import parse_qsl

Params = dict[str, Any]

# A value in a parameter spec: SCALAR (a string), LIST (list of strings),
# FREE (any nesting, e.g. metadata keys are the caller's) or a nested spec.
SCALAR: Final = "scalar"
LIST: Final = "list"
FREE: Final = "free"
Spec = Mapping[str, Any]

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_TOKEN = re.compile(r"\[([^\[\]]*)\]")

# Stripe's limits on metadata (https://docs.stripe.com/api/metadata).
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500


class StripeError(Exception):
    """A Stripe API error: the HTTP status and the `error` object Stripe answers.

    `saved` says whether Stripe's idempotency layer keeps the answer for the
    key. Stripe saves a result once the endpoint started executing (a card
    decline is saved and replayed); requests that fail validation are not
    saved, so a corrected retry with the same key may still succeed.
    """

    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: Mapping[str, Any] | None = None,
        saved: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = dict(extra or {})
        self.saved = status == 402 if saved is None else saved

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """A 400 invalid_request_error, the answer to most caller mistakes."""
    return StripeError(400, "invalid_request_error", message, code=code, param=param)


def resource_missing(kind: str, obj_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    """Stripe's `No such <kind>` (404 on the path, 400 when named in a parameter)."""
    return StripeError(
        status, "invalid_request_error", f"No such {kind}: '{obj_id}'", code="resource_missing", param=param
    )


def api_error(status: int = 500) -> StripeError:
    return StripeError(status, "api_error", "An unknown error occurred", saved=False)


# ---------------------------------------------------------------- decoding --


def decode_form(encoded: str) -> Params:
    """Decode Stripe's form encoding into nested dicts and lists.

    `metadata[ticket]=x` becomes {"metadata": {"ticket": "x"}}; `expand[]=a`
    and `expand[0]=a` (the Python SDK's form) both become {"expand": ["a"]}.
    Values stay strings: each endpoint coerces what it reads, as Stripe does.
    Assumption: dicts whose keys are all digits are arrays, except under
    `metadata`, whose keys belong to the caller.
    """
    root: Params = {}
    for raw_key, value in parse_qsl(encoded, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if match is None:
            raise invalid(f"Invalid parameter name: {raw_key}", param=raw_key)
        tokens = [match.group(1), *_TOKEN.findall(match.group(2))]
        _insert(root, tokens, value, raw_key)
    return _arrays(root, parent_key="")


def _insert(node: Params, tokens: list[str], value: str, raw_key: str) -> None:
    *parents, last = tokens
    for position, token in enumerate(parents):
        if token == "":
            raise invalid(f"Invalid array parameter: {raw_key}", param=raw_key)
        child = node.setdefault(token, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid hash: {'['.join(tokens[: position + 1])}", param=raw_key)
        node = child
    if last == "":
        existing = node.setdefault("", [])
        existing.append(value)
        return
    if last in node and isinstance(node[last], dict):
        raise invalid(f"Invalid hash: {raw_key}", param=raw_key)
    node[last] = value


def _arrays(node: Any, parent_key: str) -> Any:
    if not isinstance(node, dict):
        return node
    if set(node) == {""}:
        return list(node[""])
    if parent_key != "metadata" and node and all(key.isdigit() for key in node):
        return [_arrays(node[key], key) for key in sorted(node, key=int)]
    return {key: _arrays(value, key) for key, value in node.items()}


# -------------------------------------------------------------- validation --


def check_known(params: Mapping[str, Any], spec: Spec, prefix: str = "") -> None:
    """Refuse parameters Stripe (or, for a modelled endpoint, the stand-in) does not know."""
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in spec:
            raise invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")
        kind = spec[key]
        if kind == FREE:
            continue
        if kind == SCALAR and isinstance(value, (dict, list)):
            raise invalid(f"Invalid string: {name}", param=name, code="parameter_invalid_string")
        if kind == LIST and not isinstance(value, list):
            raise invalid(f"Invalid array: {name}", param=name)
        if isinstance(kind, Mapping):
            if not isinstance(value, dict):
                raise invalid(f"Invalid object: {name}", param=name)
            check_known(value, kind, name)


def required(params: Mapping[str, Any], name: str) -> Any:
    if name not in params or params[name] == "":
        raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return params[name]


def optional_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    return str(value)


@overload
def integer(params: Mapping[str, Any], name: str, *, minimum: int | None = None, default: int) -> int: ...
@overload
def integer(
    params: Mapping[str, Any], name: str, *, minimum: int | None = None, default: None = None
) -> int | None: ...
def integer(
    params: Mapping[str, Any], name: str, *, minimum: int | None = None, default: int | None = None
) -> int | None:
    """Read an integer the way Stripe does: digits only, never a float."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise invalid(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise invalid(
            f"This value must be greater than or equal to {minimum}.", param=name, code="parameter_invalid_integer"
        )
    return value


def required_integer(params: Mapping[str, Any], name: str, *, minimum: int | None = None) -> int:
    required(params, name)
    value = integer(params, name, minimum=minimum)
    if value is None:  # Safeguard, should never happen: `required` refused a missing value.
        raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return value


def boolean(params: Mapping[str, Any], name: str, *, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in ("true", "false"):
        raise invalid(f"Invalid boolean: {raw}", param=name)
    return raw == "true"


def one_of(params: Mapping[str, Any], name: str, allowed: tuple[str, ...], *, default: str | None = None) -> str | None:
    value = optional_str(params, name)
    if value is None:
        return default
    if value not in allowed:
        choices = ", ".join(allowed[:-1]) + f", or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
        raise invalid(f"Invalid {name}: must be one of {choices}", param=name)
    return value


def currency(params: Mapping[str, Any], name: str = "currency") -> str:
    """Stripe accepts any case and answers in lowercase."""
    value = str(required(params, name))
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise invalid(f"Invalid currency: {value}.", param=name)
    return value.lower()


def metadata(params: Mapping[str, Any], name: str = "metadata") -> dict[str, str]:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param=name)
    if len(value) > METADATA_MAX_KEYS:
        raise invalid(f"You can only specify up to {METADATA_MAX_KEYS} keys in metadata.", param=name)
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid(f"Invalid string: {name}[{key}]", param=f"{name}[{key}]")
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise invalid(f"Metadata keys can have up to {METADATA_MAX_KEY_LENGTH} characters.", param=f"{name}[{key}]")
        if len(item) > METADATA_MAX_VALUE_LENGTH:
            raise invalid(
                f"Metadata values can have up to {METADATA_MAX_VALUE_LENGTH} characters.", param=f"{name}[{key}]"
            )
        if item != "":  # Stripe: an empty value unsets the key
            result[key] = item
    return result


def expand_paths(params: Mapping[str, Any]) -> list[str]:
    value = params.get("expand", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid("Invalid array", param="expand")
    return value
