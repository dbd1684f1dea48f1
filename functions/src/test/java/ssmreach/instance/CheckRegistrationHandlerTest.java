package ssmreach.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.instance.InstanceFixtures.CLOCK;
import static ssmreach.instance.InstanceFixtures.NOW;
import static ssmreach.instance.InstanceFixtures.OUR_PROFILE;
import static ssmreach.instance.InstanceFixtures.SUBNET;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DescribeInstanceInformationRequest;
import software.amazon.awssdk.services.ssm.model.DescribeInstanceInformationResponse;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationStringFilter;
import ssmreach.SdkMocks;
import ssmreach.contract.InstanceRegistration;
import ssmreach.contract.ProfileResult;
import ssmreach.contract.RegistrationRequest;
import ssmreach.contract.RegistrationState;
import ssmreach.core.Json;

class CheckRegistrationHandlerTest {
    private static final String A = "i-0aaaaaaaaaaaaaaa1";
    private static final String B = "i-0bbbbbbbbbbbbbbb1";
    private static final String C = "i-0ccccccccccccccc1";
    /** When the instances were selected: 150 seconds before the clock's now. */
    private static final String SINCE = NOW.minusSeconds(150).toString();

    private final SsmClient ssm = SdkMocks.ssm();
    private final CheckRegistrationHandler handler = new CheckRegistrationHandler(ssm, CLOCK);
    /** What SSM knows: PingStatus by instance id; an id not here is not registered. */
    private final Map<String, String> fleet = new HashMap<>();

    private void ssmAnswersFromTheFleet() {
        when(ssm.describeInstanceInformation(any(DescribeInstanceInformationRequest.class))).thenAnswer(i -> {
            DescribeInstanceInformationRequest r = i.getArgument(0);
            List<InstanceInformation> found = r.filters().getFirst().values().stream().filter(fleet::containsKey)
                    .map(id -> InstanceInformation.builder().instanceId(id).pingStatus(fleet.get(id)).build()).toList();
            return DescribeInstanceInformationResponse.builder().instanceInformationList(found).build();
        });
    }

    private static ProfileResult profile(String id, boolean registrationExpected) {
        return new ProfileResult(id, SUBNET, "running", OUR_PROFILE, registrationExpected ? "associated" : "not-running",
                registrationExpected, List.of(), List.of());
    }

    private List<DescribeInstanceInformationRequest> requestsSent(int count) {
        ArgumentCaptor<DescribeInstanceInformationRequest> sent = ArgumentCaptor.forClass(DescribeInstanceInformationRequest.class);
        verify(ssm, times(count)).describeInstanceInformation(sent.capture());
        return sent.getAllValues();
    }

