package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.event.ruler.Machine;

/**
 * The template's EventBridge rules, loaded into EventBridge's own matching engine (event-ruler),
 * against every sample event and trigger fixture: a successful CreateSubnet call starts the
 * subnet path, a failed or DryRun call starts nothing, an instance that reaches running starts
 * the instance path, each successful route call starts the route path (a failed one nothing), and
 * nothing else matches.
 */
class EventPatternsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUBNET_RULE = "SubnetCreated";
    private static final String INSTANCE_RULE = "InstanceRunning";
    private static final String ROUTE_RULE = "RouteChanged";
    private static final List<String> ROUTE_FILES = List.of("create-route.json", "replace-route.json", "delete-route.json",
            "associate-route-table.json", "replace-route-table-association.json", "disassociate-route-table.json");

    /** What each event file should start; a file not listed here must match no rule. */
    private static final Map<String, Set<String>> EXPECTED = expected(
            Map.entry("events/create-subnet.json", Set.of(SUBNET_RULE)),
            Map.entry("events/parse-trigger.json", Set.of(SUBNET_RULE)),
            Map.entry("events/instance-running.json", Set.of(INSTANCE_RULE)),
            Map.entry("functions/src/test/resources/events/create-subnet.json", Set.of(SUBNET_RULE)),
            Map.entry("functions/src/test/resources/events/create-subnet-ipv6.json", Set.of(SUBNET_RULE)),
            Map.entry("functions/src/test/resources/events/create-subnet-ipv6-only.json", Set.of(SUBNET_RULE)),
            Map.entry("functions/src/test/resources/events/create-subnet-local-zone.json", Set.of(SUBNET_RULE)),
            Map.entry("functions/src/test/resources/events/create-subnet-cloudformation.json", Set.of(SUBNET_RULE)),
            Map.entry("functions/src/test/resources/events/instance-running.json", Set.of(INSTANCE_RULE)));

    /** The entries given, and each route sample (in events/ and among the fixtures) starting the route rule. */
    @SafeVarargs
    private static Map<String, Set<String>> expected(Map.Entry<String, Set<String>>... entries) {
        Map<String, Set<String>> expected = new LinkedHashMap<>();
        for (Map.Entry<String, Set<String>> entry : entries) {
            expected.put(entry.getKey(), entry.getValue());
        }
        for (String file : ROUTE_FILES) {
            expected.put("events/" + file, Set.of(ROUTE_RULE));
            expected.put("functions/src/test/resources/events/" + file, Set.of(ROUTE_RULE));
        }
        return Map.copyOf(expected);
    }

    /** Bad-input fixtures that EventBridge would deliver (ParseTrigger then refuses them with a named error). */
    private static final Set<String> DELIVERED_BAD_INPUT = Set.of("46-event-other-account.json", "47-event-other-region.json",
            "48-event-missing-region.json", "49-event-account-as-number.json", "50-event-instance-other-account.json",
            "51-event-instance-other-region.json", "52-event-no-response-elements.json", "53-event-no-subnet-id.json",
            "54-event-subnet-id-number.json", "55-event-subnet-id-is-vpc.json", "56-event-vpc-id-is-subnet.json",
            "57-event-subnet-id-oversized.json", "59-event-instance-no-instance-id.json", "60-event-instance-id-is-subnet.json", "61-event-instance-id-null.json");

    @Test
    void theTemplateHasTheThreeRules() {
        assertEquals(Set.of(SUBNET_RULE, INSTANCE_RULE, ROUTE_RULE), rules().keySet());
    }

    @Test
    void everyRouteCallHasASampleAndTheRouteRuleFollowsTheParameter() {
        assertEquals(Set.of("CreateRoute", "ReplaceRoute", "DeleteRoute", "AssociateRouteTable", "ReplaceRouteTableAssociation",
                "DisassociateRouteTable"), new TreeSet<>(Repo.strings(rules().get(ROUTE_RULE).path("detail").path("eventName"))));
        for (String file : ROUTE_FILES) {
            assertTrue(Files.exists(Repo.path("events/" + file)), file);
        }
        JsonNode rule = Repo.resources("AWS::Events::Rule").get("RouteChangedRule");
        assertEquals("FollowRouteChanges", rule.path("Condition").asText(), "the route rule exists only with RouteTriggers=true");
        assertEquals(Repo.resources("AWS::Events::Rule").get("SubnetCreatedRule").path("Properties").path("Targets"),
                rule.path("Properties").path("Targets"), "the same queue, retry policy and dead-letter queue as the subnet rule");
    }

    static Stream<Path> eventFiles() {
        return Stream.of("events", "functions/src/test/resources/events", "local/src/test/resources/reliability/bad-input")
                .flatMap(folder -> Repo.list(folder).stream()).filter(p -> p.toString().endsWith(".json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eventFiles")
    void eachFileStartsWhatItShould(Path file) throws Exception {
        String relative = Repo.ROOT.relativize(file).toString();
        Set<String> expected = EXPECTED.getOrDefault(relative, Set.of());
        if (relative.contains("/bad-input/") && DELIVERED_BAD_INPUT.contains(file.getFileName().toString())) {
            expected = Set.of(relative.contains("instance") ? INSTANCE_RULE : SUBNET_RULE);
        }
        Machine machine = new Machine();
        for (Map.Entry<String, JsonNode> rule : rules().entrySet()) {
            machine.addRule(rule.getKey(), rule.getValue().toString());
        }
        JsonNode event = JSON.readTree(Files.readString(file));
        if (!event.isObject() || !event.has("detail-type")) {
            assertEquals(Set.of(), expected, relative + " is not an event");
            return;
        }

        assertEquals(expected, new TreeSet<>(machine.rulesForJSONEvent(event.toString())), relative);
    }

    @Test
    void aFailedCallIsKeptOutByThePatternItself() {
        for (String rule : List.of(SUBNET_RULE, ROUTE_RULE)) {
            JsonNode pattern = rules().get(rule);
            assertFalse(pattern.path("detail").path("errorCode").isMissingNode(), "the " + rule + " rule must test detail.errorCode: " + pattern);
        }
    }

    /** Rule name → its pattern: the state machine's EventBridgeRule events and the template's AWS::Events::Rule resources. */
    static Map<String, JsonNode> rules() {
        Map<String, JsonNode> rules = new LinkedHashMap<>();
        Repo.stateMachine().getValue().path("Properties").path("Events").fields().forEachRemaining(event -> {
            if ("EventBridgeRule".equals(event.getValue().path("Type").asText())) {
                rules.put(event.getKey(), event.getValue().path("Properties").path("Pattern"));
            }
        });
        Repo.resources("AWS::Events::Rule").forEach((id, rule) -> {
            JsonNode properties = rule.path("Properties");
            if (properties.has("EventPattern")) {
                rules.put(id.endsWith("Rule") ? id.substring(0, id.length() - "Rule".length()) : id, properties.path("EventPattern"));
            }
        });
        return rules;
    }
}
