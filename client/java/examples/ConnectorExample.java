import io.partnersoap.client.PartnerClient;
import io.partnersoap.client.PartnerException;
import io.partnersoap.client.PartnerNotFoundException;
import io.partnersoap.client.PartnerValidationException;
import io.partnersoap.client.model.LeadSource;
import io.partnersoap.client.model.Member;
import io.partnersoap.client.model.Prospect;
import io.partnersoap.client.model.SaveResult;
import io.partnersoap.client.model.Staff;
import java.time.LocalDate;
import java.util.List;

/**
 * The Connector's side in a few lines: every operation of the partner service, typed results
 * and typed exceptions, through nothing but the library's public API and the jar.
 *
 * <pre>
 * javac -cp partner-client-1.0.0.jar ConnectorExample.java
 * java -cp partner-client-1.0.0.jar:. ConnectorExample URL USERNAME PASSWORD digest|text CLUB_ID STAFF_EMAIL
 * </pre>
 *
 * Prints one line per call: the operation, then what it answered.
 */
public final class ConnectorExample {
    private ConnectorExample() {
    }

    public static void main(String[] args) {
        String url = args[0];
        int clubId = Integer.parseInt(args[4]);
        String staffEmail = args[5];
        try (PartnerClient client = PartnerClient.connect(url, args[1], args[2], "digest".equals(args[3]))) {
            SaveResult source = client.saveLeadSource(new LeadSource("Example Web"));
            print("SaveLeadSource", source);
            List<LeadSource> sources = client.getLeadSources();
            System.out.println("GetLeadSources " + sources.size());

            List<Staff> staff = client.getStaffList(clubId);
            System.out.println("GetStaffList " + staff.size());
            Staff owner = client.getStaffByEmail(staffEmail);
            System.out.println("GetStaffByEmail " + owner.getStaffId() + " " + owner.getClubIds());
            try {
                client.getStaffByEmail("nobody@example.com");
            } catch (PartnerNotFoundException e) {
                System.out.println("GetStaffByEmail " + e.getClass().getSimpleName() + " " + e.getFaultCode());
            }

            SaveResult prospect = client.saveProspect(clubId, new Prospect().setExternalId("EXAMPLE-1")
                .setFirstName("Zoë").setLastName("O'Brien").setBirthDate(LocalDate.of(1990, 5, 17))
                .setLeadOwnerId(owner.getStaffId()).setLeadSourceId(source.getId()));
            print("SaveProspect", prospect);
            try {
                client.saveProspect(clubId, new Prospect().setExternalId("EXAMPLE-BAD").setFirstName("No")
                    .setLastName("Owner").setLeadOwnerId("987654321"));
            } catch (PartnerValidationException e) {
                System.out.println("SaveProspect " + e.getClass().getSimpleName() + " " + e.getField());
            }
            print("SaveMember", client.saveMember(clubId, new Member().setId(prospect.getId()).clearFields("BirthDate")));
            print("SaveExMember", client.saveExMember(clubId, new Member().setId(prospect.getId())));
            for (SaveResult result : client.saveProspects(clubId, List.of(new Prospect().setExternalId("EXAMPLE-P2")
                    .setFirstName("Pat").setLastName("Two")), false)) {
                print("SaveProspects", result);
            }
            for (SaveResult result : client.saveMembers(clubId, List.of(new Member().setExternalId("EXAMPLE-M2")
                    .setFirstName("Max").setLastName("Two")), true)) {
                print("SaveMembers", result);
            }
            for (SaveResult result : client.saveExMembers(clubId, List.of(new Member().setExternalId("EXAMPLE-X2")
                    .setFirstName("Xia").setLastName("Two")), false)) {
                print("SaveExMembers", result);
            }
        } catch (PartnerException e) {
            System.out.println("FAILED " + e.getClass().getSimpleName() + " retryable=" + e.isRetryable() + " "
                + e.getMessage());
            System.exit(1);
        }
    }

    private static void print(String operation, SaveResult result) {
        System.out.println(operation + " " + result.getAction() + " " + result.getId() + " " + result.getUserType());
    }
}