    @Test
    void onlyInstancesWorthWaitingForAreAskedByInstanceIdFilter() {
        fleet.put(A, "Online");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true), profile(B, false)), List.of()));

        DescribeInstanceInformationRequest sent = requestsSent(1).getFirst();
        assertEquals(List.of(InstanceInformationStringFilter.builder().key("InstanceIds").values(A).build()), sent.filters());
        assertTrue(sent.instanceInformationFilterList().isEmpty(), "Filters and the legacy list cannot be combined");
        assertEquals(List.of(A), state.statuses().stream().map(InstanceRegistration::instanceId).toList());
    }

    @Test
    void instancesAreAskedFiftyAtATime() {
        List<String> ids = IntStream.range(0, 120).mapToObj(n -> String.format("i-0%016x", n)).toList();
        ids.forEach(id -> fleet.put(id, "Online"));
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE, ids.stream().map(id -> profile(id, true)).toList(), List.of()));

        List<List<String>> batches = requestsSent(3).stream().map(r -> r.filters().getFirst().values()).toList();
        assertEquals(List.of(50, 50, 20), batches.stream().map(List::size).toList());
        assertEquals(ids, batches.stream().flatMap(List::stream).toList());
        assertEquals(120, state.statuses().size());
        assertTrue(state.allOnline());
    }

    @Test
    void onlineInstanceGetsTheTimeItTook() {
        fleet.put(A, "Online");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true)), List.of()));

        assertEquals(List.of(new InstanceRegistration(A, "Online", NOW.toString(), 150L)), state.statuses());
        assertTrue(state.allOnline());
        assertEquals(List.of(), state.notOnline());
    }

    @Test
    void firstOnlineMomentIsKeptOnLaterTurns() {
        String earlier = NOW.minusSeconds(90).toString();
        fleet.put(A, "Online");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true)),
                List.of(new InstanceRegistration(A, "Online", earlier, 60L))));

        assertEquals(List.of(new InstanceRegistration(A, "Online", earlier, 60L)), state.statuses());
    }

    @Test
    void previousTurnWithoutOnlineDoesNotHoldBackANewOnline() {
        fleet.put(A, "Online");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true)),
                List.of(new InstanceRegistration(A, "ConnectionLost", null, null), new InstanceRegistration(B, null, null, null))));

        assertEquals(List.of(new InstanceRegistration(A, "Online", NOW.toString(), 150L)), state.statuses());
    }

    @Test
    void onlineOnceThenConnectionLostKeepsTheMomentButIsNotOnline() {
        String earlier = NOW.minusSeconds(90).toString();
        fleet.put(A, "ConnectionLost");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true)),
                List.of(new InstanceRegistration(A, "Online", earlier, 60L))));

        assertEquals(List.of(new InstanceRegistration(A, "ConnectionLost", earlier, 60L)), state.statuses());
        assertFalse(state.allOnline());
        assertEquals(List.of(A), state.notOnline());
    }

    @Test
    void connectionLostAndAbsentInstancesAreNotOnline() {
        fleet.put(A, "Online");
        fleet.put(B, "ConnectionLost");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE,
                List.of(profile(A, true), profile(B, true), profile(C, true)), List.of()));

        assertEquals(List.of(new InstanceRegistration(A, "Online", NOW.toString(), 150L),
                new InstanceRegistration(B, "ConnectionLost", null, null),
                new InstanceRegistration(C, null, null, null)), state.statuses());
        assertFalse(state.allOnline());
        assertEquals(List.of(B, C), state.notOnline());
    }

    @Test
    void allOnlineOnlyWhenEveryInstanceIs() {
        fleet.put(A, "Online");
        fleet.put(B, "Online");
        ssmAnswersFromTheFleet();

        assertTrue(handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true), profile(B, true)), List.of())).allOnline());
        fleet.put(B, "Inactive");
        assertFalse(handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true), profile(B, true)), List.of())).allOnline());
    }

    @Test
    void nothingToWaitForIsAllOnlineWithoutAnyCall() {
        RegistrationState empty = handler.handle(new RegistrationRequest(SINCE, List.of(), List.of()));
        RegistrationState noneExpected = handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, false)), List.of()));

        verifyNoInteractions(ssm);
        for (RegistrationState state : List.of(empty, noneExpected)) {
            assertTrue(state.allOnline());
            assertEquals(List.of(), state.statuses());
            assertEquals(List.of(), state.notOnline());
        }
    }

    @Test
    void instanceListedTwiceIsAskedOnce() {
        fleet.put(A, "Online");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(SINCE, List.of(profile(A, true), profile(A, true)), List.of()));

        assertEquals(List.of(A), requestsSent(1).getFirst().filters().getFirst().values());
        assertEquals(1, state.statuses().size());
    }

    @Test
    void withoutAStartTheTimeToOnlineIsUnknown() {
        fleet.put(A, "Online");
        ssmAnswersFromTheFleet();

        RegistrationState state = handler.handle(new RegistrationRequest(null, List.of(profile(A, true)), List.of()));

        InstanceRegistration a = state.statuses().getFirst();
        assertEquals(NOW.toString(), a.onlineAt());
        assertNull(a.secondsToOnline());
    }

    @Test
    void sampleEventShapeRoundTripsThroughTheFunction() throws Exception {
        fleet.put("i-0abc1234def567890", "Online");
        ssmAnswersFromTheFleet();
        String input = "{\"since\": \"" + SINCE + "\", \"profiles\": [{\"instanceId\": \"i-0abc1234def567890\", \"subnetId\": \""
                + SUBNET + "\", \"state\": \"running\", \"profileArn\": \"" + OUR_PROFILE + "\", \"profileAction\": \"associated\","
                + " \"registrationExpected\": true, \"actions\": [], \"findings\": []}], \"previous\": []}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler.handleRequest(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out, null);

        var json = Json.MAPPER.readTree(out.toByteArray());
        assertTrue(json.get("allOnline").asBoolean());
        assertEquals(0, json.get("notOnline").size());
        assertEquals("Online", json.at("/statuses/0/pingStatus").asText());
        assertEquals(150, json.at("/statuses/0/secondsToOnline").asLong());
    }
}
