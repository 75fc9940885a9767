"""The operations of the contract: translate SOAP objects, call the service layer, answer.

Each operation is its own spyne service class, so a partner can publish a subset
(``build_application(operations=...)``) and the client decides by the WSDL.
"""

from __future__ import annotations

from spyne import Boolean, ServiceBase, rpc

from ...domain.fields import ENUM, PERSON_FIELDS, PROSPECT_FIELDS, UserType
from ...domain.people import PersonChanges
from ...service_layer import lead_sources, staff
from ...service_layer.people import SaveRequest
from ...service_layer.results import SaveOutcome, StaffView
from . import types as t
from .fastxml import new
from .faults import FaultDetail


def _deps(ctx):
    return ctx.app.partner


def _principal(ctx):
    return ctx.udc.principal


def person_changes(record, specs) -> PersonChanges:
    values = {}
    for spec in specs:
        value = getattr(record, spec.wire, None)
        if value is not None:
            # spyne hands enumeration values over as its own EnumValue objects, not strings
            values[spec.wire] = str(value) if spec.kind == ENUM else value
    to_null = tuple(record.FieldsToNull.FieldName or ()) if record.FieldsToNull else ()
    return PersonChanges(values=values, to_null=to_null, id=record.Id, external_id=record.ExternalId)


def save_result(outcome: SaveOutcome) -> t.SaveResult:
    error = outcome.error
    return new(
        t.SaveResult, Id=outcome.id, Action=outcome.action.value,
        UserType=outcome.user_type.value if outcome.user_type else None,
        Error=new(t.RecordError, Code=error.code, Field=error.field, Message=error.message) if error else None)


def staff_element(view: StaffView) -> t.Staff:
    return new(t.Staff, StaffId=view.id, Email=view.email, FirstName=view.first_name,
               LastName=view.last_name, Active=view.active,
               ClubIds=new(t.ClubIdList, ClubId=list(view.club_ids)))


def _save(ctx, club_id, record, user_type, specs, test):
    """Reached only when the fast front (``single_saves``) is off or hands a request over; the
    same use case either way (a sandbox's wrapped by its magic values: ``app.save_use_cases``)."""
    request = SaveRequest.single(_principal(ctx), club_id, user_type, person_changes(record, specs),
                                 test=bool(test), nonce=ctx.udc.take_nonce())
    deps = _deps(ctx)
    return save_result(deps.save_person(deps.people, request))


def _save_batch(ctx, club_id, records, user_type, specs, all_or_none, test):
    request = SaveRequest(_principal(ctx), club_id, user_type, tuple(person_changes(r, specs) for r in records),
                          test=bool(test), all_or_none=bool(all_or_none), nonce=ctx.udc.take_nonce())
    deps = _deps(ctx)
    return [save_result(o) for o in deps.save_people(deps.people, request)]


_TEST = t.optional(Boolean)
_FAULTS = [FaultDetail]  # every operation may answer any fault code: one declared detail
_CLUB = t.required(t.ClubIdType)
_RESULT = t.required(t.SaveResult)
_RESULTS = t.repeated(t.SaveResult, 1, "unbounded")


class SaveProspect(ServiceBase):
    @rpc(_CLUB, t.required(t.Prospect), _TEST, _returns=_RESULT, _out_variable_name="SaveResult",
         _throws=_FAULTS)
    def SaveProspect(ctx, ClubId, Prospect, Test):  # noqa: N802, N803
        """Insert or update a prospect; returns this system's Id for every later save."""
        return _save(ctx, ClubId, Prospect, UserType.PROSPECT, PROSPECT_FIELDS, Test)


class SaveMember(ServiceBase):
    @rpc(_CLUB, t.required(t.Member), _TEST, _returns=_RESULT, _out_variable_name="SaveResult", _throws=_FAULTS)
    def SaveMember(ctx, ClubId, Member, Test):  # noqa: N802, N803
        """Insert or update a member; a prospect's Id or ExternalId converts that person."""
        return _save(ctx, ClubId, Member, UserType.MEMBER, PERSON_FIELDS, Test)


class SaveExMember(ServiceBase):
    @rpc(_CLUB, t.required(t.Member), _TEST, _args=("ClubId", "ExMember", "Test"),
         _returns=_RESULT, _out_variable_name="SaveResult", _throws=_FAULTS)
    def SaveExMember(ctx, ClubId, ExMember, Test):  # noqa: N802, N803
        """Insert or update an ex-member; a prospect's or member's Id converts that person."""
        return _save(ctx, ClubId, ExMember, UserType.EX_MEMBER, PERSON_FIELDS, Test)


