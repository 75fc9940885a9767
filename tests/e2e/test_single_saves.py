"""The single saves' own path (``entrypoints/soap/single_saves.py``) answers as spyne does.

Two copies of the real app with real WS-Security, each on its own fresh database seeded the
same way: one answers single saves on its own path, the other sends everything through
spyne. The same requests (accepted, refused by a rule, by the schema, by WS-Security,
replayed) go to both over a socket; status and answer must be byte-identical, and so must
what ends up stored, nonces included.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager

import pytest
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.orm import people, seen_nonces, user_type_history
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.security import secret_keeper
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import func, select

from ..support import postgres_database, serve_in_thread
from ..support.wsse import envelope, fresh_key, security_xml, token_xml, utc_text

P = "<tns:FirstName>Pete</tns:FirstName><tns:LastName>Prospect</tns:LastName>"


def save(operation: str, record: str, club: str = "{club}", extra: str = "") -> str:
    element = {"SaveProspect": "Prospect", "SaveMember": "Member", "SaveExMember": "ExMember"}[operation]
    return (f"<tns:{operation}><tns:ClubId>{club}</tns:ClubId><tns:{element}>{record}</tns:{element}>"
            f"{extra}</tns:{operation}>")


FULL = ("<tns:ExternalId>E1</tns:ExternalId>" + P +
        "<tns:Status>Active</tns:Status><tns:BirthDate>1990-02-03</tns:BirthDate>"
        "<tns:Gender>Female</tns:Gender><tns:Address1>Rue de l'Église 5 &amp; &lt;b&gt;</tns:Address1>"
        "<tns:City>Zürich  </tns:City><tns:Email>pete@example.com</tns:Email>"
        "<tns:CreatedDate>2026-01-02T03:04:05.123456+05:30</tns:CreatedDate><tns:CreatedBy>INTOUCH</tns:CreatedBy>"
        "<tns:ModifiedDate>2026-03-01T10:00:00Z</tns:ModifiedDate>"
        "<tns:LeadOwnerId>{staff}</tns:LeadOwnerId><tns:TrialStartDate>2026-03-01</tns:TrialStartDate>"
        "<tns:TrialEndDate>2026-03-08</tns:TrialEndDate>")

# (what it shows, operation body, whether the own path must answer it)
REQUESTS = [
    ("insert with every kind of field", save("SaveProspect", FULL), True),
    ("the same again", save("SaveProspect", FULL), True),
    ("an update", save("SaveProspect", "<tns:ExternalId>E1</tns:ExternalId><tns:City>Bern</tns:City>"), True),
    ("a stale one", save("SaveProspect", "<tns:ExternalId>E1</tns:ExternalId>"
                                         "<tns:ModifiedDate>2025-01-01T00:00:00</tns:ModifiedDate>"), True),
    ("Test", save("SaveProspect", "<tns:ExternalId>T1</tns:ExternalId>" + P,
                  extra="<tns:Test>true</tns:Test>"), True),
    ("no ExternalId", save("SaveProspect", "<tns:FieldsToNull><tns:FieldName>City</tns:FieldName>"
                                           "</tns:FieldsToNull>" + P), True),
    ("an Id of nobody", save("SaveProspect", "<tns:Id>999999</tns:Id>"), True),
    ("a club of another client", save("SaveProspect", P, club="{other_club}"), True),
    ("an unknown lead owner", save("SaveProspect", P + "<tns:LeadOwnerId>424242</tns:LeadOwnerId>"), True),
    ("FieldsToNull of a required field", save("SaveProspect", "<tns:ExternalId>E1</tns:ExternalId>"
              "<tns:FieldsToNull><tns:FieldName>LastName</tns:FieldName></tns:FieldsToNull>"), True),
    ("a blank ExternalId", save("SaveProspect", "<tns:ExternalId> </tns:ExternalId>" + P), True),
    ("born in the future", save("SaveProspect", P + "<tns:BirthDate>2999-01-01</tns:BirthDate>"), True),
    ("a trial ending before it starts", save("SaveProspect", P + "<tns:TrialStartDate>2026-03-08"
              "</tns:TrialStartDate><tns:TrialEndDate>2026-03-01</tns:TrialEndDate>"), True),
    ("a prospect becomes a member", save("SaveMember", "<tns:ExternalId>E1</tns:ExternalId>"), True),
    ("and an ex-member", save("SaveExMember", "<tns:ExternalId>E1</tns:ExternalId>"
                                              "<tns:Status>Inactive</tns:Status>"), True),
    ("a member's ExternalId taken", save("SaveMember", "<tns:Id>{first_id}</tns:Id>"
                                                       "<tns:ExternalId>E2</tns:ExternalId>"), True),
    ("an unknown enumeration value", save("SaveProspect", P + "<tns:Gender>Robot</tns:Gender>"), False),
    ("too long", save("SaveProspect", "<tns:FirstName>" + "x" * 81 + "</tns:FirstName>"
                                      "<tns:LastName>L</tns:LastName>"), False),
    ("a control character", save("SaveProspect", P + "<tns:City>a&#x7f;b</tns:City>"), False),
    ("an element out of order", save("SaveProspect", "<tns:LastName>L</tns:LastName>"
                                                     "<tns:FirstName>F</tns:FirstName>"), False),
    ("an unknown element", save("SaveProspect", P + "<tns:Shoe>42</tns:Shoe>"), False),
    ("a prospect field on a member", save("SaveMember", P + "<tns:LeadOwnerId>{staff}</tns:LeadOwnerId>"),
     False),
    ("year 10000", save("SaveProspect", P + "<tns:ModifiedDate>10000-01-01T00:00:00Z</tns:ModifiedDate>"),
     False),
    ("nil", save("SaveProspect", P + '<tns:City xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                                     'xsi:nil="true"/>'), False),
    ("no ClubId", "<tns:SaveProspect><tns:Prospect>" + P + "</tns:Prospect></tns:SaveProspect>", False),
    ("two operations", save("SaveProspect", P) + save("SaveProspect", P), False),
]


@contextmanager
def _database(engine_name: str, tmp_path, name: str):
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


@contextmanager
def _twin(url: str, tmp_path, own_path: bool):
    """A live app on a fresh database: its URL, password, and the seed's IDs."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    uow = lambda: SqlAlchemyUnitOfWork(sessions)  # noqa: E731
    acme = tenants.create_client(uow(), "Acme Fitness", 2)
    other = tenants.create_client(uow(), "Other Gyms", 1)
    staff = tenants.add_staff(uow(), acme.id, "jstaff@club.com", "John", "Staff")
    key = fresh_key()
    settings = Settings(data_dir=tmp_path, secret_key=key, auth_hash_memory_kib=1024)
    app = create_app(settings, engine=engine)
    issued = credentials.add_credential(uow(), secret_keeper(settings), acme.id, "connector")
    answered = []
    if own_path:
        handle = app.single_saves.handle
        app.single_saves.handle = lambda *a: answered.append(handle(*a)) or answered[-1]
    else:
        app.single_saves = None
    ids = {"club": acme.club_ids[0], "other_club": other.club_ids[0], "staff": staff.id}
    try:
        with serve_in_thread(app) as base:
            yield base, issued.password, ids, engine, answered
    finally:
        engine.dispose()


