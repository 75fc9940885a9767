"""Pushing the Connector's people into the partner, remembering the Id of each.

Contract "Save semantics" and "What the Connector does with it": every save carries the
Connector's ID as ``ExternalId`` and, once known, the partner's ``Id`` from the link
store, so a repeated or resumed push updates instead of inserting (and answers
``Unchanged`` when nothing changed); a prospect saved later as a member or ex-member
keeps its partner ID. Prospects carry the linked owner and lead source, or none
(seed, "Staff Synchronization": "with no staff owner").

Batches (``SaveProspects``...) are used when the partner's WSDL offers them, single
saves otherwise. The links of each batch are committed before the next is sent, so an
interrupted push can simply be run again.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import exceptions as exc
from .generated.service import PartnerClient
from .generated.types import Action, Member, Prospect, SaveResult
from .linkstore import LinkStore, PersonLink
from .records import ConnectorRecord, RecordProblem
from .wire import too_long

BATCH_MAX = 200  # contract "Batch operations": 1 to 200 records
_MEMBER_FIELDS = {f.name for f in dataclasses.fields(Member)}


@dataclass(frozen=True)
class Failure:
    line: int
    connector_id: str | None
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict:
        return {"line": self.line, "connector_id": self.connector_id, "code": self.code,
                "field": self.field, "message": self.message}


@dataclass
class PushReport:
    actions: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    without_owner: int = 0
    without_source: int = 0
    aborted: str | None = None

    def count(self, action: Action) -> int:
        return self.actions[action]

    @property
    def processed(self) -> int:
        return sum(self.actions.values())


class Aborted(Exception):
    """A failure that every following record would meet too (partner down, credential refused)."""


def _is_systemic(error: exc.PartnerError) -> bool:
    return isinstance(error, exc.TransportError | exc.Unavailable | exc.AuthenticationError | exc.NotOffered)


class Pusher:
    def __init__(self, client: PartnerClient, store: LinkStore, *, batch_size: int = BATCH_MAX,
                 test: bool = False, progress: Callable[[int], None] | None = None):
        self.client = client
        self.store = store
        self.batch_size = max(1, min(batch_size, BATCH_MAX))
        self.test = test
        self.progress = progress or (lambda n: None)
        self.report = PushReport()
        self._staff: dict[str, str | None] = {}
        self._sources: dict[str, str | None] = {}

    def push(self, records: Iterable[ConnectorRecord | RecordProblem]) -> PushReport:
        batch: list[ConnectorRecord] = []
        in_batch: set[str] = set()  # the batch's connector IDs: a repeated one starts the next batch
        try:
            for record in records:
                if isinstance(record, RecordProblem):
                    self._fail_local(record.line, record.connector_id, record.message)
                    continue
                if batch and (len(batch) >= self.batch_size or self._key(batch[0]) != self._key(record)
                              or record.connector_id in in_batch):
                    self._flush(batch)
                    batch = []
                    in_batch = set()
                batch.append(record)
                in_batch.add(record.connector_id)
            if batch:
                self._flush(batch)
        except Aborted as stop:
            self.report.aborted = str(stop)
        return self.report

    @staticmethod
    def _key(record: ConnectorRecord) -> tuple[int | None, str]:
        return (record.club_id, record.user_type)

    def _fail_local(self, line: int, connector_id: str | None, message: str, field: str | None = None) -> None:
        self.report.actions[Action.FAILED] += 1
        self.report.failures.append(Failure(line, connector_id, "Connector.Record", message, field))
        self.progress(1)

    def _linked(self, cache: dict[str, str | None], lookup, connector_id: str | None) -> str | None:
        if connector_id is None:
            return None
        if connector_id not in cache:
            link = lookup(connector_id)
            cache[connector_id] = link[0] if isinstance(link, tuple) else link
        return cache[connector_id]

    def _wire_record(self, record: ConnectorRecord, partner_id: str | None) -> Prospect | Member:
        common = dict(id=partner_id, external_id=record.connector_id,
                      fields_to_null=list(record.fields_to_null) or None)
        if record.user_type != "Prospect":
            return Member(**common, **{k: v for k, v in record.values.items() if k in _MEMBER_FIELDS})
        owner = self._linked(self._staff, self.store.staff, record.owner_id)
        source = self._linked(self._sources, self.store.lead_source, record.lead_source_id)
        self.report.without_owner += bool(record.owner_id and owner is None)
        self.report.without_source += bool(record.lead_source_id and source is None)
        return Prospect(**common, **record.values, lead_owner_id=owner, lead_source_id=source)

    def _flush(self, batch: list[ConnectorRecord]) -> None:
        links = self.store.people(r.connector_id for r in batch)
        ready: list[tuple[ConnectorRecord, Prospect | Member]] = []
        for record in batch:
            link = links.get(record.connector_id)
            wire = self._wire_record(record, link.partner_id if link else None)
            problems = too_long(wire)
            if problems:
                name, limit = problems[0]
                self._fail_local(record.line, record.connector_id, f"{name} is longer than {limit}", name)
            else:
                ready.append((record, wire))
        if not ready:
            return
        results = self._send(ready)
        self._remember(ready, results)

    def _send(self, ready: list[tuple[ConnectorRecord, Prospect | Member]]) -> list[SaveResult | exc.Fault]:
        record = ready[0][0]
        batch_op, single_op = self.client.capabilities.save_operations(record.user_type)
        if batch_op is None and single_op is None:
            raise Aborted(f"the partner offers no save operation for {record.user_type}")
        wires = [w for _, w in ready]
        if batch_op is not None:
            try:
                return self._call(batch_op, record.club_id, wires)
            except exc.Fault as error:
                if _is_systemic(error):
                    raise Aborted(str(error)) from None
                if len(wires) == 1:
                    return [error]
                # One record the partner refused at the door (not per record) spoils the whole
                # batch: send each alone to learn which.
                operation, single = (single_op, True) if single_op else (batch_op, False)
            except exc.PartnerError as error:
                raise Aborted(str(error)) from None
        else:
            operation, single = single_op, True
        results: list[SaveResult | exc.Fault] = []
        for wire in wires:
            try:
                answer = self._call(operation, record.club_id, wire if single else [wire])
                results.append(answer if single else answer[0])
            except exc.Fault as error:
                if _is_systemic(error):
                    raise Aborted(str(error)) from None
                results.append(error)
            except exc.PartnerError as error:
                raise Aborted(str(error)) from None
        return results

    def _call(self, operation: str, club_id: int, records):
        # Every save method of the contract takes (ClubId, record or records, Test).
        return self.client.method(operation)(club_id, records, test=self.test or None)

    def _remember(self, ready, results) -> None:
        links = []
        for (record, _wire), result in zip(ready, results, strict=True):
            if isinstance(result, exc.Fault):
                self.report.actions[Action.FAILED] += 1
                self.report.failures.append(Failure(record.line, record.connector_id, result.code,
                                                    result.message, result.field))
                continue
            self.report.actions[result.action] += 1
            if result.action is Action.FAILED:
                error = result.error
                self.report.failures.append(Failure(record.line, record.connector_id,
                                                    error.code if error else "Failed",
                                                    error.message if error else "the partner gave no reason",
                                                    error.field if error else None))
            elif result.id and result.action is not Action.VALIDATED:
                user_type = result.user_type.value if result.user_type else record.user_type
                links.append(PersonLink(record.connector_id, result.id, user_type, record.club_id))
        self.store.link_people(links)
        self.progress(len(ready))