class SaveProspects(ServiceBase):
    @rpc(_CLUB, t.required(t.ProspectBatch), t.optional(Boolean), _TEST,
         _args=("ClubId", "Prospects", "AllOrNone", "Test"),
         _returns=_RESULTS, _out_variable_name="SaveResult", _throws=_FAULTS)
    def SaveProspects(ctx, ClubId, Prospects, AllOrNone, Test):  # noqa: N802, N803
        """Save 1 to 200 prospects; one SaveResult per record, in input order."""
        return _save_batch(ctx, ClubId, Prospects.Prospect, UserType.PROSPECT, PROSPECT_FIELDS,
                           AllOrNone, Test)


class SaveMembers(ServiceBase):
    @rpc(_CLUB, t.required(t.MemberBatch), t.optional(Boolean), _TEST,
         _args=("ClubId", "Members", "AllOrNone", "Test"),
         _returns=_RESULTS, _out_variable_name="SaveResult", _throws=_FAULTS)
    def SaveMembers(ctx, ClubId, Members, AllOrNone, Test):  # noqa: N802, N803
        """Save 1 to 200 members; one SaveResult per record, in input order."""
        return _save_batch(ctx, ClubId, Members.Member, UserType.MEMBER, PERSON_FIELDS,
                           AllOrNone, Test)


class SaveExMembers(ServiceBase):
    @rpc(_CLUB, t.required(t.MemberBatch), t.optional(Boolean), _TEST,
         _args=("ClubId", "ExMembers", "AllOrNone", "Test"),
         _returns=_RESULTS, _out_variable_name="SaveResult", _throws=_FAULTS)
    def SaveExMembers(ctx, ClubId, ExMembers, AllOrNone, Test):  # noqa: N802, N803
        """Save 1 to 200 ex-members; one SaveResult per record, in input order."""
        return _save_batch(ctx, ClubId, ExMembers.Member, UserType.EX_MEMBER, PERSON_FIELDS,
                           AllOrNone, Test)


class GetStaffList(ServiceBase):
    @rpc(t.optional(t.ClubIdType), _returns=t.repeated(t.Staff, 0, "unbounded"),
         _out_variable_name="Staff", _throws=_FAULTS)
    def GetStaffList(ctx, ClubId):  # noqa: N802, N803
        """Staff of one club, or of every club the credential may use when ClubId is absent."""
        return [staff_element(v) for v in staff.list_staff(_deps(ctx).read(), _principal(ctx), ClubId)]


class GetStaffByEmail(ServiceBase):
    @rpc(t.required(t.text(254)), _returns=t.required(t.Staff), _out_variable_name="Staff", _throws=_FAULTS)
    def GetStaffByEmail(ctx, Email):  # noqa: N802, N803
        """The staff member with this email (case-insensitive); Client.NotFound when none."""
        return staff_element(staff.staff_by_email(_deps(ctx).read(), _principal(ctx), Email))


class GetLeadSources(ServiceBase):
    @rpc(_returns=t.repeated(t.LeadSource, 0, "unbounded"), _out_variable_name="LeadSource", _throws=_FAULTS)
    def GetLeadSources(ctx):  # noqa: N802
        """Every lead source of the credential's client."""
        return [t.LeadSource(LeadSourceId=v.id, Name=v.name, ExternalId=v.external_id)
                for v in lead_sources.list_lead_sources(_deps(ctx).read(), _principal(ctx))]


class SaveLeadSource(ServiceBase):
    @rpc(t.required(t.LeadSource), _TEST, _returns=_RESULT, _out_variable_name="SaveResult", _throws=_FAULTS)
    def SaveLeadSource(ctx, LeadSource, Test):  # noqa: N802, N803
        """Create a lead source (or answer the existing one of that name), or rename one."""
        return save_result(lead_sources.save_lead_source(
            _deps(ctx).uow(), _principal(ctx), LeadSource.LeadSourceId, LeadSource.Name,
            LeadSource.ExternalId, test=bool(Test)))


# Their token's nonce is written with the save, in one commit (``PartnerSoap11``).
SAVES = frozenset({"SaveProspect", "SaveMember", "SaveExMember", "SaveProspects", "SaveMembers",
                   "SaveExMembers"})

OPERATIONS: dict[str, type[ServiceBase]] = {cls.__name__: cls for cls in (
    SaveProspect, SaveMember, SaveExMember, GetStaffList, GetStaffByEmail, GetLeadSources,
    SaveLeadSource, SaveProspects, SaveMembers, SaveExMembers)}
