"""Hooks for the schemathesis run of run.sh (loaded through `hooks` in schemathesis.toml).

They give the generated valid requests the state that no schema can describe and that every
real client has: an `Idempotency-Key` of its own for each request, the `ETag` it last read for
the `If-Match` it sends, and ids of rows that exist where a body refers to another resource.
Requests the generator made invalid on purpose (negative data) are sent as generated, and
nothing else in a request is changed: a valid request the API still refuses is a schema that
says less than the API checks, which the `validation_mismatch` warning reports.
"""

from __future__ import annotations

import datetime
import json
import os
import uuid
import zlib
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from schemathesis.generation import GenerationMode

# What the run has seen, by resource path or collection; one worker, so no locking.
_etags: dict[str, str] = {}  # "/v1/vendors/<id>" -> ETag
_rows: dict[str, dict[str, dict[str, Any]]] = {}  # "regions" -> id -> the row as last read

COLLECTIONS = (
    "regions",
    "laboratories",
    "vendors",
    "localizations",
    "organizations",
    "equipment-models",
    "equipment-units",
    "registration-certificates",
    "recognition-agreements",
)


def _load_seed() -> None:
    """The rows python/seed.py created, named by LABNET_ST_SEED (a JSON file), if any."""
    path = os.environ.get("LABNET_ST_SEED")
    if not path:
        return
    with open(path, encoding="utf-8") as f:
        for collection, rows in json.load(f).items():
            for row in rows:
                _rows.setdefault(collection, {})[row["id"]] = row


_load_seed()


def _accepted_key(value: object) -> bool:
    """A key the API takes: 1 to 255 visible ASCII characters."""
    return isinstance(value, str) and 1 <= len(value) <= 255 and all("!" <= c <= "~" for c in value)


