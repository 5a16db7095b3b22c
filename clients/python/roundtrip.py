"""Round trip through the client made by openapi-python-client with its default settings.

    python python/roundtrip.py http://127.0.0.1:8080 KG

The generated package (`labnet_client`) must be importable: run.sh puts
generated/python on PYTHONPATH.
"""

from __future__ import annotations

import os
import datetime
import re
import sys
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

import httpx
from labnet_client import AuthenticatedClient, Client
from labnet_client.api.equipment import create_equipment_model
from labnet_client.api.laboratories import (
    create_laboratory,
    delete_laboratory,
    get_laboratory,
    list_laboratories,
    update_laboratory,
)
from labnet_client.api.localizations import (
    create_localization,
    create_localization_stage_change,
    get_localization,
    list_localization_history,
)
from labnet_client.api.regions import create_region, get_region
from labnet_client.api.registration import (
    create_recognition_agreement,
    create_registration_certificate,
    get_equipment_model_eligibility,
    list_eligibility,
)
from labnet_client.api.vendors import create_vendor, delete_vendor
from labnet_client.models import (
    Agreement,
    AgreementCreate,
    AgreementScope,
    Certificate,
    CertificateCreate,
    Eligibility,
    EligibilityBasis,
    EligibilityPage,
    EquipmentCategory,
    EquipmentModel,
    EquipmentModelCreate,
    IneligibilityReason,
    Discipline,
    Laboratory,
    LaboratoryCreate,
    LaboratoryKind,
    LaboratoryPage,
    LaboratoryPatch,
    LaboratoryStatus,
    ListLaboratoriesSort,
    Localization,
    LocalizationCreate,
    LocalizationScope,
    LocalizationStage,
    Problem,
    ProductCategory,
    Region,
    RegionCreate,
    RegionLevel,
    RolloutStage,
    StageChange,
    StageChangeCreate,
    StageChangePage,
    Vendor,
    VendorCreate,
)
from labnet_client.types import UNSET, Response, Unset

T = TypeVar("T")
ETAG = re.compile(r'^"[^"]+"$')


