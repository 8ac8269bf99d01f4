"""Schemathesis hooks of scripts/schemathesis.sh (loaded through the `hooks` setting).

Every hook runs in `before_call`, just before a generated request is sent; schemathesis
then re-checks whether the request still matches the OpenAPI document, so a repaired
request is judged as what it is.

1. Safety. A schema-valid `PUT /v1/webhook` stores a URL that the proactive worker then
   POSTs events to (every `POST /v1/memories` makes one). Generated URLs may name any
   host, public IP literals included, so every URL the gateway could accept (http or
   https with a host) is pointed at a closed loopback port before it is sent. Run the
   gateway (and the proactive worker) with MEMGRID_WEBHOOK_ALLOW_HTTP=true and
   MEMGRID_WEBHOOK_ALLOWED_HOSTS=127.0.0.1 so that these URLs are accepted.

2. Rules that the document states in words but JSON Schema cannot express (relations
   between fields, values only the server knows). Without these repairs every run would
   report "schema-valid request rejected" for them:
   - `cursor` is opaque (only a `next_cursor` the API returned is valid): a generated one
     is replaced by a well-formed cursor;
   - `since` < `until`, `older_than` < `newer_than`, `from` <= `to` within 366 days;
   - `tenant` (dead letters) must be the key's own tenant: dropped;
   - `time_zone` must be a name in the IANA database: unknown names become `UTC`;
   - message ids (memorize) and item ids (backfills) must differ within a request;
     message ids must not hold unassigned or astral format code points (the pattern in
     the document covers the rest of "printable");
   - embeddings: `model` must name the served model, `dimensions` must be its size
     (MEMGRID_SCHEMATHESIS_EMBED_MODEL, MEMGRID_SCHEMATHESIS_EMBED_DIMENSIONS).
"""
from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import schemathesis

# Port 9 (discard): nothing listens there on the test machines, so deliveries fail fast.
LOOPBACK_NETLOC = "127.0.0.1:9"
EMBED_MODEL = os.environ.get("MEMGRID_SCHEMATHESIS_EMBED_MODEL", "all-MiniLM-L6-v2")
EMBED_DIMENSIONS = int(os.environ.get("MEMGRID_SCHEMATHESIS_EMBED_DIMENSIONS", "384"))
# 2023-11-14T22:13:20Z | an id: the shape of the cursors the API returns.
VALID_CURSOR = base64.urlsafe_b64encode(b"1700000000000000|schemathesis").decode().rstrip("=")


def _known_zones() -> set[str]:
    try:
        import zoneinfo

        return set(zoneinfo.available_timezones())
    except Exception:  # no tz database: only the names below count as known
        return set()


KNOWN_ZONES = _known_zones() | {"UTC", "Asia/Shanghai", "Europe/Paris", "America/New_York"}


# ------------------------------------------------------------------ webhook URL safety

def _safe_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        # Python cannot parse it; make sure the gateway cannot use it either.
        return "not a url"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and (host or parts.netloc):
        return urlunsplit(("http", LOOPBACK_NETLOC, parts.path, parts.query, parts.fragment))
    if "://" in value and scheme not in ("http", "https"):
        return value  # another scheme: the gateway refuses it
    if "//" in value or "@" in value:
        # Anything else that might still name a host is replaced by an invalid value.
        return "not a url"
    return value


def _webhook(case) -> None:
    body = case.body
    if isinstance(body, (str, bytes)):
        try:
            decoded = json.loads(body)
        except ValueError:
            return
        if isinstance(decoded, dict) and isinstance(decoded.get("url"), str):
            decoded["url"] = _safe_url(decoded["url"])
            text = json.dumps(decoded)
            case.body = text if isinstance(body, str) else text.encode()
        return
    if isinstance(body, dict) and isinstance(body.get("url"), str):
        body["url"] = _safe_url(body["url"])


# ------------------------------------------------------------------ cross-field rules

def _instant(value):
    if not isinstance(value, str):
        return None
    text = value.replace("z", "Z").replace("t", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _since_until(container: dict, since: str = "since", until: str = "until") -> None:
    start, end = _instant(container.get(since)), _instant(container.get(until))
    if start is not None and end is not None and start >= end:
        del container[until]


def _integer(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 25560.0 is an integer to JSON Schema, and to the gateway
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _older_newer(container: dict) -> None:
    older, newer = _integer(container.get("older_than")), _integer(container.get("newer_than"))
    if older is not None and newer is not None and older >= newer:
        del container["newer_than"]


def _time_zone(container: dict) -> None:
    zone = container.get("time_zone")
    if isinstance(zone, str) and zone not in KNOWN_ZONES:
        container["time_zone"] = "UTC"


def _unique(items: list, key: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get(key), str):
            value = item[key]
            while value in seen:
                value = f"{value[:250]}~{index}"
            seen.add(value)
            item[key] = value


def _printable_id(value: str) -> str:
    # What the document's pattern cannot say: unassigned code points, and format
    # characters outside the Basic Multilingual Plane.
    def ok(char: str) -> bool:
        category = unicodedata.category(char)
        return category != "Cn" and not (category == "Cf" and ord(char) > 0xFFFF)

    return "".join(char if ok(char) else "x" for char in value)


def _day(value):
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return None


def _usage(query: dict) -> None:
    start, end = _day(query.get("from")), _day(query.get("to"))
    if start is None:
        return
    if end is None:
        if "to" in query:
            return  # a malformed `to`: the request is invalid anyway
        end = _dt.datetime.now(_dt.timezone.utc).date()
    if start > end or (end - start).days >= 366:
        query["to"] = start.isoformat()


@schemathesis.hook
def before_call(context, case, kwargs):
    path, method = case.operation.path, case.method.upper()
    body = case.body if isinstance(case.body, dict) else None
    query = case.query if isinstance(case.query, dict) else None

    if path == "/v1/webhook" and method == "PUT":
        _webhook(case)
    elif path in ("/v1/memories", "/v1/documents") and method == "GET" and query is not None:
        if isinstance(query.get("cursor"), str):
            query["cursor"] = VALID_CURSOR
        _since_until(query)
    elif path == "/v1/retrieve" and body is not None:
        _time_zone(body)
        if isinstance(body.get("filters"), dict):
            _since_until(body["filters"])
    elif path == "/v1/memorize" and body is not None:
        _time_zone(body)
        messages = body.get("messages")
        if isinstance(messages, list):
            for message in messages:
                if isinstance(message, dict) and isinstance(message.get("id"), str):
                    message["id"] = _printable_id(message["id"])
            _unique(messages, "id")
    elif path == "/v1/backfills" and method == "POST" and body is not None:
        if isinstance(body.get("items"), list):
            _unique(body["items"], "id")
    elif path == "/v1/usage" and query is not None:
        _usage(query)
    elif path == "/v1/admin/dead-letters" and query is not None:
        query.pop("tenant", None)
        _older_newer(query)
    elif path in ("/v1/admin/dead-letters/replay", "/v1/admin/dead-letters/purge") and body is not None:
        if isinstance(body.get("tenant"), str):
            del body["tenant"]
        _older_newer(body)
    elif path == "/v1/embeddings" and body is not None:
        if isinstance(body.get("model"), str):
            body["model"] = EMBED_MODEL
        if _integer(body.get("dimensions")) is not None and not isinstance(body.get("dimensions"), str):
            body["dimensions"] = EMBED_DIMENSIONS