def _pick(candidates: list[dict[str, Any]], generated: object) -> dict[str, Any] | None:
    """One of the candidates, the same one for the same generated value (runs repeat)."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda row: row["id"])
    return ordered[zlib.crc32(str(generated).encode()) % len(ordered)]


def _refer(body: dict[str, Any], field: str, collection: str, prefer=lambda row: True) -> None:
    """Point `field` at an existing row of `collection` when it names one that does not exist."""
    value = body.get(field)
    rows = _rows.get(collection, {})
    if not isinstance(value, str) or value in rows:
        return
    candidates = [row for row in rows.values() if prefer(row)] or list(rows.values())
    row = _pick(candidates, value)
    if row is not None:
        body[field] = row["id"]


LEVELS = ("country", "district", "region", "municipality")


def _region_rules(body: dict[str, Any]) -> None:
    """A new region's rules that span fields, which JSON Schema cannot state: a country has no
    parent and its code is its alpha-2 code; any other region's code starts with its country
    code and its parent is a region of the same country at a higher level."""
    country, level, code = body.get("country_code"), body.get("level"), body.get("code")
    if not isinstance(country, str) or level not in LEVELS or not isinstance(code, str):
        return
    if level == "country":
        body["code"] = country
        if "parent_id" in body:
            body["parent_id"] = None
        return
    if not code.upper().startswith(f"{country}-"):
        body["code"] = f"{country}-{code}"
    depth = LEVELS.index(level)
    _refer(
        body,
        "parent_id",
        "regions",
        lambda r: r.get("country_code") == country and r.get("level") in LEVELS[:depth],
    )


def _api_key_rules(body: dict[str, Any]) -> None:
    """A new key's rules that span fields or depend on the clock and the data: only an editor
    is limited to regions, which exist; `global: false` needs regions; the expiry is ahead."""
    regions = body.get("regions")
    if body.get("role") != "editor" and regions is not None:
        body["regions"] = regions = None
    if isinstance(regions, list):
        existing = sorted(_rows.get("regions", {}))
        if existing:
            picked = [
                value if value in existing else existing[zlib.crc32(str(value).encode()) % len(existing)]
                for value in regions
            ]
            body["regions"] = list(dict.fromkeys(picked))
    if body.get("regions") is None and body.get("global") is False:
        body["global"] = None
    expires = body.get("expires_at")
    if isinstance(expires, str) and expires < "2100":
        body["expires_at"] = "2999-12-31T00:00:00Z"


FORWARD = ("interest_declared", "negotiating", "agreement_signed", "production_setup", "producing")


def _allowed_stages(row: dict[str, Any]) -> list[str]:
    """The stages a localization may move to from where it is (`LocalizationStage`'s table)."""
    stage = row.get("stage")
    if stage == "cancelled":
        return []
    if stage == "suspended":
        back = row.get("suspended_from_stage")
        return [back, "cancelled"] if back in FORWARD else ["cancelled"]
    if stage not in FORWARD:
        return []
    at = FORWARD.index(stage)
    return [*FORWARD[at + 1 : at + 2], "suspended", "cancelled"]


def _stage_change_rules(path: str, body: dict[str, Any]) -> None:
    """A stage change moves the localization along its state machine, on a date between its
    last change and today: which moves are legal depends on the row, not on the schema."""
    row = _rows.get("localizations", {}).get(path.split("/")[3], {})
    allowed = _allowed_stages(row)
    stage = body.get("stage")
    if allowed and stage not in allowed:
        # Cancelling is final; keep most rows open so later cases still have moves to make.
        open_moves = [s for s in allowed if s != "cancelled"] or allowed
        body["stage"] = open_moves[zlib.crc32(str(stage).encode()) % len(open_moves)]
    changed_on, today = body.get("changed_on"), datetime.date.today().isoformat()
    last = row.get("stage_changed_on") or "0000-00-00"
    if isinstance(changed_on, str) and not last <= changed_on <= today:
        body["changed_on"] = today


def _fill_references(path: str, body: dict[str, Any]) -> None:
    """Bodies that refer to other resources refer to rows that exist (positive data only)."""
    regions = _rows.get("regions", {})
    country = body.get("country_code")
    if path == "/v1/regions":
        _region_rules(body)
    elif path == "/v1/api-keys":
        _api_key_rules(body)
    elif path.startswith("/v1/laboratories"):
        _refer(body, "region_id", "regions")
        region = regions.get(body.get("region_id"), {})
        _refer(
            body,
            "parent_id",
            "laboratories",
            lambda lab: (
                lab.get("kind") != "collection_point"
                and regions.get(lab.get("region_id"), {}).get("country_code") == region.get("country_code")
            ),
        )
    elif path.startswith("/v1/localizations/") and path.endswith("/stage-changes"):
        _stage_change_rules(path, body)
    elif path.startswith("/v1/localizations") and not path.endswith("/stage-changes"):
        _refer(body, "vendor_id", "vendors")
        _refer(body, "region_id", "regions", lambda r: r.get("country_code") == country)
    elif path.startswith("/v1/equipment-models"):
        _model_rules(path, body)
    elif path.startswith("/v1/equipment-units"):
        _unit_rules(path, body)
    elif path.startswith("/v1/registration-certificates"):
        _certificate_rules(path, body)
    elif path.startswith("/v1/recognition-agreements"):
        _agreement_rules(path, body)


def _dates_in_order(body: dict[str, Any], row: dict[str, Any], start: str, end: str) -> None:
    """An end date (or none) not before the start date, as the rows hold them."""
    first, last = body.get(start, row.get(start)), body.get(end, row.get(end))
    if isinstance(first, str) and isinstance(last, str) and last < first:
        if end in body:
            body[end] = None
        else:
            body[start] = last


def _certificate_rules(path: str, body: dict[str, Any]) -> None:
    """A certificate is for an existing model or for a named product, not both, and a
    model's is for a medical device; it is valid from its issue date on; a revoked one stays
    revoked."""
    row = _row_of(path, "registration-certificates")
    if not row:
        if body.get("equipment_model_id") is not None and body.get("product_name") is not None:
            body.pop("product_name")
        if body.get("equipment_model_id") is None and not body.get("product_name"):
            models = list(_rows.get("equipment-models", {}).values())
            picked = _pick(models, body.get("number"))
            if picked is not None:
                body["equipment_model_id"] = picked["id"]
        _refer(body, "equipment_model_id", "equipment-models")
        if body.get("equipment_model_id") is not None and body.get("product_kind") == "drug":
            body["product_kind"] = "medical_device"
    elif row.get("status") == "revoked" and "status" in body:
        body["status"] = "revoked"
    _dates_in_order(body, row, "issued_on", "valid_until")


def _agreement_rules(path: str, body: dict[str, Any]) -> None:
    """An agreement is between two different countries, in force from its first day on."""
    row = _row_of(path, "recognition-agreements")
    recognizing = body.get("recognizing_country_code", row.get("recognizing_country_code"))
    recognized = body.get("recognized_country_code", row.get("recognized_country_code"))
    if isinstance(recognizing, str) and recognizing == recognized:
        other = "SY" if recognizing != "SY" else "RU"
        if "recognized_country_code" in body:
            body["recognized_country_code"] = other
        else:
            body["recognizing_country_code"] = other
    _dates_in_order(body, row, "in_force_from", "in_force_until")


def _row_of(path: str, collection: str) -> dict[str, Any]:
    """The row a PATCH path names, as last read (empty for a create)."""
    parts = path.strip("/").split("/")
    return _rows.get(collection, {}).get(parts[2], {}) if len(parts) > 2 else {}


def _model_rules(path: str, body: dict[str, Any]) -> None:
    """A model's localization is one of its vendor's: a new vendor takes a localization of
    its own along, or none."""
    row = _row_of(path, "equipment-models")
    _refer(body, "vendor_id", "vendors")
    vendor = body.get("vendor_id", row.get("vendor_id"))
    localization = body.get("localization_id", row.get("localization_id"))
    if localization is None:
        return
    own = [loc for loc in _rows.get("localizations", {}).values() if loc.get("vendor_id") == vendor]
    if _rows.get("localizations", {}).get(localization, {}).get("vendor_id") != vendor:
        picked = _pick(own, localization)
        body["localization_id"] = picked["id"] if picked else None


UNIT_MOVES = {"in_service": ("maintenance", "decommissioned"), "maintenance": ("in_service", "decommissioned")}


def _unit_rules(path: str, body: dict[str, Any]) -> None:
    """A unit is of an existing model, at a laboratory that is not closed, supplied by an
    existing vendor or a named distributor (not both); it is installed in service or in
    maintenance and then moves along its status table."""
    row = _row_of(path, "equipment-units")
    _refer(body, "equipment_model_id", "equipment-models")
    _refer(body, "laboratory_id", "laboratories", lambda lab: lab.get("status") != "closed")
    _refer(body, "supplier_vendor_id", "vendors")
    vendor = body.get("supplier_vendor_id", row.get("supplier_vendor_id"))
    name = body.get("supplier_name", row.get("supplier_name"))
    if vendor is not None and name is not None:
        if "supplier_name" in body:
            body["supplier_name"] = None
        else:
            body["supplier_vendor_id"] = None
    status = body.get("status")
    if status is None:
        return
    current = row.get("status")
    if not row:
        if status == "decommissioned":
            body["status"] = "in_service"
    elif current == "decommissioned":
        body["status"] = "decommissioned"
    elif status == "decommissioned":
        # Decommissioning is final; keep the rows in use so later cases still have moves.
        body["status"] = UNIT_MOVES.get(current, ("maintenance",))[0]


def _laboratory_query_rules(query: dict[str, Any]) -> None:
    """A laboratory list's geographic parameters agree with each other, which no schema of
    single parameters can state: `near` and `radius_km` come together, a box's south edge
    is not north of its north edge, and with `near` the order is by distance (`sort` is
    `distance` or absent), which it is only with `near`."""
    near, radius = query.get("near"), query.get("radius_km")
    if (near is None) != (radius is None):
        query.pop("near", None)
        query.pop("radius_km", None)
        near = None
    bbox = query.get("bbox")
    if isinstance(bbox, str):
        parts = bbox.split(",")
        try:
            _west, south, _east, north = (float(p) for p in parts)
        except ValueError:
            pass
        else:
            if south > north:
                query["bbox"] = ",".join([parts[0], parts[3], parts[2], parts[1]])
    sort = query.get("sort")
    if near is not None and sort not in (None, "distance"):
        query.pop("sort")
    elif near is None and sort == "distance":
        query.pop("sort")


def _remember(path: str, status: int, content: bytes) -> None:
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "v1" or parts[1] not in COLLECTIONS or not 200 <= status < 300:
        return
    try:
        body = json.loads(content)
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    collection = parts[1]
    # A page (list, descendants, ancestors) or a single row; history and stage changes are not rows.
    if len(parts) > 3 and parts[3] not in ("descendants", "ancestors"):
        return
    rows = body.get("items") if isinstance(body.get("items"), list) else [body]
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            _rows.setdefault(collection, {})[row["id"]] = row


def _resource_path(path: str) -> str:
    """The resource a request is about: a stage change is guarded by its localization's ETag."""
    return path.removesuffix("/stage-changes")


def _existing_path_id(case) -> None:
    """Point the path's `{id}` at a row of its collection that exists (not for DELETE)."""
    parameters = case.path_parameters
    parts = case.path.strip("/").split("/")
    if case.method.upper() == "DELETE" or not isinstance(parameters, dict) or len(parts) < 3:
        return
    if parts[0] != "v1" or parts[2] != "{id}" or parts[1] not in COLLECTIONS:
        return
    rows = _rows.get(parts[1], {})
    value = parameters.get("id")
    if value in rows:
        return
    row = _pick(list(rows.values()), value)
    if row is not None:
        parameters["id"] = row["id"]


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """Fill in the state a client would have, for valid (positive) requests only.

    - `Idempotency-Key`: the API answers a key reused with a different request with 422, as
      documented; generated requests reuse the spec's example key and short generated keys all
      the time, which would make every POST after the first look like a valid request
      rejected. A key the API refuses anyway is sent as generated.
    - `If-Match`: a generated ETag (the spec's example, an empty string) never matches, so
      every PATCH and DELETE that sends one would be a 412 and never reach the API's rules. A
      valid request sends the ETag last read for that resource, or `*` (any current version)
      when none was read yet. 412 itself is covered by the round trips and the Rust tests.
    - References (`region_id`, `parent_id`, `vendor_id`): a generated UUID names no row, so
      every create that refers to another resource would be a 422 `not_found`, the spec's
      examples included. A valid request refers to a row the run has seen (the seeded ones,
      or ones it created), in the body's country where the API requires that.
    - A new region's code, country, level and parent agree (`_region_rules`); a new API
      key's role, regions and expiry agree (`_api_key_rules`).
    - The record in the path (`{id}`) of a read, change or stage change: a generated UUID
      names no row, so such a request is always a 404 and never reaches the API's rules. A
      valid request names a row the run has seen; a DELETE keeps its generated id, so the
      seeded rows stay for the other operations.
    - The change feed's `wait`: a long poll past the end answers after up to 30 s, longer
      than the run's request timeout; a valid request waits at most 1 s here (the long poll
      itself is covered by the Rust tests).
    """
    meta = case.meta
    if meta is not None and meta.generation.mode is not GenerationMode.POSITIVE:
        return
    if isinstance(case.body, dict) and case.method.upper() in ("POST", "PATCH"):
        _fill_references(case.formatted_path, case.body)
    _existing_path_id(case)
    query = case.query
    if case.formatted_path == "/v1/laboratories" and isinstance(query, dict):
        _laboratory_query_rules(query)
    if case.formatted_path == "/v1/changes" and isinstance(query, dict):
        wait = query.get("wait")
        if isinstance(wait, int) and wait > 1:
            query["wait"] = 1
    headers = case.headers
    if not headers:
        return
    if _accepted_key(headers.get("Idempotency-Key")):
        headers["Idempotency-Key"] = str(uuid.uuid4())
    if "If-Match" in headers:
        headers["If-Match"] = _etags.get(_resource_path(case.formatted_path), "*")


@schemathesis.hook
def after_call(ctx, case, response):
    """Remember the rows and ETags of every resource read, created or changed; forget deleted ones."""
    method = case.method.upper()
    path = urlsplit(response.request.url).path
    if method == "DELETE" and response.status_code == 204:
        _etags.pop(path, None)
        parts = path.strip("/").split("/")
        if len(parts) == 3:
            _rows.get(parts[1], {}).pop(parts[2], None)
        return
    if method in ("GET", "POST", "PATCH"):
        _remember(path, response.status_code, response.content)
    if method == "POST" and path.endswith("/stage-changes") and 200 <= response.status_code < 300:
        # The localization changed; its ETag is unknown until it is read again, its stage is
        # the one just moved to.
        _etags.pop(_resource_path(path), None)
        row = _rows.get("localizations", {}).get(path.split("/")[3])
        if row is not None and isinstance(case.body, dict):
            stage = case.body.get("stage")
            if stage == "suspended":
                row["suspended_from_stage"] = row.get("stage")
            row["stage"] = stage
            row["stage_changed_on"] = case.body.get("changed_on") or datetime.date.today().isoformat()
        return
    headers = {name.lower(): values for name, values in response.headers.items()}
    etags = headers.get("etag") or []
    if not etags or not 200 <= response.status_code < 300:
        return
    if method == "POST":
        locations = headers.get("location") or []
        if locations:
            _etags[urlsplit(locations[0]).path] = etags[0]
    elif method in ("GET", "PATCH"):
        _etags[path] = etags[0]
