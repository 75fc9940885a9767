"""Client side: ``partner-client push`` of N prospects against the running service, compared
with posting the same records as pre-built SaveProspects envelopes over one keep-alive
connection (the client's ceiling)."""

from __future__ import annotations

import time
from pathlib import Path

from . import wire


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
    return {"seconds": round(seconds, 2), "records_per_s": round(records / seconds, 1), "failures": failures}


def compare(port: int, info: dict, records: int, workdir: Path) -> dict:
    result = {"records": records, "prebuilt": prebuilt(port, info, records, "prebuilt")}
    result["client"] = None
    result["note"] = "partner-client push is not in the tree yet"
    return result
