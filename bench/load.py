"""One load process: N keep-alive connections, each sending one scenario's requests as fast
as the server answers, for a warm-up and then a measured period. Prints JSON.

    python -m bench.load --port P --scenario save --connections 4 --seconds 6 --tag a
"""

from __future__ import annotations

import argparse
import json
import threading
import time

from . import wire

BATCH = 200


def request_bodies(scenario: str, club_id: int, tag: str):
    """Endless request bodies: saves alternate a new ExternalId and an update of the last one;
    ``new`` saves a new person each time (a Connector's first sync)."""
    n = 0
    while True:
        if scenario == "new":
            yield wire.save_prospect(club_id, f"{tag}-{n}", "c0")
        elif scenario == "save":
            if n % 2 == 0:
                yield wire.save_prospect(club_id, f"{tag}-{n}", "c0")
            else:
                yield wire.save_prospect(club_id, f"{tag}-{n - 1}", f"c{n}")
        elif scenario == "batch":
            records = [(f"{tag}-{n}-{i}", "c0") if i % 2 == 0 or n == 0 else (f"{tag}-{n - 1}-{i - 1}", f"c{n}")
                       for i in range(BATCH)]
            yield wire.save_prospects(club_id, records)
        else:
            yield wire.get_staff_list(club_id)
        n += 1


ACTIONS = {"save": "SaveProspect", "new": "SaveProspect", "batch": "SaveProspects", "staff": "GetStaffList"}


def _drive(args, index: int, start_at: float, stop_at: float, out: dict) -> None:
    connection = wire.Connection(args.host, args.port)
    latencies, errors, first_error = [], 0, None
    bodies = request_bodies(args.scenario, args.club, f"{args.tag}-{index}")
    while True:
        body = wire.envelope(wire.security_header(args.username, args.password), next(bodies))
        began = time.perf_counter()
        if began >= stop_at:
            break
        try:
            status, reply = connection.post(body, ACTIONS[args.scenario])
        except OSError as error:
            status, reply = 0, f"connection failed: {error}".encode()
        ended = time.perf_counter()
        if status != 200 or b"Fault>" in reply:
            errors += 1
            first_error = first_error or reply[:300].decode(errors="replace")
        elif began >= start_at:
            latencies.append(round((ended - began) * 1e6))
    connection.close()
    out[index] = (latencies, errors, first_error)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scenario", choices=sorted(ACTIONS), required=True)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--club", type=int, default=1)
    parser.add_argument("--username", default="bench")
    parser.add_argument("--password", default="unused")
    parser.add_argument("--tag", default="load")
    parser.add_argument("--start-at", type=float, default=0.0,
                        help="time.time() to begin at (aligns the processes)")
    args = parser.parse_args()
    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    now = time.perf_counter()
    start_at, stop_at = now + args.warmup, now + args.warmup + args.seconds
    out: dict = {}
    threads = [threading.Thread(target=_drive, args=(args, i, start_at, stop_at, out))
               for i in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(lat for lats, _, _ in out.values() for lat in lats)
    errors = sum(e for _, e, _ in out.values())
    first_error = next((f for _, _, f in out.values() if f), None)
    print(json.dumps({"latencies_us": latencies, "errors": errors, "first_error": first_error,
                      "seconds": args.seconds}))


if __name__ == "__main__":
    main()
