"""Pushing the Connector's people into the partner, remembering the Id of each.

Contract "Save semantics" and "What the Connector does with it": every save carries the
Connector's ID as ``ExternalId`` and, once known, the partner's ``Id`` from the link
store, so a repeated or resumed push updates instead of inserting (and answers
``Unchanged`` when nothing changed); a prospect saved later as a member or ex-member
keeps its partner ID. Prospects carry the linked owner and lead source, or none
(seed, "Staff Synchronization": "with no staff owner").

Batches (``SaveProspects``...) are used when the partner's WSDL offers them, single
saves otherwise. The links of each batch are committed as soon as its answer is in (while
the next batch is on its way), and a save without an ``Id`` is keyed on ``ExternalId``
(contract "Save semantics"), so an interrupted push can simply be run again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from . import exceptions as exc
from .generated.service import PartnerClient
from .generated.types import Action, Member, Prospect, SaveResult
from .linkstore import LinkStore, PersonLink
from .records import FAILURE_RECORD_KEY, ConnectorRecord, RecordProblem
from .runtime import Answer, PreparedCall
from .wire import too_long

BATCH_MAX = 200  # contract "Batch operations": 1 to 200 records
_MEMBER_FIELDS = {f.name for f in dataclasses.fields(Member)}


NOT_SENT = "Connector.NotSent"  # the push stopped before sending it
NO_ANSWER = "Connector.NoAnswer"  # sent, no answer: the partner may have saved it; a re-run updates it
LOCAL = "Connector.Record"  # refused before sending (the file's row cannot be a save)


@dataclass(frozen=True)
class Failure:
    """A record the push did not finish: its line, the reason (``field`` is the contract's
    element name, as the partner reports it) and the record as read, so that the failures
    file can be pushed again."""

    line: int
    connector_id: str | None
    code: str
    message: str
    field: str | None = None
    record: dict | None = None

    def as_dict(self) -> dict:
        return {"line": self.line, "connector_id": self.connector_id, "code": self.code,
                "field": self.field, "message": self.message, FAILURE_RECORD_KEY: self.record}

    @property
    def reason(self) -> str:
        """The message, always with the field it is about."""
        if self.field and not self.message.startswith(self.field):
            return f"{self.field}: {self.message}"
        return self.message


@dataclass
class PushReport:
    actions: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    without_owner: int = 0
    without_source: int = 0
    aborted: str | None = None
    sent: int = 0  # records put on the wire (answered or not)
    unfinished: list[Failure] = field(default_factory=list)  # NO_ANSWER and NOT_SENT, when stopped early
    unread: bool = False  # stopped by the records file itself (a line that cannot be decoded): its rest unread

    def count(self, action: Action) -> int:
        return self.actions[action]

    @property
    def processed(self) -> int:
        return sum(self.actions.values())

    @property
    def saved(self) -> int:
        return self.processed - self.actions[Action.FAILED]

    @property
    def unanswered(self) -> int:
        return sum(f.code == NO_ANSWER for f in self.unfinished)

    @property
    def not_sent(self) -> int:
        return sum(f.code == NOT_SENT for f in self.unfinished)


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
        self._open: dict[int, ConnectorRecord | RecordProblem] = {}  # read, no outcome yet, by line
        self._sent: set[int] = set()  # lines put on the wire

    def _reading(self, records: Iterable[ConnectorRecord | RecordProblem]):
        for record in records:
            self._open[record.line] = record
            yield record

    def _finish(self, line: int) -> None:
        self._open.pop(line, None)

    def _stopped(self, reason: str, rest) -> None:
        """The push stopped early: every record read or left in the file without an outcome
        is reported, as sent without an answer or as not sent."""
        reason = reason.rstrip(".")
        self.report.aborted = reason
        for _record in rest:
            pass  # ``_reading`` keeps each
        for line, record in sorted(self._open.items()):
            if line in self._sent:
                code, message = NO_ANSWER, (f"sent, but no answer came ({reason}); the partner may have "
                                            "saved it, and a re-run updates it without a duplicate")
            else:
                code, message = NOT_SENT, f"not sent: the push stopped early ({reason})"
            self.report.unfinished.append(Failure(line, record.connector_id, code, message, None, record.row))
        self._open.clear()

    def push(self, records: Iterable[ConnectorRecord | RecordProblem]) -> PushReport:
        # One batch at a time on the wire, each sent once the previous one is answered; the next
        # batch is read and built while the previous one waits for its answer, and sent while
        # that answer is read and its links stored (a batch holding a connector ID of the one in
        # flight waits for its links: it must carry the Ids). The sending thread only sends:
        # all it does in Python competes for the GIL with the building, which doubles its cost.
        in_flight: _InFlight | None = None  # cleared before it is landed: never landed twice
        reading = self._reading(records)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="partner-push") as sender:
            try:
                for problems, batch in self._batches(reading):
                    if in_flight and not in_flight.ids.isdisjoint(r.connector_id for r in batch):
                        landing, in_flight = in_flight, None  # this batch needs the Ids it brings
                        self._land(landing)
                    staged = self._stage(problems, batch)
                    previous, in_flight = in_flight, None
                    answer = previous.answer.result() if previous else None
                    if staged.ready:  # sent while the previous answer is read and its links stored
                        self._sent.update(r.line for r, _ in staged.ready)
                        in_flight = _InFlight(sender.submit(self._send, staged), staged.ready,
                                              {r.connector_id for r, _ in staged.ready})
                    self._count_staged(staged)
                    if previous:
                        self._remember(previous.ready, answer)
                if in_flight:
                    landing, in_flight = in_flight, None
                    self._land(landing)
            except BaseException as error:
                if in_flight:  # the partner may have saved it: keep its Ids for the next run
                    with contextlib.suppress(Exception):
                        self._land(in_flight)
                if isinstance(error, KeyboardInterrupt):
                    self._stopped("interrupted", reading)
                elif isinstance(error, Aborted):
                    self._stopped(str(error), reading)
                elif isinstance(error, exc.InputError):  # raised while reading a later line of the file
                    self.report.unread = True
                    self._stopped(error.message, reading)
                else:
                    raise
        self.report.sent = len(self._sent)
        return self.report

    def _batches(self, records: Iterable[ConnectorRecord | RecordProblem]):
        """``(records that could not be read, batch)`` pairs; a batch shares club and type and
        holds a connector ID once. The last pair may have an empty batch."""
        batch: list[ConnectorRecord] = []
        in_batch: set[str] = set()
        problems: list[RecordProblem] = []
        for record in records:
            if isinstance(record, RecordProblem):
                problems.append(record)
                continue
            if batch and (len(batch) >= self.batch_size or self._key(batch[0]) != self._key(record)
                          or record.connector_id in in_batch):
                yield problems, batch
                batch, in_batch, problems = [], set(), []
            batch.append(record)
            in_batch.add(record.connector_id)
        if batch or problems:
            yield problems, batch

    @staticmethod
    def _key(record: ConnectorRecord) -> tuple[int | None, str]:
        return (record.club_id, record.user_type)

    def _fail(self, record: ConnectorRecord | RecordProblem, code: str, message: str,
              field: str | None = None) -> None:
        self.report.actions[Action.FAILED] += 1
        self.report.failures.append(Failure(record.line, record.connector_id, code, message, field, record.row))
        self._finish(record.line)

    def _linked(self, cache: dict[str, str | None], lookup, connector_id: str | None) -> str | None:
        if connector_id is None:
            return None
        if connector_id not in cache:
            link = lookup(connector_id)
            cache[connector_id] = link[0] if isinstance(link, tuple) else link
        return cache[connector_id]

    def _wire_record(self, record: ConnectorRecord, partner_id: str | None,
                     staged: _Staged) -> Prospect | Member:
        common = dict(id=partner_id, external_id=record.connector_id,
                      fields_to_null=list(record.fields_to_null) or None)
        if record.user_type != "Prospect":
            return Member(**common, **{k: v for k, v in record.values.items() if k in _MEMBER_FIELDS})
        owner = self._linked(self._staff, self.store.staff, record.owner_id)
        source = self._linked(self._sources, self.store.lead_source, record.lead_source_id)
        staged.without_owner += bool(record.owner_id and owner is None)
        staged.without_source += bool(record.lead_source_id and source is None)
        return Prospect(**common, **record.values, lead_owner_id=owner, lead_source_id=source)

    def _stage(self, problems: list[RecordProblem], batch: list[ConnectorRecord]) -> _Staged:
        """The batch made ready to send; nothing of it counts in the report until it is sent."""
        staged = _Staged(problems)
        links = self.store.people(r.connector_id for r in batch)
        for record in batch:
            link = links.get(record.connector_id)
            wire = self._wire_record(record, link.partner_id if link else None, staged)
            too = too_long(wire)
            if too:
                staged.too_long.append((record, *too[0]))
            else:
                staged.ready.append((record, wire))
        if staged.ready:
            first = staged.ready[0][0]
            batch_op, _single = self.client.capabilities.save_operations(first.user_type)
            if batch_op is not None:
                try:
                    wires = [w for _, w in staged.ready]
                    staged.batch_call = self.client.prepare(batch_op, first.club_id, wires,
                                                            test=self.test or None)
                except exc.PartnerError as error:  # met when sent, as an unprepared call would be
                    staged.batch_call = PreparedCall(functools.partial(_raise, error))
        return staged

    def _count_staged(self, staged: _Staged) -> None:
        for problem in staged.problems:
            self._fail(problem, LOCAL, problem.message, problem.field)
        for record, name, limit in staged.too_long:
            self._fail(record, LOCAL, f"{name} is longer than {limit} characters", name)
        if staged.problems or staged.too_long:
            self.progress(len(staged.problems) + len(staged.too_long))
        self.report.without_owner += staged.without_owner
        self.report.without_source += staged.without_source

    def _land(self, in_flight: _InFlight) -> None:
        """Wait for a sent batch's answer, read it and store its links (raises ``Aborted`` as the
        send or the reading did)."""
        self._remember(in_flight.ready, in_flight.answer.result())

    def _send(self, staged: _Staged) -> Answer | list[SaveResult | exc.Fault]:
        """In the sending thread: the batch's exchange, its answer left unread (``_remember``
        reads it); or, when the batch call failed, each record's own."""
        ready = staged.ready
        record = ready[0][0]
        batch_op, single_op = self.client.capabilities.save_operations(record.user_type)
        if batch_op is None and single_op is None:
            raise Aborted(f"the partner offers no save operation for {record.user_type}")
        wires = [w for _, w in ready]
        if batch_op is not None:
            try:
                return staged.batch_call.send()
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

    def _remember(self, ready, results: Answer | list[SaveResult | exc.Fault]) -> None:
        if isinstance(results, Answer):
            try:
                results = results.read()
            except exc.PartnerError as error:  # an answer that does not match the contract
                raise Aborted(str(error)) from None
        links = []
        for (record, _wire), result in zip(ready, results, strict=True):
            if isinstance(result, exc.Fault):
                self._fail(record, result.code, result.message, result.field)
                continue
            if result.action is Action.FAILED:
                error = result.error
                self._fail(record, error.code if error else "Failed",
                           error.message if error else "the partner gave no reason",
                           error.field if error else None)
                continue
            self.report.actions[result.action] += 1
            self._finish(record.line)
            if result.id and result.action is not Action.VALIDATED:
                user_type = result.user_type.value if result.user_type else record.user_type
                links.append(PersonLink(record.connector_id, result.id, user_type, record.club_id))
        self.store.link_people(links)
        self.progress(len(ready))


def _raise(error: Exception):
    raise error


@dataclass
class _Staged:
    problems: list[RecordProblem]
    too_long: list[tuple[ConnectorRecord, str, int]] = field(default_factory=list)
    ready: list[tuple[ConnectorRecord, Prospect | Member]] = field(default_factory=list)
    without_owner: int = 0
    without_source: int = 0
    batch_call: PreparedCall | None = None  # the batch operation, built


@dataclass
class _InFlight:
    answer: Future
    ready: list[tuple[ConnectorRecord, Prospect | Member]]
    ids: set[str]
