package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import ssmreach.contract.DiagnosisRequest;
import ssmreach.contract.EndpointRequest;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.ProfileRequest;
import ssmreach.contract.RegistrationRequest;
import ssmreach.contract.SelectionRequest;
import ssmreach.contract.Target;
import ssmreach.contract.VpcRequest;
import ssmreach.contract.WorkflowState;
import ssmreach.core.Json;
import ssmreach.core.Settings;
import ssmreach.trigger.ParseTriggerHandler;

/**
 * The sample events in events/ are what the functions really take: each per-function file is
 * exactly the shape of its handler's input record (the mapper is strict, and the file must come
 * back unchanged when written again), the raw triggers are what ParseTrigger reads and accepts
 * (which rules let them through: {@link EventPatternsTest}), and env.json sets, for every function of the template, only variables the template declares
 * (sam local invoke ignores the others).
 */
class EventFilesTest {
    /** Per-function input files: the state's input record. */
    private static final Map<String, Class<?>> TYPED = Map.ofEntries(
            Map.entry("group-targets.json", Target.class),
            Map.entry("classify-subnets.json", Target.class),
            Map.entry("prepare-vpc.json", VpcRequest.class),
            Map.entry("ensure-endpoints.json", EndpointRequest.class),
            Map.entry("check-endpoints.json", EndpointsReport.class),
            Map.entry("select-instances.json", SelectionRequest.class),
            Map.entry("ensure-instance-profile.json", ProfileRequest.class),
            Map.entry("check-registration.json", RegistrationRequest.class),
            Map.entry("diagnose.json", DiagnosisRequest.class),
            Map.entry("report.json", WorkflowState.class));

    /**
     * Raw triggers, handled by ParseTrigger: CloudTrail events and EC2 instance state changes as
     * EventBridge delivers them, manual inputs.
     */
    private static final Set<String> CLOUDTRAIL = Set.of("create-subnet.json", "create-subnet-failed.json", "parse-trigger.json");
    /** CloudTrail route calls: each names the route table (or the association) whose subnets GroupTargets resolves. */
    private static final Set<String> ROUTE = Set.of("create-route.json", "replace-route.json", "delete-route.json",
            "associate-route-table.json", "replace-route-table-association.json", "disassociate-route-table.json",
            "delete-route-failed.json");
    private static final Pattern ROUTE_TABLE_ID = Pattern.compile("rtb-[0-9a-f]{8}([0-9a-f]{9})?");
    private static final Pattern ASSOCIATION_ID = Pattern.compile("rtbassoc-[0-9a-f]{8}([0-9a-f]{9})?");
    private static final Set<String> STATE_CHANGE = Set.of("instance-running.json", "instance-pending.json");
    private static final Set<String> MANUAL = Set.of("manual-subnet.json", "manual-vpc.json", "manual-subnet-dry-run.json",
            "manual-instance.json", "manual-instance-diagnose.json");
    /** A sweep of the Region, by hand or on the stack's schedule. */
    private static final String SWEEP = "manual-sweep.json";
    /** What the pipe from the trigger queue starts the workflow with: a batch of SQS messages. */
    private static final String BATCH = "trigger-batch.json";
    private static final String ENV = "env.json";

