"""The benchmark: the real service under gunicorn on loopback, against a fresh SQLite file and
a fresh PostgreSQL database, driven by separate load processes with PasswordDigest tokens;
then the same gunicorn settings serving canned replies to the same requests (the ceiling).

    .venv/bin/python -m bench.run                # ~2-3 minutes
    .venv/bin/python -m bench.run --seconds 20 --engines postgresql

Prints each figure and its ratio to the ceiling, and writes them as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import psycopg
from sqlalchemy.engine import make_url

from . import push, wire
from .census import Census
from .seed import database, seed

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCENARIOS = {  # name -> (records per request, what it is)
    "save": (1, "SaveProspect, half inserts, half updates"),
    "new": (1, "SaveProspect of new people only (not run unless asked for)"),
    "batch": (200, "SaveProspects of 200, half inserts, half updates"),
    "staff": (200, "GetStaffList of 200 staff"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict, options, log_path: Path):
    """gunicorn with the bench's settings; yields (port, master process)."""
    port = _free_port()
    command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers),
               "--worker-class", "gthread", "--threads", str(options.threads), "--keep-alive", "30",
               "--backlog", "256", "--log-level", "warning", "--chdir", str(ROOT), app]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log_path}:\n{log_path.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (children of the master)."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == master_pid and "VmRSS" in fields:
            sizes.append(round(int(fields["VmRSS"].split()[0]) / 1024, 1))
    return sorted(sizes)


def _warm_connections(port: int, info: dict, count: int) -> None:
    """One request per connection slot first, so every worker has built its app before timing."""
    connection = wire.Connection("127.0.0.1", port)
    for _ in range(count):
        connection.post(wire.envelope(wire.security_header(info["username"], info["password"]),
                                      wire.get_staff_list(info["club_id"])), "GetStaffList")
    connection.close()


def drive(port: int, scenario: str, info: dict, options, tag: str, master_pid: int) -> dict:
    """Run the load processes for one scenario; merge what they measured and where the CPU went."""
    start_at = time.time() + 0.5
    per_process = max(1, options.connections // options.processes)
    processes = [subprocess.Popen(
        [sys.executable, "-m", "bench.load", "--port", str(port), "--scenario", scenario,
         "--connections", str(per_process), "--warmup", str(options.warmup), "--seconds", str(options.seconds),
         "--club", str(info["club_id"]), "--username", info["username"], "--password", info["password"],
         "--tag", f"{tag}-{n}", "--start-at", str(start_at)],
        cwd=ROOT, stdout=subprocess.PIPE) for n in range(options.processes)]
    measured_from = start_at + options.warmup
    census = Census(master_pid, {p.pid for p in processes}, measured_from, measured_from + options.seconds)
    reports = [_report(p) for p in processes]
    latencies = sorted(lat for r in reports for lat in r["latencies_us"])
    records = SCENARIOS[scenario][0]
    result = {"requests": len(latencies), "errors": sum(r["errors"] for r in reports),
              "first_error": next((r["first_error"] for r in reports if r["first_error"]), None),
              "requests_per_s": round(len(latencies) / options.seconds, 1),
              "records_per_s": round(len(latencies) * records / options.seconds, 1),
              "p50_ms": _percentile(latencies, 50), "p99_ms": _percentile(latencies, 99),
              "connections": per_process * options.processes,
              "cpu_per_request": census.per_request(len(latencies))}
    return result


def _report(process: subprocess.Popen) -> dict:
    """A load process's JSON; a clear error (its own traceback is on stderr) when it has none."""
    output = process.communicate()[0]
    try:
        return json.loads(output)
    except ValueError:
        raise RuntimeError(f"a load process exited with status {process.returncode} without its report "
                           f"(its error is above): {output[:200]!r}") from None


def _percentile(sorted_us: list[int], pct: float) -> float | None:
    if not sorted_us:
        return None
    return round(sorted_us[min(len(sorted_us) - 1, int(len(sorted_us) * pct / 100))] / 1000, 2)


def capture_replies(port: int, info: dict) -> dict[str, str]:
    """One real reply per operation, for the canned server to send back."""
    connection = wire.Connection("127.0.0.1", port)
    bodies = {"SaveProspect": wire.save_prospect(info["club_id"], "capture-1", "c0"),
              "SaveProspects": wire.save_prospects(info["club_id"],
                                                   [(f"capture-{i}", "c0") for i in range(200)]),
              "GetStaffList": wire.get_staff_list(info["club_id"])}
    replies = {}
    for action, body in bodies.items():
        status, reply = connection.post(wire.envelope(wire.security_header(info["username"], info["password"]),
                                                      body), action)
        if status != 200:
            raise RuntimeError(f"{action} failed while capturing replies: {reply[:300]!r}")
        replies[action] = reply.decode()
    connection.close()
    return replies


def bench_engine(kind: str, workdir: Path, options, results: dict) -> None:
    with database(kind, workdir) as url:
        info = seed(url, staff=200)
        env = {"PARTNER_DATABASE_URL": url, "PARTNER_DATA_DIR": str(workdir), **info["env"]}
        if options.replay_cache_url:  # a prefix per run: keys of earlier runs live on for 5 minutes
            env.update(PARTNER_REPLAY_CACHE_URL=options.replay_cache_url,
                       PARTNER_REPLAY_CACHE_PREFIX=f"partner-bench:{uuid.uuid4().hex[:8]}:")
        with gunicorn("bench.apps:service_app()", env, options, workdir / f"{kind}.log") as (port, master):
            _warm_connections(port, info, options.connections * 2)
            if "replies" not in results:
                results["replies"] = capture_replies(port, info)
            for scenario in options.scenarios:
                measured = drive(port, scenario, info, options, f"{kind}-{scenario}", master.pid)
                results.setdefault(scenario, {})[kind] = measured
                print(f"  {kind:10} {scenario:6} {_line(results[scenario][kind])}", flush=True)
            results.setdefault("rss_mb", {})[kind] = worker_rss_mb(master.pid)
            if kind == options.push_engine and options.push_records:
                results["push"] = push.compare(port, info, options.push_records, workdir, options.push_rounds)


def bench_ceiling(workdir: Path, options, results: dict, info: dict) -> None:
    replies = workdir / "replies.json"
    replies.write_text(json.dumps(results["replies"]))
    with gunicorn("bench.apps:canned_app()", {"BENCH_CANNED_REPLIES": str(replies)}, options,
                  workdir / "ceiling.log") as (port, master):
        for scenario in options.scenarios:
            results[scenario]["ceiling"] = drive(port, scenario, info, options, f"ceiling-{scenario}",
                                                 master.pid)
            print(f"  {'ceiling':10} {scenario:6} {_line(results[scenario]['ceiling'])}", flush=True)
        results["rss_mb"]["ceiling"] = worker_rss_mb(master.pid)


FLOORS = {"floor: 1 statement": 1, "floor: 2 statements": 2}


def bench_floor(workdir: Path, options, results: dict, info: dict) -> None:
    """The canned reply after one or two durable PostgreSQL statements per request
    (``apps.floor_app``), for single saves: what the stack allows before any of our work."""
    replies = workdir / "replies.json"
    with database("postgresql", workdir) as url:  # a database of its own, with one table
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, key text UNIQUE)")
        for label, statements in FLOORS.items():
            env = {"BENCH_CANNED_REPLIES": str(replies), "BENCH_FLOOR_URL": conninfo,
                   "BENCH_FLOOR_STATEMENTS": str(statements)}
            with gunicorn("bench.apps:floor_app()", env, options, workdir / "floor.log") as (port, master):
                results["save"][label] = drive(port, "save", info, options, "floor", master.pid)
                print(f"  {label:10} save   {_line(results['save'][label])}", flush=True)


def _line(r: dict) -> str:
    return (f"{r['requests_per_s']:8.1f} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
            f"{r['records_per_s']:9.1f} records/s  errors {r['errors']}")


def _ratio(value, ceiling):
    return round(value / ceiling, 3) if value is not None and ceiling else None


def report(results: dict, options) -> dict:
    """Add each figure's ratio to the ceiling and print the table."""
    rows = []
    print(f"\n{'scenario':7} {'target':19} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'records/s':>10} "
          f"{'x ceil thr':>10} {'x ceil p50':>10} {'x ceil p99':>10}")
    for scenario in options.scenarios:
        ceiling = results[scenario]["ceiling"]
        for target in [*options.engines, "ceiling", *(f for f in FLOORS if f in results[scenario])]:
            r = results[scenario][target]
            r["ratio"] = {"throughput": _ratio(r["requests_per_s"], ceiling["requests_per_s"]),
                          "records_per_s": _ratio(r["records_per_s"], ceiling["records_per_s"]),
                          "p50": _ratio(r["p50_ms"], ceiling["p50_ms"]),
                          "p99": _ratio(r["p99_ms"], ceiling["p99_ms"])}
            rows.append((scenario, target, r))
            print(f"{scenario:7} {target:19} {r['requests_per_s']:8.1f} {r['p50_ms']!s:>7} {r['p99_ms']!s:>7} "
                  f"{r['records_per_s']:10.1f} {r['ratio']['throughput']!s:>10} {r['ratio']['p50']!s:>10} "
                  f"{r['ratio']['p99']!s:>10}" + (f"  ERRORS {r['errors']}: {r['first_error']}"
                                                  if r["errors"] else ""))
    print("\nCPU per request in the measured seconds (ms: gunicorn workers, database server, load"
          " processes; cores of the machine busy / idle / stolen):")
    for scenario, target, r in rows:
        cpu = r.get("cpu_per_request")
        if cpu:
            print(f"{scenario:7} {target:19} workers {cpu['workers_ms']:6.3f}  database "
                  f"{cpu['database_ms']:6.3f}  load {cpu['load_ms']:6.3f}   busy {cpu['machine_busy_cores']} "
                  f"idle {cpu['machine_idle_cores']} stolen {cpu['machine_steal_cores']}")
    ceiling_rss = max(results["rss_mb"].get("ceiling") or [0])
    print("\nworker RSS after the run (MB): " + ", ".join(
        f"{k} {v} (x{_ratio(max(v or [0]), ceiling_rss)})" for k, v in results["rss_mb"].items()))
    if "push" in results:
        p = results["push"]
        for n, pair in enumerate(p.get("rounds", []), 1):
            client, ceiling = pair["client"], pair["prebuilt"]
            print(f"\nclient push of {p['records']} prospects, pair {n}: pre-built {ceiling['seconds']} s,"
                  f" client {client['seconds']} s (exit {client['exit_code']}), ratio {pair['ratio']}", end="")
        median = {k: v for k, v in p.items() if k != "rounds"}
        print("\nclient push, median of the pairs: " + json.dumps(median))
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2, help="load processes sharing the connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default="save,batch,staff", help=f"of {', '.join(SCENARIOS)}")
    parser.add_argument("--push-records", type=int, default=10_000, help="0 skips the client push")
    parser.add_argument("--push-engine", default="postgresql")
    parser.add_argument("--push-rounds", type=int, default=3,
                        help="alternating pairs of pre-built envelopes and client push (median ratio)")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the floor (one and two bare PostgreSQL statements per request)")
    parser.add_argument("--replay-cache-url", default="", help="redis://... : the served app's replay cache")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/<time>.json)")
    options = parser.parse_args(argv)
    options.engines = [e for e in options.engines.split(",") if e]
    options.scenarios = [s for s in options.scenarios.split(",") if s]
    started = datetime.now(UTC)
    results: dict = {}
    with TemporaryDirectory(prefix="partner-bench-") as tmp:
        workdir = Path(tmp)
        for kind in options.engines:
            print(f"{kind}: fresh database, gunicorn {options.workers}x{options.threads} gthread", flush=True)
            bench_engine(kind, workdir, options, results)
        print("ceiling: the same gunicorn settings answering canned replies", flush=True)
        canned = {"club_id": 1, "username": "bench", "password": "any"}
        bench_ceiling(workdir, options, results, canned)
        if options.floor and "save" in options.scenarios:
            print("floor: the canned reply after one or two durable PostgreSQL statements", flush=True)
            bench_floor(workdir, options, results, canned)
    results.pop("replies", None)
    report(results, options)
    meta = {"started": started.isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "options": {k: v for k, v in vars(options).items() if k != "out"}, "run": uuid.uuid4().hex[:8]}
    out = options.out or ROOT / "bench" / "results" / f"{started:%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, **results}, indent=2, default=str))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
