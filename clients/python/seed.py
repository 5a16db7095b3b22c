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
        for vendor, country, region, stage in [
            (vendors[0], "RU", "RU-KGN", "negotiating"),
            (vendors[1], "KZ", "KZ-AKT", "interest_declared"),
            (vendors[2], "RU", None, "agreement_signed"),
        ]:
            body: dict[str, Any] = {"vendor_id": vendor, "country_code": country, "scope": ["reagents"], "stage": stage}
            if region:
                body["region_id"] = regions[region]
            post("/v1/localizations", body)

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
    print("seed: 10 regions, 7 laboratories, 4 vendors, 3 localizations, 3 organizations")