    private static final String ACCOUNT = "123456789012";
    private static final String REGION = "us-east-1";
    private static final Pattern SUBNET_ID = Pattern.compile("subnet-[0-9a-f]{8}([0-9a-f]{9})?");
    private static final Pattern VPC_ID = Pattern.compile("vpc-[0-9a-f]{8}([0-9a-f]{9})?");
    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}([0-9a-f]{9})?");

    private static JsonNode read(String name) {
        try {
            return Json.MAPPER.readTree(Repo.path("events/" + name).toFile());
        } catch (IOException e) {
            throw new AssertionError("events/" + name + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    static Stream<Arguments> typedFiles() {
        return TYPED.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    static Stream<String> cloudTrailFiles() {
        return CLOUDTRAIL.stream().sorted();
    }

    static Stream<String> routeFiles() {
        return ROUTE.stream().sorted();
    }

    static Stream<String> stateChangeFiles() {
        return STATE_CHANGE.stream().sorted();
    }

    static Stream<String> manualFiles() {
        return MANUAL.stream().sorted();
    }

    @Test
    void everyFileInEventsIsCheckedHere() {
        Set<String> known = new TreeSet<>(TYPED.keySet());
        known.addAll(CLOUDTRAIL);
        known.addAll(ROUTE);
        known.addAll(STATE_CHANGE);
        known.addAll(MANUAL);
        known.add(BATCH);
        known.add(SWEEP);
        known.add(ENV);
        Set<String> present = new TreeSet<>(Repo.list("events").stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(known, present, "events/ and this test's table disagree: add the new file to the table (with its type)");
    }

    @ParameterizedTest(name = "{0} is a {1}")
    @MethodSource("typedFiles")
    void perFunctionFileIsExactlyTheInputRecord(String file, Class<?> type) throws IOException {
        byte[] bytes = Files.readAllBytes(Repo.path("events/" + file));

        Object value = assertDoesNotThrow(() -> Json.MAPPER.readValue(bytes, type),
                () -> "events/" + file + " does not deserialize into " + type.getSimpleName());

        assertNotNull(value);
        // Written and read again, as the next state gets it (a tree straight from the value would
        // tell a Long 110 from the int 110 that the file reads as).
        assertEquals(Json.MAPPER.readTree(bytes), Json.MAPPER.readTree(Json.MAPPER.writeValueAsBytes(value)),
                "events/" + file + " must be exactly what the previous state writes: every field of "
                        + type.getSimpleName() + " given, nothing more");
    }

    @ParameterizedTest
    @MethodSource("cloudTrailFiles")
    void cloudTrailEventHasWhatParseTriggerReads(String file) throws IOException {
        JsonNode event = read(file);

        JsonNode detail = cloudTrailDetail(event);
        assertEquals("CreateSubnet", detail.path("eventName").asText());

        Target target = parseTrigger(event);
        if (detail.hasNonNull("errorCode")) {
            assertTrue(detail.path("responseElements").isNull(), "a failed call has responseElements null");
            assertFalse(detail.path("errorMessage").asText().isEmpty(), "a failed call has an errorMessage");
            assertNotNull(target.ignored(), "ParseTrigger must ignore a failed CreateSubnet call");
            assertTrue(target.subnetIds().isEmpty());
        } else {
            String subnetId = detail.path("responseElements").path("subnet").path("subnetId").asText();
            assertTrue(SUBNET_ID.matcher(subnetId).matches(), () -> "detail.responseElements.subnet.subnetId: " + subnetId);
            assertNull(target.ignored());
            assertEquals(List.of(subnetId), target.subnetIds());
        }
    }

    /**
     * A route call as CloudTrail records it: flat camelCase requestParameters naming the route table
     * (or, to disassociate, only the association), responseElements {@code _return} or the new
     * association's id; a failed call with errorCode and responseElements null. ParseTrigger names
     * the table (a batch of one), or ignores what names no subnet it could find.
     */
    @ParameterizedTest
    @MethodSource("routeFiles")
    void routeEventHasWhatParseTriggerReads(String file) throws IOException {
        JsonNode event = read(file);

        JsonNode detail = cloudTrailDetail(event);
        String eventName = detail.path("eventName").asText();
        JsonNode request = detail.path("requestParameters");
        JsonNode response = detail.path("responseElements");

        Target target = parseTrigger(event);
        if (detail.hasNonNull("errorCode")) {
            assertTrue(response.isNull(), "a failed call has responseElements null");
            assertFalse(detail.path("errorMessage").asText().isEmpty(), "a failed call has an errorMessage");
            assertNotNull(target.ignored(), "ParseTrigger must ignore a failed route call");
            return;
        }
        if (eventName.equals("DisassociateRouteTable")) {
            assertEquals(Set.of("associationId"), new TreeSet<>(Repo.fieldNames(request)));
            assertTrue(ASSOCIATION_ID.matcher(request.path("associationId").asText()).matches());
            assertTrue(response.path("_return").asBoolean());
            assertNotNull(target.ignored(), "a disassociation names no subnet: ignored with the reason");
            return;
        }
        String table = request.path("routeTableId").asText();
        assertTrue(ROUTE_TABLE_ID.matcher(table).matches(), () -> "detail.requestParameters.routeTableId: " + table);
        switch (eventName) {
            case "CreateRoute", "ReplaceRoute", "DeleteRoute" -> {
                assertEquals("0.0.0.0/0", request.path("destinationCidrBlock").asText());
                assertTrue(response.path("_return").asBoolean());
            }
            case "AssociateRouteTable" -> {
                assertTrue(SUBNET_ID.matcher(request.path("subnetId").asText()).matches());
                assertTrue(ASSOCIATION_ID.matcher(response.path("associationId").asText()).matches());
            }
            case "ReplaceRouteTableAssociation" -> {
                assertTrue(ASSOCIATION_ID.matcher(request.path("associationId").asText()).matches());
                assertTrue(ASSOCIATION_ID.matcher(response.path("newAssociationId").asText()).matches());
            }
            default -> throw new AssertionError(file + ": not a route call: " + eventName);
        }
        assertNull(target.ignored());
        assertEquals(Target.BATCH, target.source());
        assertEquals(1, target.batch().size());
        assertEquals(table, target.batch().getFirst().routeTableId());
    }

    @ParameterizedTest
    @MethodSource("stateChangeFiles")
    void stateChangeEventHasWhatParseTriggerReads(String file) throws IOException {
        JsonNode event = read(file);

        assertEquals("0", event.path("version").asText());
        assertEquals("aws.ec2", event.path("source").asText());
        assertEquals("EC2 Instance State-change Notification", event.path("detail-type").asText());
        assertEquals(ACCOUNT, event.path("account").asText());
        assertEquals(REGION, event.path("region").asText());
        assertDoesNotThrow(() -> Instant.parse(event.path("time").asText()), "time is an ISO-8601 instant");
        JsonNode detail = event.path("detail");
        assertEquals(Set.of("instance-id", "state"), new TreeSet<>(Repo.fieldNames(detail)), "detail of a state change");
        String instanceId = detail.path("instance-id").asText();
        assertTrue(INSTANCE_ID.matcher(instanceId).matches(), () -> "detail.instance-id: " + instanceId);
        assertEquals(List.of("arn:aws:ec2:" + REGION + ":" + ACCOUNT + ":instance/" + instanceId),
                Repo.strings(event.path("resources")), "resources names the instance");

        Target target = parseTrigger(event);
        assertEquals("InstanceRunning", target.source());
        assertTrue(target.subnetIds().isEmpty());
        if ("running".equals(detail.path("state").asText())) {
            assertNull(target.ignored());
            assertEquals(List.of(instanceId), target.instanceIds());
        } else {
            assertNotNull(target.ignored(), "ParseTrigger must ignore an instance that is not running");
            assertTrue(target.instanceIds().isEmpty());
        }
    }

    @Test
    void theSweepSampleIsTheScheduledSweepsInput() throws IOException {
        JsonNode input = Repo.template().path("Resources").path("SweepSchedulerSchedule").path("Properties").path("Target").path("Input");
        String scheduled = input.isTextual() ? input.asText() : input.path("Fn::Sub").asText();
        JsonNode startExecution = ssmreach.core.Json.MAPPER.readTree(scheduled);

        assertEquals(read(SWEEP), ssmreach.core.Json.MAPPER.readTree(startExecution.path("Input").asText()),
                "the schedule starts the workflow with the sample's input");
        assertTrue(startExecution.path("Name").asText().startsWith("sweep-"), "each scheduled sweep is named sweep-…");
        Target target = new ssmreach.trigger.TriggerParser(Settings.from(Map.of("AWS_REGION", REGION, "ACCOUNT_ID", ACCOUNT)))
                .parse(read(SWEEP));
        assertEquals(Target.sweep(false, null), target);
    }

    @ParameterizedTest
    @MethodSource("manualFiles")
    void manualInputIsAcceptedByParseTrigger(String file) throws IOException {
        JsonNode input = read(file);

        assertTrue(input.isObject());
        assertTrue(Set.of("subnetId", "vpcId", "instanceId", "dryRun", "diagnose").containsAll(Repo.fieldNames(input)),
                () -> file + ": " + input);
        List<String> ids = Stream.of("subnetId", "vpcId", "instanceId").filter(input::has).toList();
        assertEquals(1, ids.size(), () -> file + " needs exactly one of subnetId, vpcId and instanceId");
        Pattern pattern = switch (ids.getFirst()) {
            case "subnetId" -> SUBNET_ID;
            case "vpcId" -> VPC_ID;
            default -> INSTANCE_ID;
        };
        assertTrue(pattern.matcher(input.path(ids.getFirst()).asText()).matches(), () -> file + ": " + ids.getFirst());

        Target target = parseTrigger(input);
        assertEquals("manual", target.source());
        assertEquals(input.path("dryRun").asBoolean(false), target.dryRun());
        assertEquals(input.path("diagnose").asBoolean(false), target.diagnose());
        if (input.has("instanceId")) {
            assertEquals(List.of(input.path("instanceId").asText()), target.instanceIds());
        }
    }

    /** The pipe's batch carries the two sample events as its messages' bodies, and ParseTrigger takes it. */
    @Test
    void theBatchSampleIsTheSampleEventsAsThePipeDeliversThem() throws IOException {
        JsonNode batch = read(BATCH);
        assertEquals(2, batch.size());
        assertEquals(read("create-subnet.json"), Json.MAPPER.readTree(batch.get(0).path("body").asText()));
        assertEquals(read("instance-running.json"), Json.MAPPER.readTree(batch.get(1).path("body").asText()));
        Target target = new ssmreach.trigger.TriggerParser(ssmreach.core.Settings.from(Map.of("AWS_REGION", REGION,
                "ACCOUNT_ID", ACCOUNT))).parse(batch);
        assertEquals(Target.BATCH, target.source());
        assertEquals(Json.MAPPER.readTree(Json.MAPPER.writeValueAsBytes(target)), read("group-targets.json"),
                "group-targets.json is what ParseTrigger makes of trigger-batch.json");
    }

    @Test
    void parseTriggerSampleIsTheCreateSubnetEvent() {
        assertEquals(read("create-subnet.json"), read("parse-trigger.json"));
    }

    @Test
    void envFileCoversEveryFunctionOfTheTemplate() {
        JsonNode env = read(ENV);
        assertEquals(new TreeSet<>(Repo.functions().keySet()), new TreeSet<>(Repo.fieldNames(env)),
                "env.json needs one entry per function of template.yaml, keyed by logical id");
    }

    @Test
    void envFileSetsExactlyTheDeclaredVariablesWithValidValues() {
        JsonNode env = read(ENV);
        Set<String> globals = new TreeSet<>(Repo.fieldNames(
                Repo.template().path("Globals").path("Function").path("Environment").path("Variables")));
        Repo.functions().forEach((name, function) -> {
            Set<String> declared = new TreeSet<>(globals);
            declared.addAll(Repo.fieldNames(function.path("Properties").path("Environment").path("Variables")));
            JsonNode variables = env.path(name);
            // sam local invoke --env-vars only overrides variables the template declares; every declared
            // one is given, as intrinsics such as !Ref ResultTopic do not resolve locally.
            assertEquals(declared, new TreeSet<>(Repo.fieldNames(variables)), () -> "env.json " + name);

            Map<String, String> values = new HashMap<>();
            variables.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
            values.put("AWS_REGION", REGION);
            assertDoesNotThrow(() -> Settings.from(values), () -> "env.json " + name + " holds invalid settings");
            // AWS_ENDPOINT_URL is not a template variable, so the emulator is named through a system property.
            assertTrue(values.get("JAVA_TOOL_OPTIONS").matches(".*-Daws\\.endpointUrl=http://\\S+.*"),
                    () -> "env.json " + name + ": JAVA_TOOL_OPTIONS must point the SDK at the emulator (-Daws.endpointUrl=...)");
        });
    }

    @Test
    void templateDeclaresEveryVariableTheSettingsRead() {
        String source = Repo.read("functions/src/main/java/ssmreach/core/Settings.java");
        Matcher matcher = Pattern.compile("(?:env\\.get(?:OrDefault)?\\(|\\(env,\\s*)\"([A-Z][A-Z0-9_]*)\"").matcher(source);
        Set<String> read = new TreeSet<>();
        while (matcher.find()) {
            read.add(matcher.group(1));
        }
        read.remove("AWS_REGION"); // set by Lambda
        assertFalse(read.isEmpty(), "found no environment variable in Settings.java: has it moved?");
        Set<String> declared = new TreeSet<>(Repo.fieldNames(
                Repo.template().path("Globals").path("Function").path("Environment").path("Variables")));
        assertTrue(declared.containsAll(read), () -> "Settings reads " + read + "; template declares " + declared);
    }

    /** The detail of an EC2 call as EventBridge delivers it from CloudTrail, in this account and Region. */
    private static JsonNode cloudTrailDetail(JsonNode event) {
        assertEquals("aws.ec2", event.path("source").asText());
        assertEquals("AWS API Call via CloudTrail", event.path("detail-type").asText());
        assertEquals(ACCOUNT, event.path("account").asText());
        assertEquals(REGION, event.path("region").asText());
        JsonNode detail = event.path("detail");
        assertEquals("ec2.amazonaws.com", detail.path("eventSource").asText());
        assertEquals(REGION, detail.path("awsRegion").asText());
        return detail;
    }

    private static Target parseTrigger(JsonNode input) throws IOException {
        Settings settings = Settings.from(Map.of("AWS_REGION", REGION, "ACCOUNT_ID", ACCOUNT));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ParseTriggerHandler(settings).handleRequest(new ByteArrayInputStream(Json.MAPPER.writeValueAsBytes(input)), out, null);
        return Json.MAPPER.readValue(out.toByteArray(), Target.class);
    }
}