def _post(base: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{base}/soap", data=body,
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _stored(engine) -> tuple:
    columns = [c for c in people.columns if c.name not in ("inserted_at", "updated_at")]
    with engine.connect() as connection:
        return (connection.execute(select(*columns).order_by(people.c.id)).all(),
                connection.execute(select(user_type_history.c.person_id, user_type_history.c.from_type,
                                          user_type_history.c.to_type).order_by(user_type_history.c.id)).all(),
                connection.execute(select(func.count()).select_from(seen_nonces)).scalar())


@contextmanager
def _twins(engine_name: str, tmp_path):
    """The app with its own path for single saves, then the one with spyne only."""
    with ExitStack() as stack:
        yield [stack.enter_context(_twin(stack.enter_context(_database(engine_name, tmp_path, name)),
                                         tmp_path, own_path=name == "own"))
               for name in ("own", "spyne")]


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_the_own_path_answers_and_stores_exactly_what_spyne_does(engine_name, tmp_path):
    with _twins(engine_name, tmp_path) as apps:
        ids = apps[0][2]
        assert ids == apps[1][2], "both databases seeded alike"
        first_id = None
        for label, body, own in REQUESTS:
            operation = body.format(first_id=first_id, **ids)
            answers = []
            for base, password, _, _, answered in apps:
                before = len(answered)
                header = security_xml(token_xml("connector", password, digest=True))
                answers.append(_post(base, envelope(operation, header)))
                if base == apps[0][0]:
                    took = len(answered) > before and answered[-1] is not None
                    assert took == own, f"{label}: the own path {'did not answer' if own else 'answered'}"
            assert answers[0] == answers[1], (label, answers)
            first_id = first_id or answers[0][1].split(b"<tns:Id>")[1].split(b"<")[0].decode()
        assert _stored(apps[0][3]) == _stored(apps[1][3])


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_security_refusals_and_replays_are_answered_as_spyne_does(engine_name, tmp_path):
    with _twins(engine_name, tmp_path) as apps:
        body = save("SaveProspect", "<tns:ExternalId>R1</tns:ExternalId>" + P).format(**apps[0][2])
        nonce = b"0123456789abcdef"
        cases = [
            ("wrong password", lambda pw: security_xml(token_xml("connector", "wrong", digest=True))),
            ("unknown user", lambda pw: security_xml(token_xml("nobody", pw, digest=True))),
            ("no header", None),
            ("stale Created", lambda pw: security_xml(token_xml("connector", pw, digest=True,
                                                                created="2001-01-01T00:00:00Z"))),
            ("a good token", lambda pw: security_xml(token_xml("connector", pw, digest=True, nonce=nonce,
                                                               created=created))),
            ("the same token again", lambda pw: security_xml(token_xml("connector", pw, digest=True,
                                                                       nonce=nonce, created=created))),
            ("a text password", lambda pw: security_xml(token_xml("connector", pw))),
        ]
        created = utc_text()
        for label, header in cases:
            answers = [_post(base, envelope(body, header(password)) if header else envelope(body))
                       for base, password, *_ in apps]
            assert answers[0] == answers[1], (label, answers)
        assert _stored(apps[0][3]) == _stored(apps[1][3])
