package io.partnersoap.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.partnersoap.client.model.LeadSource;
import io.partnersoap.client.model.Prospect;
import io.partnersoap.client.model.SaveAction;
import io.partnersoap.client.model.SaveResult;
import io.partnersoap.client.model.Staff;
import io.partnersoap.client.model.UserType;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Answers become the model: typed values, unknown values and elements of a newer service tolerated. */
class ReadingTest {
    private static CannedService service;
    private static PartnerClient client;

    @BeforeAll
    static void start() throws Exception {
        service = new CannedService().answerEveryOperation();
        client = PartnerClient.connect(service.url() + "?wsdl", "u", "p", true);
    }

    @AfterAll
    static void stop() {
        client.close();
        service.close();
    }

    @Test
    void staffAndLeadSourcesAreTyped() {
        List<Staff> staff = client.getStaffList();
        assertEquals(1, staff.size());
        Staff john = staff.get(0);
        assertEquals("7", john.getStaffId());
        assertEquals("jstaff@club.com", john.getEmail());
        assertEquals("John", john.getFirstName());
        assertEquals("Staff", john.getLastName());
        assertTrue(john.isActive());
        assertEquals(List.of(1, 2), john.getClubIds());
        assertEquals(john, client.getStaffByEmail("JSTAFF@club.com"));
        assertEquals(john, client.findStaffByEmail("jstaff@club.com").orElseThrow());
        LeadSource web = client.getLeadSources().get(0);
        assertEquals("3", web.getLeadSourceId());
        assertEquals("Web", web.getName());
        assertNull(web.getExternalId());
    }

    @Test
    void aBatchAnswersOneResultPerRecordWithItsError() {
        service.answer("SaveProspects", 200, CannedService.envelope("<tns:SaveProspectsResponse>" + CannedService.SAVED
            + "<tns:SaveResult><tns:Action>Failed</tns:Action><tns:Error><tns:Code>Client.Validation</tns:Code>"
            + "<tns:Field>LeadOwnerId</tns:Field><tns:Message>No such staff.</tns:Message></tns:Error>"
            + "</tns:SaveResult></tns:SaveProspectsResponse>"));
        List<SaveResult> results = client.saveProspects(1, List.of(new Prospect(), new Prospect()), false);
        assertEquals(SaveAction.INSERTED, results.get(0).getAction());
        assertEquals(UserType.PROSPECT, results.get(0).getUserType());
        assertEquals("41", results.get(0).getId());
        assertNull(results.get(0).getError());
        assertEquals(SaveAction.FAILED, results.get(1).getAction());
        assertEquals("Client.Validation", results.get(1).getError().getCode());
        assertEquals("LeadOwnerId", results.get(1).getError().getField());
        assertEquals("No such staff.", results.get(1).getError().getMessage());
    }

    @Test
    void aValueOrElementOfANewerServiceIsToleratedAndAMissingRequiredOneIsNot() {
        service.answer("SaveMember", 200, CannedService.envelope("<tns:SaveMemberResponse><tns:SaveResult>"
            + "<tns:Id>9</tns:Id><tns:Action>Merged</tns:Action><tns:Extra>x</tns:Extra><tns:UserType>Guest"
            + "</tns:UserType></tns:SaveResult></tns:SaveMemberResponse>"));
        SaveResult result = client.saveMember(1, new io.partnersoap.client.model.Member());
        assertEquals(SaveAction.UNKNOWN, result.getAction());
        assertEquals(UserType.UNKNOWN, result.getUserType());
        assertNull(SaveAction.UNKNOWN.wireValue());

        service.answer("SaveExMember", 200, CannedService.envelope("<tns:SaveExMemberResponse><tns:SaveResult>"
            + "<tns:Id>9</tns:Id></tns:SaveResult></tns:SaveExMemberResponse>"));
        assertThrows(PartnerTransportException.class,
            () -> client.saveExMember(1, new io.partnersoap.client.model.Member()));
    }

    @Test
    void theEnumsAreTheContractsValuesInUpperSnakeCase() {
        assertEquals(List.of("INSERTED", "UPDATED", "UNCHANGED", "STALE", "VALIDATED", "FAILED", "UNKNOWN"),
            names(SaveAction.values()));
        assertEquals(List.of("PROSPECT", "MEMBER", "EX_MEMBER", "UNKNOWN"), names(UserType.values()));
        assertEquals(List.of("MALE", "FEMALE", "OTHER", "UNSPECIFIED"),
            names(io.partnersoap.client.model.Gender.values()));
        assertEquals(List.of("ACTIVE", "INACTIVE"), names(io.partnersoap.client.model.Status.values()));
        assertEquals("ExMember", UserType.EX_MEMBER.wireValue());
    }

    private static List<String> names(Enum<?>[] values) {
        return java.util.Arrays.stream(values).map(Enum::name).collect(java.util.stream.Collectors.toList());
    }

    @Test
    void aPersonsTextNamesTheRecordButNoPersonalData() {
        Prospect prospect = new Prospect().setId("5").setExternalId("e-5").setFirstName("Zoë").setEmail("z@example.com");
        assertEquals("Prospect[Id=5, ExternalId=e-5, LeadSourceId=null]", prospect.toString());
    }
}
