"""Client side: ``partner-client push`` of N prospects against the running service, compared
with posting the same number of records as pre-built SaveProspects envelopes over one
keep-alive connection (the client's ceiling: no record reading, no zeep, no link store)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from . import wire

BIN = Path(sys.executable).parent


def prebuilt(port: int, info: dict, records: int, tag: str) -> dict:
    """Envelopes built before the clock starts (digest tokens too); then only HTTP."""
    bodies = []
    for start in range(0, records, 200):
        batch = [(f"{tag}-{n}", "c0") for n in range(start, min(records, start + 200))]
        bodies.append(wire.envelope(wire.security_header(info["username"], info["password"]),
                                    wire.save_prospects(info["club_id"], batch)))
    connection = wire.Connection("127.0.0.1", port)
    began = time.perf_counter()
    failures = 0
    for body in bodies:
        status, reply = connection.post(body, "SaveProspects")
        failures += status != 200 or b"Fault>" in reply or b"Failed" in reply
    seconds = time.perf_counter() - began
    connection.close()
    return {"seconds": round(seconds, 2), "records_per_s": round(records / seconds, 1),
            "failed_calls": failures}


def client_push(port: int, info: dict, records: int, workdir: Path, tag: str = "client") -> dict:
    """``partner-client push`` as an operator runs it: a turn-up sheet and a JSON Lines file."""
    sheet = workdir / "sheet.toml"
    sheet.write_text(
        f'client_id = {info["client_id"]}\nclub_ids = [{info["club_id"]}]\n'
        f'url = "http://127.0.0.1:{port}/soap"\nscheme = "http"\nusername = "{info["username"]}"\n'
        f'password = "{info["password"]}"\npassword_type = "digest"\n\n[options]\ninsecure_http = true\n',
        encoding="utf-8")
    source = workdir / "records.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for n in range(records):
            handle.write(json.dumps({"connector_id": f"{tag}-{n}", "first_name": "Bench",
                                     "last_name": f"Prospect {tag}-{n}", "city": "c0", "mobile": "+1 555 0100",
                                     "email": f"{tag}-{n}@bench.example"}) + "\n")
    command = [str(BIN / "partner-client"), "--links", f"sqlite:///{workdir / 'links.sqlite3'}",
               "push", "--sheet", str(sheet), str(source)]
    began = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - began
    result = {"seconds": round(seconds, 2), "records_per_s": round(records / seconds, 1),
              "exit_code": finished.returncode}
    if finished.returncode != 0:
        result["output"] = (finished.stdout + finished.stderr)[-1500:]
    return result


def compare(port: int, info: dict, records: int, workdir: Path, rounds: int = 3) -> dict:
    """``rounds`` alternating pairs (pre-built envelopes, then the client) against the same
    server; the ratio is the median of the pairs'. One pair alone swings by a fifth from one
    minute to the next on a shared machine; each push adds its people to the table, so the
    pairs run on a table growing alike for both."""
    if not (BIN / "partner-client").exists():
        return {"records": records, "prebuilt": prebuilt(port, info, records, "prebuilt"), "client": None,
                "note": "partner-client is not installed in this environment"}
    pairs = []
    for n in range(rounds):
        ceiling = prebuilt(port, info, records, f"prebuilt{n}")
        round_dir = workdir / f"push{n}"
        round_dir.mkdir(exist_ok=True)
        client = client_push(port, info, records, round_dir, f"client{n}")
        pairs.append({"prebuilt": ceiling, "client": client,
                      "ratio": round(client["records_per_s"] / ceiling["records_per_s"], 3)})
    middle = sorted(pairs, key=lambda pair: pair["ratio"])[(len(pairs) - 1) // 2]  # the lower of two middles
    return {"records": records, "rounds": pairs, "prebuilt": middle["prebuilt"], "client": middle["client"],
            "ratio": middle["ratio"], "ratios": [pair["ratio"] for pair in pairs]}
