"""Fills a fresh database with a small network through the API, so that schemathesis finds rows
to read, change, refer to and delete besides the ones it creates itself.

    python python/seed.py http://127.0.0.1:8080 [ROWS.json]

ROWS.json gets every row created, by collection, for schemathesis-hooks.py (LABNET_ST_SEED).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import httpx


def main(base_url: str, rows_path: str | None) -> None:
    created: dict[str, list[dict[str, Any]]] = {}
    # An editor's or admin's key (labnet keys create), from the environment as run.sh sets it.
    headers = {"Authorization": f"Bearer {os.environ['LABNET_API_KEY']}"}
    with httpx.Client(base_url=base_url, timeout=10, headers=headers) as http:

        def post(path: str, body: dict[str, Any]) -> str:
            r = http.post(path, json=body)
            if r.status_code != 201:
                raise SystemExit(f"seed: POST {path} answered {r.status_code}: {r.text}")
            row = r.json()
            created.setdefault(path.rsplit("/", 1)[-1], []).append(row)
            return str(row["id"])

        regions: dict[str, str] = {}
        for country, name in [("RU", "Россия"), ("KZ", "Қазақстан"), ("UZ", "Oʻzbekiston")]:
            regions[country] = post(
                "/v1/regions", {"code": country, "name": name, "country_code": country, "level": "country"}
            )
        for code, name, parent, level in [
            ("RU-URFO", "Уральский федеральный округ", "RU", "district"),
            ("RU-KGN", "Курганская область", "RU-URFO", "region"),
            ("RU-SVE", "Свердловская область", "RU-URFO", "region"),
            ("RU-KGN-SHD", "Шадринский муниципальный округ", "RU-KGN", "municipality"),
            ("KZ-AKT", "Ақтөбе облысы", "KZ", "region"),
            ("KZ-ALA", "Алматы", "KZ", "region"),
            ("UZ-TK", "Toshkent", "UZ", "region"),
        ]:
            country = code.split("-")[0]
            regions[code] = post(
                "/v1/regions",
                {
                    "code": code,
                    "name": name,
                    "country_code": country,
                    "level": level,
                    "parent_id": regions[parent],
                    "rollout_stage": "pilot" if code == "RU-KGN" else "planned",
                    "rollout_target_year": 2027,
                },
            )

        hubs: dict[str, str] = {}
        for i, (region, kind) in enumerate(
            [("RU-KGN", "central"), ("RU-SVE", "central"), ("KZ-AKT", "central"), ("KZ-ALA", "mobile")]
        ):
            hubs[region] = post(
                "/v1/laboratories",
                {
                    "region_id": regions[region],
                    "code": f"{region}-{i:03}",
                    "name": f"Центральная КДЛ {i}",
                    "kind": kind,
                    "status": "operational",
                    "latitude": 55.44,
                    "longitude": 65.34,
                    "capacity_per_day": 1000 * (i + 1),
                    "disciplines": ["clinical_chemistry", "hematology"],
                    "accreditation": {
                        "standard": "ISO 15189",
                        "certificate_number": f"RA.RU.{i}",
                        "valid_until": "2030-01-01",
                    },
                },
            )
        for i, (region, hub, kind) in enumerate(
            [
                ("RU-KGN-SHD", "RU-KGN", "branch"),
                ("RU-KGN", "RU-KGN", "collection_point"),
                ("KZ-AKT", "KZ-AKT", "branch"),
            ]
        ):
            post(
                "/v1/laboratories",
                {
                    "region_id": regions[region],
                    "code": f"BR-{i:03}",
                    "name": f"Филиал {i}",
                    "kind": kind,
                    "parent_id": hubs[hub],
                },
            )

        vendors = [
            post(
                "/v1/vendors",
                {"name": name, "country_code": country, "categories": ["laboratory_equipment", "reagents"]},
            )
            for name, country in [
                ("Mindray", "CN"),
                ("Sysmex", "JP"),
                ("Roche Diagnostics", "CH"),
                ("Vector-Best", "RU"),
            ]
        ]
        localizations = []
        for vendor, country, region, stage in [
            (vendors[0], "RU", "RU-KGN", "negotiating"),
            (vendors[1], "KZ", "KZ-AKT", "interest_declared"),
            (vendors[2], "RU", None, "agreement_signed"),
        ]:
            body: dict[str, Any] = {"vendor_id": vendor, "country_code": country, "scope": ["reagents"], "stage": stage}
            if region:
                body["region_id"] = regions[region]
            localizations.append(post("/v1/localizations", body))

        models = [
            post(
                "/v1/equipment-models",
                {"vendor_id": vendor, "name": name, "model_code": code, "category": category, **extra},
            )
            for vendor, name, code, category, extra in [
                (vendors[0], "BC-6200 hematology analyzer", "BC-6200", "hematology_analyzer", {}),
                (vendors[1], "XN-1000", "XN-1000", "hematology_analyzer", {}),
                (
                    vendors[2],
                    "cobas c 311",
                    "C311",
                    "clinical_chemistry_analyzer",
                    {"localization_id": localizations[2]},
                ),
            ]
        ]
        for i, (model, hub) in enumerate([(models[0], "RU-KGN"), (models[1], "KZ-AKT"), (models[2], "RU-SVE")]):
            post(
                "/v1/equipment-units",
                {
                    "equipment_model_id": model,
                    "laboratory_id": hubs[hub],
                    "serial_number": f"SN-{i:04}",
                    "installed_on": "2026-03-15",
                    "supplier_name": "Медтехника",
                },
            )

        for model, country, number, extra in [
            (models[0], "RU", "РЗН 2021/14567", {}),
            (models[1], "KZ", "РК-МИ-5№021345", {"valid_until": "2024-12-31"}),
            (models[2], "RU", "РЗН 2019/8812", {"status": "revoked"}),
        ]:
            post(
                "/v1/registration-certificates",
                {
                    "equipment_model_id": model,
                    "country_code": country,
                    "issuing_authority": "Росздравнадзор" if country == "RU" else "НЦЭЛС",
                    "number": number,
                    "issued_on": "2019-06-10",
                    **extra,
                },
            )
        post(
            "/v1/recognition-agreements",
            {
                "recognizing_country_code": "SY",
                "recognized_country_code": "RU",
                "mutual": True,
                "scope": "both",
                "in_force_from": "2026-07-01",
                "title": "Recognition of registration documents",
                "source": "https://example.org/agreements/ru-sy",
            },
        )

        for name, kind, country in [
            ("Федерация лабораторной медицины", "federation", "RU"),
            ("СК-Фармация", "distributor", "KZ"),
            ("Оператор программы", "operator", "RU"),
        ]:
            post("/v1/organizations", {"name": name, "kind": kind, "country_code": country})

    if rows_path:
        with open(rows_path, "w", encoding="utf-8") as f:
            json.dump(created, f, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print("usage: seed.py <base-url> [ROWS.json]", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1].rstrip("/"), sys.argv[2] if len(sys.argv) == 3 else None)
    print("seed: 10 regions, 7 laboratories, 4 vendors, 3 localizations, 3 equipment models, 3 units, 3 certificates, 1 agreement, 3 organizations")