class Mismatch(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise Mismatch(message)


def equal(actual: object, expected: object, what: str) -> None:
    if actual != expected:
        raise Mismatch(f"{what}: expected {expected!r}, got {actual!r}")


def step(name: str, body: Callable[[], T]) -> T:
    try:
        result = body()
    except Exception:
        print(f"FAIL  {name}", flush=True)
        raise
    print(f"ok    {name}", flush=True)
    return result


def header(response: Response[Any], name: str) -> str:
    value = response.headers.get(name)
    check(value, f"response has no {name} header")
    assert value is not None
    return value


def parsed(response: Response[Any], status: int, kind: type[T]) -> T:
    """The body the client parsed for a success status, as the type the spec promises."""
    equal(response.status_code, HTTPStatus(status), "status")
    body = response.parsed
    check(isinstance(body, kind), f"parsed body is {type(body).__name__}, not {kind.__name__}: {response.content!r}")
    assert isinstance(body, kind)
    return body


def problem(response: Response[Any], status: int, problem_type: str) -> Problem:
    """The problem document the client parsed, checked against the status and its headers."""
    p = parsed(response, status, Problem)
    equal(response.headers.get("content-type"), "application/problem+json", "problem content type")
    equal(p.status, status, "problem status")
    equal(p.type_, problem_type, "problem type")
    check(p.title and p.detail, "problem without title or detail")
    equal(p.request_id, header(response, "X-Request-Id"), "problem request_id and X-Request-Id header")
    return p


def fields(p: Problem) -> list[str]:
    check(not isinstance(p.errors, Unset), "the problem has no errors[]")
    assert not isinstance(p.errors, Unset)
    return [e.field for e in p.errors]


def main(base_url: str, country: str, api_key: str) -> None:
    sent: list[httpx.Request] = []
    # The generated client's own way to send the bearer key: `Authorization: Bearer <token>`.
    client = AuthenticatedClient(
        base_url=base_url,
        token=api_key,
        httpx_args={"event_hooks": {"request": [sent.append]}},
        raise_on_unexpected_status=True,
    )
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)

    def without_credentials() -> None:
        r = get_region.sync_detailed(uuid.uuid4(), client=anonymous)
        problem(r, 401, "/problems/unauthorized")
        check(header(r, "WWW-Authenticate").startswith("Bearer"), "WWW-Authenticate names the Bearer scheme")

    step("without credentials: 401 with WWW-Authenticate", without_credentials)
    region_code = f"{country}-RT"
    hub_code = f"{country}-HUB-001"

    def create_country() -> Region:
        r = create_region.sync_detailed(
            client=client,
            body=RegionCreate(code=country, name=f"Country {country}", country_code=country, level=RegionLevel.COUNTRY),
        )
        c = parsed(r, 201, Region)
        equal(c.parent_id, None, "parent_id of a country")
        check(header(r, "Location").endswith(f"/v1/regions/{c.id}"), "Location names the new region")
        check(ETAG.match(header(r, "ETag")), "ETag is a quoted string")
        return c

    created = step("create a country", create_country)

    def create_child_region() -> Region:
        r = create_region.sync_detailed(
            client=client,
            body=RegionCreate(
                code=region_code,
                name="Чуйская область",
                country_code=country,
                level=RegionLevel.REGION,
                parent_id=created.id,
                rollout_stage=RolloutStage.PILOT,
                rollout_target_year=2028,
            ),
        )
        reg = parsed(r, 201, Region)
        equal(
            (reg.parent_id, reg.level, reg.rollout_stage),
            (created.id, RegionLevel.REGION, RolloutStage.PILOT),
            "region fields",
        )
        return reg

    region = step("create a region in it", create_child_region)

    def create_hub() -> tuple[Laboratory, str]:
        r = create_laboratory.sync_detailed(
            client=client,
            body=LaboratoryCreate(
                region_id=region.id,
                code=hub_code,
                name="Центральная КДЛ",
                kind=LaboratoryKind.CENTRAL,
                status=LaboratoryStatus.PLANNED,
                latitude=42.87,
                longitude=74.59,
                capacity_per_day=8000,
                disciplines=[Discipline.CLINICAL_CHEMISTRY, Discipline.MOLECULAR_DIAGNOSTICS],
            ),
        )
        lab = parsed(r, 201, Laboratory)
        equal(
            (lab.kind, lab.status, lab.parent_id),
            (LaboratoryKind.CENTRAL, LaboratoryStatus.PLANNED, None),
            "hub fields",
        )
        return lab, header(r, "ETag")

    hub, hub_etag = step("create a hub laboratory", create_hub)

    def create_branch() -> Laboratory:
        r = create_laboratory.sync_detailed(
            client=client,
            body=LaboratoryCreate(
                region_id=region.id,
                code=f"{country}-BR-001",
                name="Филиал №1",
                kind=LaboratoryKind.BRANCH,
                parent_id=hub.id,
                status=LaboratoryStatus.UNDER_CONSTRUCTION,
            ),
        )
        lab = parsed(r, 201, Laboratory)
        equal((lab.parent_id, lab.status), (hub.id, LaboratoryStatus.UNDER_CONSTRUCTION), "branch fields")
        return lab

    branch = step("create a branch sending samples to the hub", create_branch)

    vendor = step(
        "create a vendor",
        lambda: parsed(
            create_vendor.sync_detailed(
                client=client,
                body=VendorCreate(
                    name=f"Mindray (python {country})",
                    country_code="CN",
                    website="https://www.mindray.com",
                    categories=[ProductCategory.REAGENTS],
                ),
            ),
            201,
            Vendor,
        ),
    )

    def create_loc() -> Localization:
        r = create_localization.sync_detailed(
            client=client,
            body=LocalizationCreate(
                vendor_id=vendor.id,
                country_code=country,
                region_id=region.id,
                scope=[LocalizationScope.REAGENTS],
                local_content_percent=40,
            ),
        )
        loc = parsed(r, 201, Localization)
        equal(loc.stage, LocalizationStage.INTEREST_DECLARED, "initial stage")
        return loc

    localization = step("create a localization", create_loc)

    def move_stage() -> None:
        r = create_localization_stage_change.sync_detailed(
            localization.id,
            client=client,
            body=StageChangeCreate(
                stage=LocalizationStage.NEGOTIATING, note="Talks opened", source="https://example.org/news/3"
            ),
        )
        change = parsed(r, 201, StageChange)
        equal(
            (change.from_stage, change.to_stage, change.localization_id),
            (LocalizationStage.INTEREST_DECLARED, LocalizationStage.NEGOTIATING, localization.id),
            "stage change",
        )
        after = parsed(get_localization.sync_detailed(localization.id, client=client), 200, Localization)
        equal(after.stage, LocalizationStage.NEGOTIATING, "stage after the change")
        history = parsed(list_localization_history.sync_detailed(localization.id, client=client), 200, StageChangePage)
        equal(
            [c.to_stage for c in history.items],
            [LocalizationStage.INTEREST_DECLARED, LocalizationStage.NEGOTIATING],
            "history",
        )

    step("move the localization's stage (POST stage-changes)", move_stage)

    def illegal_move() -> None:
        r = create_localization_stage_change.sync_detailed(
            localization.id, client=client, body=StageChangeCreate(stage=LocalizationStage.PRODUCING)
        )
        p = problem(r, 409, "/problems/illegal-transition")
        equal(p.current_state, "negotiating", "current_state")
        check(
            isinstance(p.allowed_transitions, list) and "agreement_signed" in p.allowed_transitions,
            "allowed_transitions",
        )

    step("an illegal stage move is a typed 409", illegal_move)

    def list_pages() -> None:
        def page(token: str | None) -> LaboratoryPage:
            return parsed(
                list_laboratories.sync_detailed(
                    client=client,
                    region_id=[str(region.id)],
                    status=[LaboratoryStatus.PLANNED, LaboratoryStatus.UNDER_CONSTRUCTION],
                    sort=ListLaboratoriesSort.CODE,
                    page_size=1,
                    page_token=token if token is not None else UNSET,
                ),
                200,
                LaboratoryPage,
            )

        first = page(None)
        equal(sent[-1].url.params.get_list("status"), ["planned", "under_construction"], "status sent as repeated keys")
        equal([lab.id for lab in first.items], [branch.id], "page 1")
        # The fixed contract: `next_page_token` is always present, null on the last page.
        token = first.next_page_token
        check(isinstance(token, str), f"page 1 has no next_page_token: {token!r}")
        assert isinstance(token, str)
        second = page(token)
        equal(sent[-1].url.params.get("page_token"), token, "page_token sent")
        equal([lab.id for lab in second.items], [hub.id], "page 2")
        equal(second.next_page_token, None, "next_page_token of the last page")

    step("list with a multi-valued filter over two pages", list_pages)

    def patch() -> tuple[Laboratory, str]:
        r = update_laboratory.sync_detailed(
            hub.id,
            client=client,
            body=LaboratoryPatch(status=LaboratoryStatus.UNDER_CONSTRUCTION, capacity_per_day=9500),
            if_match=hub_etag,
        )
        equal(sent[-1].headers.get("if-match"), hub_etag, "If-Match sent")
        equal(sent[-1].headers.get("content-type"), "application/merge-patch+json", "PATCH content type")
        lab = parsed(r, 200, Laboratory)
        equal(
            (lab.status, lab.capacity_per_day, lab.version),
            (LaboratoryStatus.UNDER_CONSTRUCTION, 9500, hub.version + 1),
            "patched fields",
        )
        etag = header(r, "ETag")
        check(etag != hub_etag, "ETag changed")
        return lab, etag

    updated, updated_etag = step("PATCH with If-Match", patch)

    def stale_patch() -> None:
        r = update_laboratory.sync_detailed(
            hub.id, client=client, body=LaboratoryPatch(status=LaboratoryStatus.OPERATIONAL), if_match=hub_etag
        )
        problem(r, 412, "/problems/precondition-failed")
        now = parsed(get_laboratory.sync_detailed(hub.id, client=client), 200, Laboratory)
        equal(
            (now.status, now.version),
            (LaboratoryStatus.UNDER_CONSTRUCTION, updated.version),
            "the stale PATCH changed nothing",
        )

    step("PATCH with a stale If-Match is a typed 412", stale_patch)

    def request_id() -> None:
        r = get_region.sync_detailed(region.id, client=client)
        check(len(header(r, "X-Request-Id")) >= 8, "generated X-Request-Id is too short")
        mine = f"rt-python-{country}"
        echoed = get_region.sync_detailed(region.id, client=client.with_headers({"X-Request-Id": mine}))
        equal(header(echoed, "X-Request-Id"), mine, "X-Request-Id echoed")

    step("read X-Request-Id from a response", request_id)

    def duplicate() -> None:
        r = create_laboratory.sync_detailed(
            client=client,
            body=LaboratoryCreate(
                region_id=region.id, code=hub_code.lower(), name="Дубликат", kind=LaboratoryKind.BRANCH
            ),
        )
        equal(fields(problem(r, 409, "/problems/duplicate")), ["code"], "errors[].field")

    step("a duplicate code is a typed 409 naming the field", duplicate)

    def invalid() -> None:
        r = create_laboratory.sync_detailed(
            client=client,
            body=LaboratoryCreate(
                region_id=region.id,
                code=f"{country}-BAD-001",
                name="X",
                kind=LaboratoryKind.BRANCH,
                latitude=91,
                longitude=0,
            ),
        )
        equal(fields(problem(r, 422, "/problems/validation")), ["latitude"], "errors[].field")

    step("an invalid field is a typed 422 naming the field", invalid)

    def eligibility() -> None:
        model = parsed(
            create_equipment_model.sync_detailed(
                client=client,
                body=EquipmentModelCreate(
                    vendor_id=vendor.id,
                    name=f"Analyzer {country}",
                    model_code=f"BC-{country}-P",
                    category=EquipmentCategory.HEMATOLOGY_ANALYZER,
                ),
            ),
            201,
            EquipmentModel,
        )
        certificate = parsed(
            create_registration_certificate.sync_detailed(
                client=client,
                body=CertificateCreate(
                    equipment_model_id=model.id,
                    country_code=country,
                    issuing_authority=f"Authority of {country}",
                    number=f"P-{country}-1",
                    issued_on=datetime.date(2024, 1, 1),
                    valid_until=datetime.date(2026, 12, 31),
                ),
            ),
            201,
            Certificate,
        )
        agreement = parsed(
            create_recognition_agreement.sync_detailed(
                client=client,
                body=AgreementCreate(
                    recognizing_country_code="SY",
                    recognized_country_code=country,
                    mutual=True,
                    scope=AgreementScope.MEDICAL_DEVICES,
                    in_force_from=datetime.date(2026, 7, 1),
                    title=f"SY and {country} recognize each other",
                    source="https://example.org/agreement",
                ),
            ),
            201,
            Agreement,
        )
        answer = parsed(
            get_equipment_model_eligibility.sync_detailed(
                model.id, client=client, country_code="SY", on=datetime.date(2026, 12, 31)
            ),
            200,
            Eligibility,
        )
        equal(answer.eligible, True, "eligible on the certificate's last day")
        equal(answer.basis, EligibilityBasis.RECOGNIZED, "basis")
        check(isinstance(answer.certificate, Certificate) and answer.certificate.id == certificate.id, "certificate")
        check(isinstance(answer.agreement, Agreement) and answer.agreement.id == agreement.id, "agreement")
        page = parsed(
            list_eligibility.sync_detailed(
                client=client, country_code="SY", on=datetime.date(2027, 1, 1), equipment_model_id=[model.id]
            ),
            200,
            EligibilityPage,
        )
        equal(len(page.items), 1, "one answer")
        equal(page.items[0].eligible, False, "expired the next day")
        equal(
            [r.code for r in page.items[0].reasons],
            [IneligibilityReason.NO_CERTIFICATE, IneligibilityReason.CERTIFICATE_EXPIRED],
            "reasons",
        )

    step("may a model registered here be supplied in Syria (eligibility, one and many)", eligibility)

    def referenced() -> None:
        p = problem(delete_vendor.sync_detailed(vendor.id, client=client), 409, "/problems/still-referenced")
        check(isinstance(p.referenced_by, list) and p.referenced_by, "referenced_by is empty")

    step("a vendor that a localization refers to is not deleted (typed 409)", referenced)

    def delete_labs() -> None:
        statuses = [
            delete_laboratory.sync_detailed(branch.id, client=client).status_code,
            delete_laboratory.sync_detailed(hub.id, client=client, if_match=updated_etag).status_code,
        ]
        equal(statuses, [HTTPStatus.NO_CONTENT] * 2, "delete statuses")
        problem(get_laboratory.sync_detailed(hub.id, client=client), 404, "/problems/not-found")

    step("delete the laboratories (one with If-Match), then see 404", delete_labs)


if __name__ == "__main__":
    key = os.environ.get("LABNET_API_KEY", "")
    if len(sys.argv) != 3 or not re.fullmatch(r"[A-Z]{2}", sys.argv[2]) or not key:
        print("usage: LABNET_API_KEY=<key> roundtrip.py <base-url> <country code, e.g. KG>", file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1].rstrip("/"), sys.argv[2], key)
    except Mismatch as e:
        print(f"python: round trip failed: {e}", file=sys.stderr)
        sys.exit(1)
    print("python: round trip passed")
