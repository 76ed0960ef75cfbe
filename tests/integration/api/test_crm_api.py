"""CRM through the real application, on SQLite and PostgreSQL: customers with phones,
contacts, notes, tickets and orders; tenant isolation; import and export (CSV, Excel)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.integration.api import test_config_support as support
from tests.integration.api.conftest import Center
from tests.integration.api.test_config_support import Client, as_user

any_center, start_center = support.any_center, support.start_center
postgres_server = support.postgres_server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _customer(client: Client, **extra: Any) -> dict[str, Any]:
    status, made = await client.call("POST", "/api/v1/customers", {
        "name": "Wang Fang", "phones": ["+8613800138000"], **extra})
    assert status == 201, made
    return dict(made)


async def test_customer_and_interactions_round_trip(any_center: Center) -> None:
    ann = await as_user(any_center, "ann")  # agents keep customer records up to date
    made = await _customer(ann, email="wf@example.cn", vip=True)
    assert [p["number"] for p in made["phones"]] == ["+8613800138000"]
    cid = made["id"]
    status, phone = await ann.call("POST", f"/api/v1/customers/{cid}/phones",
                                   {"number": "+861012345678", "label": "office"})
    assert (status, phone["label"]) == (201, "office")
    status, body = await ann.call("POST", f"/api/v1/customers/{cid}/phones",
                                  {"number": "+861012345678"})
    assert (status, body["error"]["details"]["constraint"]) == (
        409, "uq_customer_phones_customer_id_number")
    for kind, new in (
        ("contacts", {"name": "Li Lei", "phone": "+8613900000000"}),
        ("notes", {"call_id": "abc@host", "body": "asked about the refund"}),
        ("tickets", {"call_id": "abc@host", "subject": "refund"}),
        ("orders", {"reference": "SO-1", "amount": "199.90", "currency": "CNY"}),
    ):
        status, row = await ann.call("POST", f"/api/v1/{kind}", {"customer_id": cid, **new})
        assert status == 201, row
        status, page = await ann.call("GET", f"/api/v1/{kind}", customer_id=cid)
        assert [r["id"] for r in page["items"]] == [row["id"]]
    status, notes = await ann.call("GET", "/api/v1/notes", call_id="abc@host")
    assert notes["items"][0]["author_id"] == any_center.users["ann"].id
    status, order = await ann.call("GET", f"/api/v1/orders/{row['id']}")
    assert order["amount"] == "199.90"
    status, body = await ann.call("PATCH", f"/api/v1/tickets/{notes['items'][0]['id']}",
                                  {"status": "lost"})
    assert (status, body["error"]["details"]["field"]) == (400, "status"), body
    assert (await ann.call("DELETE", f"/api/v1/customers/{cid}/phones/+861012345678"))[0] \
        == 204
    # Erasing the customer erases what hangs off it.
    assert (await ann.call("DELETE", f"/api/v1/customers/{cid}"))[0] == 204
    status, page = await ann.call("GET", "/api/v1/notes", customer_id=cid)
    assert page["total"] == 0


@pytest.mark.parametrize("kind", ["customers", "contacts", "notes", "tickets", "orders"])
async def test_crm_rows_stay_in_their_tenant(any_center: Center, kind: str) -> None:
    ann, gus = await as_user(any_center, "ann"), await as_user(any_center, "gus")
    cid = (await _customer(ann))["id"]
    bodies = {"customers": {"name": "X"}, "contacts": {"customer_id": cid, "name": "C"},
              "notes": {"customer_id": cid, "body": "b"},
              "tickets": {"customer_id": cid, "subject": "s"},
              "orders": {"customer_id": cid, "reference": "R", "amount": 1,
                         "currency": "EUR"}}
    status, row = await ann.call("POST", f"/api/v1/{kind}", bodies[kind])
    assert status == 201, row
    for method in ("GET", "PATCH", "DELETE"):
        status, body = await gus.call(method, f"/api/v1/{kind}/{row['id']}",
                                      {} if method == "PATCH" else None)
        assert (status, body["error"]["id"]) == (404, "resource.not_found"), (method, body)
    if kind != "customers":  # globex cannot hang rows on acme's customer either
        status, body = await gus.call("POST", f"/api/v1/{kind}", bodies[kind])
        assert (status, body["error"]["details"]["field"]) == (400, "customer_id"), body


async def test_analysts_get_no_customer_records(any_center: Center) -> None:
    ana = await as_user(any_center, "ana")
    status, body = await ana.call("GET", "/api/v1/customers")
    assert (status, body["error"]["details"]["permission"]) == (403, "customers.read")


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


HEADER = ["external_id", "name", "email", "phones", "vip", "blocked"]
GOOD_AND_BAD = [
    HEADER,
    ["C1", "张伟", "zw@example.cn", "+8613800000001", "yes", ""],
    ["C2", "", "x@example.cn", "+8613800000002", "", ""],          # no name
    ["", "No Key", "", "", "", ""],                                  # nothing to find it by
    ["C4", "Bad Phone", "not-an-email", "13800000004;+8613800000005", "maybe", ""],
    [],                                                              # blank line: skipped
    ["", "By Phone", "", "+8613800000006;+8613800000007", "", "true"],
]


async def _import(client: Client, data: bytes, content_type: str,
                  **params: Any) -> tuple[int, Any]:
    resp = await client.center.client.post("/api/v1/customers/import", data=data,
                                           headers={**client.headers,
                                                    "Content-Type": content_type},
                                           params=params or None)
    return resp.status, await resp.json()


async def test_import_reports_every_bad_row_and_imports_the_good_ones(
        any_center: Center) -> None:
    adam = await as_user(any_center, "adam")
    status, report = await _import(adam, _csv(GOOD_AND_BAD), "text/csv")
    assert status == 200, report
    assert (report["rows"], report["created"], report["updated"],
            report["rejected_rows"]) == (5, 2, 0, 3)
    problems = {(e["row"], e["column"]) for e in report["errors"]}
    assert problems == {(3, "name"), (4, "external_id"), (5, "email"), (5, "phones"),
                        (5, "vip")}
    status, page = await adam.call("GET", "/api/v1/customers")
    assert sorted(c["name"] for c in page["items"]) == ["By Phone", "张伟"]
    # The same file again updates, never duplicates (keyed by external id, else phone).
    edited = [r[:] for r in GOOD_AND_BAD]
    edited[1][1], edited[6][1] = "张伟伟", "By Phone 2"
    status, report = await _import(adam, _csv(edited), "text/csv")
    assert (report["created"], report["updated"], report["rejected_rows"]) == (0, 2, 3)
    status, page = await adam.call("GET", "/api/v1/customers")
    assert sorted(c["name"] for c in page["items"]) == ["By Phone 2", "张伟伟"]
    assert page["total"] == 2


async def test_import_excel_and_unreadable_files(any_center: Center) -> None:
    adam = await as_user(any_center, "adam")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Phones", "External_ID", "VIP"])
    sheet.append(["Excel Person", "+8613800000009", "X1", True])
    sheet.append(["Lost Plus", 8613800000010, None, None])  # Excel ate the +
    out = io.BytesIO()
    book.save(out)
    status, report = await _import(adam, out.getvalue(), XLSX)
    assert (status, report["created"]) == (200, 1), report
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "phones")]
    for data, ctype, field in (
        (b"name,colour\nA,red\n", "text/csv", "file.colour"),
        (b"", "text/csv", "file"),
        (b"PK\x03\x04 not really", XLSX, "file"),
        (b"\xff\xfe\x00", "text/csv", "file"),
    ):
        status, body = await _import(adam, data, ctype)
        assert (status, body["error"]["details"]["field"]) == (400, field), body
    status, body = await _import(adam, b"name\nA\n", "application/json")
    assert (status, body["error"]["id"]) == (415, "request.unsupported_media_type")
    ann = await as_user(any_center, "ann")
    status, body = await _import(ann, b"name\nA\n", "text/csv")
    assert (status, body["error"]["details"]["permission"]) == (403, "customers.import")


async def _export(client: Client, fmt: str) -> tuple[int, str, bytes]:
    resp = await client.center.client.get("/api/v1/customers/export",
                                          params={"format": fmt}, headers=client.headers)
    return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


async def test_export_round_trips_and_masks_for_analysts(start_center: support.Starter,
                                                         ) -> None:
    center = await start_center("sqlite")
    adam, ana = await as_user(center, "adam"), await as_user(center, "ana")
    rows = [HEADER] + [[f"E{i}", f"客户{i}", f"c{i}@example.cn",
                        f"+86138{i:08d};+86139{i:08d}", "true" if i % 2 else "false",
                        "false"] for i in range(1203)]  # more than two export pages
    status, report = await _import(adam, _csv(rows), "text/csv")
    assert (status, report["created"], report["errors"]) == (200, 1203, [])
    status, ctype, data = await _export(adam, "csv")
    assert (status, ctype) == (200, "text/csv")
    exported = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert exported == rows
    # Re-importing the export changes nothing.
    status, report = await _import(adam, data, "text/csv")
    assert (report["created"], report["updated"], report["errors"]) == (0, 1203, [])
    status, ctype, data = await _export(adam, "xlsx")
    assert (status, ctype) == (200, XLSX)
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == rows
    status, _, data = await _export(ana, "csv")
    masked = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert masked[1] == ["E0", "[redacted]", "[redacted]", "[redacted];[redacted]", "false",
                         "false"]
    assert "+86138" not in data.decode("utf-8-sig") and "客户" not in data.decode("utf-8-sig")
    ann = await as_user(center, "ann")
    status, _, _ = await _export(ann, "csv")
    assert status == 403
