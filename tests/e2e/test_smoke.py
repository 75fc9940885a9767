import zeep.exceptions


def test_save_prospect_inserts_and_returns_id(soap_client, world):
    client = soap_client()
    result = client.service.SaveProspect(ClubId=world.acme_club_ids[0],
                                         Prospect={"FirstName": "Pete", "LastName": "Prospect"})
    assert result.Action == "Inserted"
    assert result.Id.isdigit()
    assert result.UserType == "Prospect"


def test_unknown_user_is_refused(soap_client, world):
    client = soap_client("nobody")
    try:
        client.service.GetLeadSources()
    except zeep.exceptions.Fault as fault:
        assert "FailedAuthentication" in fault.code
    else:
        raise AssertionError("expected a fault")
