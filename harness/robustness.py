"""Raw SOAP over real sockets: envelopes, hostile requests, a concurrent load driver and the
checks of what the database holds afterwards.

Shared by the e2e robustness tests (hostile input, concurrency, failures, properties) and
``tools/robustness_report.py``, so the report's figures come from the same code the tests run.
"""

from __future__ import annotations

import http.client
import random
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from lxml import etree
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.orm import start_mappers
from partner_service.domain.model import Person
from partner_service.service_layer import tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import select
from sqlalchemy.orm import Session

from .databases import postgres_database

TNS = "urn:connector-partner:v1"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SOAP_XML = "text/xml; charset=utf-8"
# Every hostile request carries this marker; no answer may ever contain it.
MARKER = "HOSTILE7f3a"
PERSON_OPERATIONS = (("SaveProspect", "Prospect"), ("SaveMember", "Member"), ("SaveExMember", "ExMember"))


@dataclass
class Reply:
    """One HTTP answer, read as a SOAP 1.1 envelope when it is one."""

    status: int
    content_type: str
    body: bytes

    def _root(self):
        try:
            return etree.fromstring(self.body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return None

    @property
    def is_soap_envelope(self) -> bool:
        root = self._root()
        return root is not None and root.tag == f"{{{SOAP11_ENV}}}Envelope" \
            and root.find(f"{{{SOAP11_ENV}}}Body") is not None

    @property
    def fault_code(self) -> str | None:
        """The fault code without its namespace prefix (``Client.Validation``), or None."""
        root = self._root()
        code = None if root is None else root.findtext(f".//{{{SOAP11_ENV}}}Fault/faultcode")
        return None if code is None else code.split(":", 1)[-1]

    @property
    def fault_qname(self) -> str | None:
        """The fault code as ``{namespace}local``, its prefix resolved as a SOAP stack would."""
        root = self._root()
        node = None if root is None else root.find(f".//{{{SOAP11_ENV}}}Fault/faultcode")
        if node is None or not node.text:
            return None
        prefix, _, local = node.text.strip().rpartition(":")
        return f"{{{node.nsmap.get(prefix or None, '')}}}{local}"

    @property
    def fault_string(self) -> str | None:
        root = self._root()
        return None if root is None else root.findtext(f".//{{{SOAP11_ENV}}}Fault/faultstring")

    def results(self) -> list[tuple[str | None, str | None, str | None]]:
        """``(Id, Action, error code)`` of every SaveResult of the answer, in order (a batch
        answers several)."""
        root = self._root()
        found = [] if root is None else root.iterfind(f".//{{{TNS}}}SaveResult")
        return [tuple(r.findtext(f"{{{TNS}}}{path}") for path in ("Id", "Action", f"Error/{{{TNS}}}Code"))
                for r in found]

    def text(self, local_name: str) -> str | None:
        """The first ``tns:<local_name>`` of the answer (a field of the fault detail or the result)."""
        root = self._root()
        return None if root is None else root.findtext(f".//{{{TNS}}}{local_name}")


def post(base_url: str, body: bytes, content_type: str | None = SOAP_XML, timeout: float = 30,
         chunked: bool = False, path: str = "/soap") -> Reply:
    """POST raw bytes to the service: no SOAP library in between to tidy the request up."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Content-Type": content_type} if content_type is not None else {}
    try:
        if chunked:
            connection.request("POST", path, body=iter([body]), headers=headers, encode_chunked=True)
        else:
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


def envelope(operation_xml: str, username: str = "acme") -> bytes:
    """A SOAP 1.1 envelope with a UsernameToken header (the tests' authenticator reads the name)."""
    return (f'<soap:Envelope xmlns:soap="{SOAP11_ENV}" xmlns:p="{TNS}"><soap:Header>'
            f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken><wsse:Username>{escape(username)}'
            f'</wsse:Username><wsse:Password>unused</wsse:Password></wsse:UsernameToken></wsse:Security>'
            f'</soap:Header><soap:Body>{operation_xml}</soap:Body></soap:Envelope>').encode()


def person_xml(fields: dict[str, str]) -> str:
    """Child elements in the given order (the schema's order is the caller's business)."""
    return "".join(f"<p:{name}>{escape(str(value))}</p:{name}>" for name, value in fields.items())


def save_xml(operation: str, club_id: int | str, record: str, fields: dict[str, str]) -> str:
    return (f"<p:{operation}><p:ClubId>{club_id}</p:ClubId><p:{record}>{person_xml(fields)}</p:{record}>"
            f"</p:{operation}>")


def batch_xml(operation: str, club_id: int | str, record: str, records: list[dict[str, str]]) -> str:
    """The batch of the single-save ``operation`` (SaveProspect -> SaveProspects of Prospects;
    an ExMembers batch holds Member elements, its type being the members' batch)."""
    item = "Member" if record == "ExMember" else record
    items = "".join(f"<p:{item}>{person_xml(fields)}</p:{item}>" for fields in records)
    return f"<p:{operation}s><p:ClubId>{club_id}</p:ClubId><p:{record}s>{items}</p:{record}s></p:{operation}s>"


@dataclass
class Tally:
    """What a load run sent and was answered, shared by its threads."""

    sent: int = 0
    records: int = 0  # the records of the requests sent (a batch holds several)
    faults: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    # ExternalId -> every Id an acknowledged save of it answered.
    acknowledged: dict[str, set[str]] = field(default_factory=dict)
    # ExternalIds whose save was answered with a fault or no answer at all (retry candidates).
    unanswered: set[str] = field(default_factory=set)
    # The ExternalIds of each request that got no answer or a fault as a whole, as sent together.
    unanswered_requests: list[tuple[str, ...]] = field(default_factory=list)
    non_soap_answers: int = 0
    # Records whose save was acknowledged (several may name the same ExternalId and Id).
    acknowledged_answers: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def acknowledged_saves(self) -> int:
        """Distinct (ExternalId, Id) pairs acknowledged: what the database must hold."""
        return sum(len(ids) for ids in self.acknowledged.values())

    def record(self, external_id: str, reply: Reply | None) -> None:
        self.record_batch([external_id], reply)

    def record_batch(self, external_ids: list[str], reply: Reply | None) -> None:
        """One request saving these ExternalIds in order (one for a single save). A batch's
        record that failed alone counts as a fault of its own code, its ExternalId unanswered."""
        with self.lock:
            self.sent += 1
            self.records += len(external_ids)
            if reply is None:
                self.transport_errors += 1
                self.unanswered.update(external_ids)
                self.unanswered_requests.append(tuple(external_ids))
                return
            if not reply.is_soap_envelope:
                self.non_soap_answers += 1
            code = reply.fault_code
            results = reply.results() if code is None and reply.status == 200 else []
            if len(results) != len(external_ids):
                self.faults[code or f"HTTP {reply.status}"] += 1
                self.unanswered.update(external_ids)
                self.unanswered_requests.append(tuple(external_ids))
                return
            for external_id, (person_id, action, error) in zip(external_ids, results, strict=True):
                if person_id and action != "Failed":
                    self.acknowledged_answers += 1
                    self.acknowledged.setdefault(external_id, set()).add(person_id)
                else:
                    self.faults[f"{error or action} (one record)"] += 1
                    self.unanswered.add(external_id)


def save_person(base_url: str, club_id: int, external_id: str, rng: random.Random,
                username: str = "acme", timeout: float = 30) -> Reply:
    """One prospect, member or ex-member save keyed on ``external_id``, type chosen by ``rng``."""
    operation, record = rng.choice(PERSON_OPERATIONS)
    fields = {"ExternalId": external_id, "FirstName": f"First{rng.randrange(1000)}", "LastName": "Load"}
    return post(base_url, envelope(save_xml(operation, club_id, record, fields), username), timeout=timeout)


def save_people(base_url: str, club_id: int, external_ids: list[str], rng: random.Random,
                username: str = "acme", timeout: float = 30) -> Reply:
    """One batch of prospects, members or ex-members keyed on ``external_ids``, in that order."""
    operation, record = rng.choice(PERSON_OPERATIONS)
    records = [{"ExternalId": e, "FirstName": f"First{rng.randrange(1000)}", "LastName": "Batch"}
               for e in external_ids]
    return post(base_url, envelope(batch_xml(operation, club_id, record, records), username), timeout=timeout)


def run_load(base_url: str, club_id: int, external_ids: list[str] | None, threads: int = 16,
             per_thread: int = 50, seed: int = 0, tally: Tally | None = None,
             stop: threading.Event | None = None, batches: float = 0.0) -> Tally:
    """``threads`` clients, each sending ``per_thread`` requests (or until ``stop``) saving
    ExternalIds drawn from the list; with no list, every save has an ExternalId of its own.
    A share ``batches`` of the requests are batches of 2 to 8 records, the rest single saves."""
    tally = tally or Tally()

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        for n in range(per_thread):
            if stop is not None and stop.is_set():
                return
            size = rng.randint(2, 8) if batches and rng.random() < batches else 1
            chosen = [rng.choice(external_ids) if external_ids else f"U{seed}-{number}-{n}-{i}"
                      for i in range(size)]
            try:
                if size == 1:
                    reply = save_person(base_url, club_id, chosen[0], rng)
                else:
                    reply = save_people(base_url, club_id, chosen, rng)
            except (OSError, http.client.HTTPException):  # no answer: a dropped connection
                reply = None
            tally.record_batch(chosen, reply)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally


@dataclass
class StoreCheck:
    """What the database holds for a client, compared with what was acknowledged."""

    people: int
    acknowledged_checked: int
    missing: list[str]
    duplicates: int
    broken_history: list[int]
    external_ids: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return not self.missing and not self.duplicates and not self.broken_history


def check_store(engine, client_id: int, tally: Tally) -> StoreCheck:
    """Every acknowledged Id is the one person of its ExternalId; every history is whole."""
    with Session(engine) as session:
        people = list(session.scalars(select(Person).where(Person.client_id == client_id)))
        by_external_id = Counter(p.external_id for p in people if p.external_id is not None)
        by_id = {str(p.id): p for p in people}
        missing = [f"{ext}->{pid}" for ext, ids in sorted(tally.acknowledged.items()) for pid in sorted(ids)
                   if pid not in by_id or by_id[pid].external_id != ext]
        broken = [p.id for p in people if not _history_is_whole(p)]
    return StoreCheck(people=len(people), acknowledged_checked=tally.acknowledged_saves, missing=missing,
                      duplicates=sum(n - 1 for n in by_external_id.values() if n > 1),
                      broken_history=broken, external_ids=frozenset(by_external_id))


def _history_is_whole(person: Person) -> bool:
    """A person is never half-written: its type history starts at insert, each change starts
    where the one before ended (no conversion lost to a race), and it ends at its type."""
    history = sorted(person.type_history, key=lambda change: change.id)
    if not history or history[0].from_type is not None or history[-1].to_type is not person.user_type:
        return False
    return all(before.to_type is after.from_type for before, after in pairwise(history))



@contextmanager
def acme_on_postgresql(clubs: int = 1):
    """``(database_url, engine, client)``: a fresh, migrated PostgreSQL database holding one
    client, dropped afterwards."""
    start_mappers()
    with postgres_database() as database_url:
        engine = make_engine(database_url)
        try:
            migrate.upgrade(engine)
            client = tenants.create_client(SqlAlchemyUnitOfWork(session_factory(engine)), "Acme Fitness", clubs)
            yield database_url, engine, client
        finally:
            engine.dispose()


__all__ = ["MARKER", "PERSON_OPERATIONS", "Reply", "StoreCheck", "Tally", "acme_on_postgresql", "batch_xml",
           "check_store", "envelope", "person_xml", "post", "run_load", "save_people", "save_person",
           "save_xml"]
