package ssmreach.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import ssmreach.contract.Target;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;
import ssmreach.TestInputs;
import ssmreach.core.Settings;

class TriggerParserTest {
    private static final String SUBNET = "subnet-0123456789abcdef0";
    private static final String VPC = "vpc-0a1b2c3d4e5f60718";
    /** Upper bound for any error message built from input: a fixed text plus an abbreviated value. */
    private static final int MESSAGE_BOUND = 300;
    private static final String HUGE = "x".repeat(10_240);
    private static final String CONTROL = "subnet-\u0000\u0007\u001b[31m\r\n\u2028evil";

    private final TriggerParser parser = new TriggerParser(settings(Map.of()));

    static Settings settings(Map<String, String> extra) {
        return TestInputs.settings(extra);
    }

    static ObjectNode event(String file) {
        try (InputStream in = TriggerParserTest.class.getResourceAsStream("/events/" + file)) {
            return (ObjectNode) Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode createSubnet(Consumer<ObjectNode> change) {
        ObjectNode event = event("create-subnet.json");
        change.accept(event);
        return event;
    }

    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertTidy(String message) {
        assertTrue(message.length() <= MESSAGE_BOUND, "message of " + message.length() + " chars: " + message);
        assertTrue(message.chars().noneMatch(c -> Character.isISOControl(c) || c == '\u2028'), "control character in: " + message);
    }

    // ---------------------------------------------------------------- CloudTrail CreateSubnet

    @Test
    void createSubnetEventTargetsTheNewSubnetAndItsVpc() {
        Target target = parser.parse(event("create-subnet.json"));

        assertEquals(new Target("CreateSubnet", VPC, List.of(SUBNET), false, null), target);
    }

    @Test
    void createSubnetEventFollowsTheDryRunSetting() {
        TriggerParser dryRunParser = new TriggerParser(settings(Map.of("DRY_RUN", "true")));

        Target target = dryRunParser.parse(event("create-subnet.json"));

        assertTrue(target.dryRun());
        assertEquals(List.of(SUBNET), target.subnetIds());
    }

    /** The CloudTrail records of CreateSubnet as they come: dual-stack, IPv6-only, in a Local Zone, made by CloudFormation. */
    @ParameterizedTest
    @CsvSource({
            "create-subnet-ipv6.json, subnet-0a5b6c7d8e9f01234",
            "create-subnet-ipv6-only.json, subnet-0b6c7d8e9f0a12345",
            "create-subnet-local-zone.json, subnet-0c7d8e9f0a1b23456",
            "create-subnet-cloudformation.json, subnet-0d8e9f0a1b2c34567"})
    void everyShapeOfASuccessfulCreateSubnetTargetsItsSubnet(String file, String subnet) {
        Target target = parser.parse(event(file));

        assertEquals(new Target("CreateSubnet", VPC, List.of(subnet), false, null), target);
    }

    @Test
    void aDryRunCreateSubnetCallIsIgnored() {
        Target target = parser.parse(event("create-subnet-dry-run.json"));

        assertTrue(target.subnetIds().isEmpty());
        assertTrue(target.ignored().contains("Client.DryRunOperation"), target.ignored());
    }

    // ---------------------------------------------------------------- a batch from the trigger queue

    /** An SQS message as the pipe hands it over: the event is its body, as text. */
    private static JsonNode message(JsonNode event) {
        ObjectNode message = Json.MAPPER.createObjectNode().put("messageId", "0f8e6a1c-2b3d-4e5f-8a9b-0c1d2e3f4a5b")
                .put("receiptHandle", "AQEB...").put("body", event.toString()).put("md5OfBody", "0123456789abcdef")
                .put("eventSource", "aws:sqs").put("eventSourceARN", "arn:aws:sqs:us-east-1:123456789012:ssm-reach-TriggerQueue")
                .put("awsRegion", "us-east-1");
        message.putObject("attributes").put("ApproximateReceiveCount", "1");
        return message;
    }

    @Test
    void aBatchCarriesEachEventsTargetAndDropsWhatItIgnores() {
        JsonNode batch = Json.MAPPER.createArrayNode().add(message(event("create-subnet.json")))
                .add(message(event("instance-running.json"))).add(message(event("create-subnet-failed.json")));

        Target target = parser.parse(batch);

        assertEquals(Target.BATCH, target.source());
        assertEquals(List.of(new Target("CreateSubnet", VPC, List.of(SUBNET), false, null),
                new Target("InstanceRunning", null, List.of(), List.of("i-0abc1234def567890"), false, false, null)), target.batch());
    }

    @Test
    void aBatchOfIgnoredEventsIsIgnored() {
        Target target = parser.parse(Json.MAPPER.createArrayNode().add(message(event("create-subnet-dry-run.json"))));

        assertTrue(target.ignored().contains("Client.DryRunOperation"), target.ignored());
        assertTrue(target.batch().isEmpty());
    }

    @Test
    void oneBadMessageFailsTheBatchBeforeAnyCall() {
        ObjectNode foreign = event("create-subnet.json").put("account", "210987654321");
        JsonNode batch = Json.MAPPER.createArrayNode().add(message(event("create-subnet.json"))).add(message(foreign));

        assertThrows(ForeignResourceException.class, () -> parser.parse(batch));
        assertThrows(InvalidInputException.class, () -> parser.parse(Json.MAPPER.createArrayNode()));
        assertThrows(InvalidInputException.class, () -> parser.parse(json("[{\"body\": \"not json\"}]")));
        assertThrows(UnsupportedEventException.class, () -> parser.parse(json("[{\"body\": \"{\\\"subnetId\\\": 1}\"}]")));
    }

    @Test
    void aGroupOfOneVpcComesBackAsItsTarget() {
        Target target = parser.parse(json("""
                {"target": {"source": "events", "vpcId": "%s", "subnetIds": ["%s"], "instanceIds": ["i-0123456789abcdef0"],
                 "dryRun": false}, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "arn:aws:states:us-east-1:123456789012:execution:w:x"}
                """.formatted(VPC, SUBNET)));

        assertEquals(new Target("events", VPC, List.of(SUBNET), List.of("i-0123456789abcdef0"), false, false, null), target);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"target\": {\"source\": \"batch\", \"vpcId\": \"vpc-0a1b2c3d4e5f60718\", \"subnetIds\": [\"subnet-0123456789abcdef0\"]}}",
            "{\"target\": {\"source\": \"events\", \"subnetIds\": [\"subnet-0123456789abcdef0\"]}}",
            "{\"target\": {\"source\": \"events\", \"vpcId\": \"vpc-0a1b2c3d4e5f60718\"}}",
            "{\"target\": {\"source\": \"events\", \"vpcId\": \"vpc-0a1b2c3d4e5f60718\", \"subnetIds\": \"subnet-0123456789abcdef0\"}}",
            "{\"target\": {\"source\": \"events\", \"vpcId\": \"vpc-0a1b2c3d4e5f60718\", \"instanceIds\": [\"i-x\"]}}",
            "{\"target\": {\"source\": \"events\", \"vpcId\": \"vpc-0a1b2c3d4e5f60718\", \"subnetIds\": [], \"other\": 1}}",
            "{\"target\": {\"source\": \"events\"}, \"subnetId\": \"subnet-0123456789abcdef0\"}",
            "{\"target\": []}"})
    void aMalformedGroupIsRefused(String input) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(json(input)));
        assertTidy(e.getMessage());
    }

    @Test
    void failedCreateSubnetCallIsIgnoredWithItsErrorCode() {
        Target target = parser.parse(event("create-subnet-failed.json"));

        assertEquals("CreateSubnet", target.source());
        assertTrue(target.subnetIds().isEmpty());
        assertNull(target.vpcId());
        assertTrue(target.ignored().contains("Client.InvalidSubnet.Conflict"), target.ignored());
    }

    @Test
    void createSubnetEventWithoutVpcIdStillTargetsTheSubnet() {
        ObjectNode event = createSubnet(e -> ((ObjectNode) e.at("/detail/responseElements/subnet")).remove("vpcId"));

        Target target = parser.parse(event);

        assertNull(target.vpcId());
        assertEquals(List.of(SUBNET), target.subnetIds());
    }

    @Test
    void successfulCallWithoutSubnetInTheResponseIsInvalid() {
        ObjectNode event = createSubnet(e -> ((ObjectNode) e.get("detail")).putNull("responseElements"));

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(event));

        assertSame(InvalidInputException.class, e.getClass());
        assertTrue(e.getMessage().contains("subnetId"), e.getMessage());
    }

    @Test
    void eventWithMalformedSubnetIdIsInvalid() {
        ObjectNode event = createSubnet(e -> ((ObjectNode) e.at("/detail/responseElements/subnet")).put("subnetId", "subnet-XYZ"));

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(event));

        assertSame(InvalidInputException.class, e.getClass());
    }

    static Stream<Arguments> unsupportedEvents() {
        return Stream.of(
                Arguments.of("other source", (Consumer<ObjectNode>) e -> e.put("source", "aws.s3")),
                Arguments.of("other detail-type", (Consumer<ObjectNode>) e -> e.put("detail-type", "EBS Snapshot Notification")),
                Arguments.of("other eventName", (Consumer<ObjectNode>) e -> ((ObjectNode) e.get("detail")).put("eventName", "CreateVpc")),
                Arguments.of("other eventSource", (Consumer<ObjectNode>) e -> ((ObjectNode) e.get("detail")).put("eventSource", "s3.amazonaws.com")),
                Arguments.of("source not a string", (Consumer<ObjectNode>) e -> e.put("source", 7)),
                Arguments.of("no detail", (Consumer<ObjectNode>) e -> e.remove("detail")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupportedEvents")
    void unsupportedEventIsRefusedByName(String name, Consumer<ObjectNode> change) {
        ObjectNode event = createSubnet(change);

        assertThrows(UnsupportedEventException.class, () -> parser.parse(event));
    }

    @Test
    void eventFromAnotherAccountIsForeign() {
        ObjectNode event = createSubnet(e -> e.put("account", "210987654321"));

        ForeignResourceException e = assertThrows(ForeignResourceException.class, () -> parser.parse(event));

        assertTrue(e.getMessage().contains("210987654321"), e.getMessage());
    }

    @Test
    void eventFromAnotherRegionIsForeign() {
        ObjectNode event = createSubnet(e -> e.put("region", "eu-west-1"));

        ForeignResourceException e = assertThrows(ForeignResourceException.class, () -> parser.parse(event));

        assertTrue(e.getMessage().contains("eu-west-1"), e.getMessage());
    }

    @Test
    void failedCallFromAnotherAccountIsStillForeign() {
        ObjectNode event = event("create-subnet-failed.json");
        event.put("account", "210987654321");

        assertThrows(ForeignResourceException.class, () -> parser.parse(event));
    }

    @Test
    void eventWithoutAccountIsForeign() {
        ObjectNode event = createSubnet(e -> e.remove("account"));

        assertThrows(ForeignResourceException.class, () -> parser.parse(event));
    }

    @Test
    void hugeForeignAccountIsAbbreviatedInTheMessage() {
        ObjectNode event = createSubnet(e -> e.put("account", HUGE + CONTROL));

        ForeignResourceException e = assertThrows(ForeignResourceException.class, () -> parser.parse(event));

        assertTidy(e.getMessage());
    }

    @Test
    void hostileEventFieldsAreAbbreviatedInTheMessage() {
        ObjectNode event = createSubnet(e -> {
            e.put("source", HUGE);
            e.put("detail-type", CONTROL);
            ((ObjectNode) e.get("detail")).put("eventName", HUGE + CONTROL);
        });

        UnsupportedEventException e = assertThrows(UnsupportedEventException.class, () -> parser.parse(event));

        assertTidy(e.getMessage());
    }

    // ---------------------------------------------------------------- manual input

    @Test
    void manualSubnetId() {
        Target target = parser.parse(json("{\"subnetId\": \"" + SUBNET + "\"}"));

        assertEquals(new Target("manual", null, List.of(SUBNET), false, null), target);
    }

    @Test
    void manualShortIds() {
        assertEquals(List.of("subnet-12345678"), parser.parse(json("{\"subnetId\": \"subnet-12345678\"}")).subnetIds());
        assertEquals("vpc-abcdef01", parser.parse(json("{\"vpcId\": \"vpc-abcdef01\"}")).vpcId());
    }

    @Test
    void manualVpcId() {
        Target target = parser.parse(json("{\"vpcId\": \"" + VPC + "\"}"));

        assertEquals(new Target("manual", VPC, List.of(), false, null), target);
    }

    @Test
    void manualDryRunTrue() {
        Target target = parser.parse(json("{\"subnetId\": \"" + SUBNET + "\", \"dryRun\": true}"));

        assertTrue(target.dryRun());
    }

    @Test
    void manualDryRunFalse() {
        Target target = parser.parse(json("{\"vpcId\": \"" + VPC + "\", \"dryRun\": false}"));

        assertFalse(target.dryRun());
    }

    @Test
    void dryRunSettingWinsOverManualFalse() {
        TriggerParser dryRunParser = new TriggerParser(settings(Map.of("DRY_RUN", "true")));

        Target explicitFalse = dryRunParser.parse(json("{\"subnetId\": \"" + SUBNET + "\", \"dryRun\": false}"));
        Target absent = dryRunParser.parse(json("{\"subnetId\": \"" + SUBNET + "\"}"));

        assertTrue(explicitFalse.dryRun());
        assertTrue(absent.dryRun());
    }

    static Stream<Arguments> invalidManualInputs() {
        return Stream.of(
                Arguments.of("string", "\"" + SUBNET + "\""),
                Arguments.of("number", "42"),
                Arguments.of("array", "[{\"subnetId\": \"" + SUBNET + "\"}]"),
                Arguments.of("empty array", "[]"),
                Arguments.of("json null", "null"),
                Arguments.of("empty object", "{}"),
                Arguments.of("dryRun only", "{\"dryRun\": true}"),
                Arguments.of("both ids", "{\"subnetId\": \"" + SUBNET + "\", \"vpcId\": \"" + VPC + "\"}"),
                Arguments.of("unknown field", "{\"subnetId\": \"" + SUBNET + "\", \"instanceIds\": []}"),
                Arguments.of("misspelt field", "{\"subnetID\": \"" + SUBNET + "\"}"),
                Arguments.of("vpc id as subnet", "{\"subnetId\": \"" + VPC + "\"}"),
                Arguments.of("subnet id as vpc", "{\"vpcId\": \"" + SUBNET + "\"}"),
                Arguments.of("security group id", "{\"subnetId\": \"sg-0123456789abcdef0\"}"),
                Arguments.of("uppercase hex", "{\"subnetId\": \"subnet-0123456789ABCDEF0\"}"),
                Arguments.of("too long", "{\"subnetId\": \"subnet-0123456789abcdef01\"}"),
                Arguments.of("between lengths", "{\"subnetId\": \"subnet-0123456789ab\"}"),
                Arguments.of("too short", "{\"vpcId\": \"vpc-0123\"}"),
                Arguments.of("padded", "{\"subnetId\": \" " + SUBNET + "\"}"),
                Arguments.of("trailing newline", "{\"subnetId\": \"" + SUBNET + "\\n\"}"),
                Arguments.of("number id", "{\"subnetId\": 123456789}"),
                Arguments.of("object id", "{\"vpcId\": {\"id\": \"" + VPC + "\"}}"),
                Arguments.of("null id", "{\"subnetId\": null}"),
                Arguments.of("list of ids", "{\"subnetId\": [\"" + SUBNET + "\"]}"),
                Arguments.of("dryRun as string", "{\"subnetId\": \"" + SUBNET + "\", \"dryRun\": \"true\"}"),
                Arguments.of("dryRun as number", "{\"subnetId\": \"" + SUBNET + "\", \"dryRun\": 1}"),
                Arguments.of("dryRun null", "{\"subnetId\": \"" + SUBNET + "\", \"dryRun\": null}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidManualInputs")
    void invalidManualInputIsRefusedAsInvalidInput(String name, String input) {
        JsonNode node = json(input);

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(node));

        assertSame(InvalidInputException.class, e.getClass(), "not a subclass: " + e.getClass());
        assertTrue(e.getMessage().length() <= MESSAGE_BOUND, e.getMessage());
    }

    @Test
    void javaNullIsInvalidInput() {
        assertThrows(InvalidInputException.class, () -> parser.parse(null));
    }

    @Test
    void unknownFieldIsNamedInTheMessage() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parser.parse(json("{\"subnetId\": \"" + SUBNET + "\", \"instanceIds\": []}")));

        assertTrue(e.getMessage().contains("instanceIds"), e.getMessage());
    }

    @ParameterizedTest(name = "subnetId {0}")
    @ValueSource(strings = {"huge", "control"})
    void hostileIdValueIsAbbreviatedInTheMessage(String kind) {
        ObjectNode input = Json.MAPPER.createObjectNode().put("subnetId", kind.equals("huge") ? "subnet-" + HUGE : CONTROL);

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(input));

        assertTidy(e.getMessage());
    }

    @Test
    void hugeDryRunValueIsAbbreviatedInTheMessage() {
        ObjectNode input = Json.MAPPER.createObjectNode().put("subnetId", SUBNET).put("dryRun", HUGE + CONTROL);

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(input));

        assertTidy(e.getMessage());
    }

    @Test
    void hostileUnknownFieldNameIsAbbreviatedInTheMessage() {
        ObjectNode input = Json.MAPPER.createObjectNode().put("subnetId", SUBNET).put(HUGE + CONTROL, true);

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(input));

        assertTidy(e.getMessage());
    }

    @Test
    void abbreviateKeepsShortPrintableValuesAndCutsLongOnes() {
        assertEquals("subnet-1", TriggerParser.abbreviate("subnet-1"));
        assertEquals("a?b", TriggerParser.abbreviate("a\u0000b"));
        String cut = TriggerParser.abbreviate(HUGE);
        assertEquals(64, cut.length());
        assertTrue(cut.endsWith("..."));
    }

    // ---------------------------------------------------------------- EC2 instance state-change

    private static final String INSTANCE = "i-0abc1234def567890";

    static ObjectNode instanceEvent(Consumer<ObjectNode> change) {
        ObjectNode event = event("instance-running.json");
        change.accept(event);
        return event;
    }

    @Test
    void runningInstanceEventTargetsTheInstance() {
        Target target = parser.parse(event("instance-running.json"));

        assertEquals(new Target("InstanceRunning", null, List.of(), List.of(INSTANCE), false, false, null), target);
        assertNull(target.ignored());
        assertFalse(target.diagnose());
    }

    @Test
    void runningInstanceEventFollowsTheDryRunSetting() {
        Target target = new TriggerParser(settings(Map.of("DRY_RUN", "true"))).parse(event("instance-running.json"));

        assertTrue(target.dryRun());
        assertEquals(List.of(INSTANCE), target.instanceIds());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pending", "stopping", "stopped", "shutting-down", "terminated"})
    void instanceEventInAnotherStateIsIgnoredWithTheReason(String state) {
        ObjectNode event = instanceEvent(e -> ((ObjectNode) e.get("detail")).put("state", state));

        Target target = parser.parse(event);

        assertEquals("InstanceRunning", target.source());
        assertTrue(target.instanceIds().isEmpty(), target.toString());
        assertTrue(target.subnetIds().isEmpty());
        assertTrue(target.ignored().contains(INSTANCE) && target.ignored().contains(state), target.ignored());
    }

    static Stream<Arguments> badInstanceIds() {
        return Stream.of(
                Arguments.of("malformed", (Consumer<ObjectNode>) d -> d.put("instance-id", "i-XYZ")),
                Arguments.of("subnet id", (Consumer<ObjectNode>) d -> d.put("instance-id", SUBNET)),
                Arguments.of("uppercase", (Consumer<ObjectNode>) d -> d.put("instance-id", "i-0ABC1234DEF567890")),
                Arguments.of("number", (Consumer<ObjectNode>) d -> d.put("instance-id", 42)),
                Arguments.of("null", (Consumer<ObjectNode>) d -> d.putNull("instance-id")),
                Arguments.of("missing", (Consumer<ObjectNode>) d -> d.remove("instance-id")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInstanceIds")
    void instanceEventWithBadInstanceIdIsInvalidByName(String name, Consumer<ObjectNode> change) {
        ObjectNode event = instanceEvent(e -> change.accept((ObjectNode) e.get("detail")));

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(event));

        assertSame(InvalidInputException.class, e.getClass());
        assertTrue(e.getMessage().contains("detail.instance-id"), e.getMessage());
        assertTidy(e.getMessage());
    }

    @Test
    void hostileInstanceIdIsAbbreviatedInTheMessage() {
        ObjectNode event = instanceEvent(e -> ((ObjectNode) e.get("detail")).put("instance-id", "i-" + HUGE + CONTROL));

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(event));

        assertTidy(e.getMessage());
    }

    @Test
    void instanceEventFromAnotherAccountIsForeign() {
        ObjectNode event = instanceEvent(e -> e.put("account", "210987654321"));

        ForeignResourceException e = assertThrows(ForeignResourceException.class, () -> parser.parse(event));

        assertTrue(e.getMessage().contains("210987654321"), e.getMessage());
    }

    @Test
    void instanceEventFromAnotherRegionIsForeign() {
        ObjectNode event = instanceEvent(e -> e.put("region", "eu-west-1"));

        ForeignResourceException e = assertThrows(ForeignResourceException.class, () -> parser.parse(event));

        assertTrue(e.getMessage().contains("eu-west-1"), e.getMessage());
    }

    @Test
    void foreignPendingInstanceEventIsStillForeign() {
        ObjectNode event = instanceEvent(e -> {
            e.put("account", "210987654321");
            ((ObjectNode) e.get("detail")).put("state", "pending");
        });

        assertThrows(ForeignResourceException.class, () -> parser.parse(event));
    }

    @Test
    void stateChangeEventOfAnotherSourceIsUnsupported() {
        ObjectNode event = instanceEvent(e -> e.put("source", "aws.autoscaling"));

        assertThrows(UnsupportedEventException.class, () -> parser.parse(event));
    }

    // ---------------------------------------------------------------- manual instance input

    @Test
    void manualInstanceId() {
        Target target = parser.parse(json("{\"instanceId\": \"" + INSTANCE + "\"}"));

        assertEquals(new Target("manual", null, List.of(), List.of(INSTANCE), false, false, null), target);
    }

    @Test
    void manualShortInstanceId() {
        assertEquals(List.of("i-0123abcd"), parser.parse(json("{\"instanceId\": \"i-0123abcd\"}")).instanceIds());
    }

    @Test
    void manualInstanceDiagnose() {
        Target target = parser.parse(json("{\"instanceId\": \"" + INSTANCE + "\", \"diagnose\": true}"));

        assertEquals(new Target("manual", null, List.of(), List.of(INSTANCE), false, true, null), target);
    }

    @Test
    void manualInstanceDiagnoseFalseAndDryRun() {
        Target target = parser.parse(json("{\"instanceId\": \"" + INSTANCE + "\", \"diagnose\": false, \"dryRun\": true}"));

        assertFalse(target.diagnose());
        assertTrue(target.dryRun());
        assertEquals(List.of(INSTANCE), target.instanceIds());
    }

    static Stream<Arguments> invalidManualInstanceInputs() {
        return Stream.of(
                Arguments.of("diagnose with subnetId", "{\"subnetId\": \"" + SUBNET + "\", \"diagnose\": true}"),
                Arguments.of("diagnose with vpcId", "{\"vpcId\": \"" + VPC + "\", \"diagnose\": true}"),
                Arguments.of("diagnose alone", "{\"diagnose\": true}"),
                Arguments.of("instance and subnet", "{\"instanceId\": \"" + INSTANCE + "\", \"subnetId\": \"" + SUBNET + "\"}"),
                Arguments.of("instance and vpc", "{\"instanceId\": \"" + INSTANCE + "\", \"vpcId\": \"" + VPC + "\"}"),
                Arguments.of("list of instances", "{\"instanceId\": [\"" + INSTANCE + "\", \"i-0abc1234def567891\"]}"),
                Arguments.of("instanceIds field", "{\"instanceIds\": [\"" + INSTANCE + "\"]}"),
                Arguments.of("diagnose as string", "{\"instanceId\": \"" + INSTANCE + "\", \"diagnose\": \"true\"}"),
                Arguments.of("diagnose as number", "{\"instanceId\": \"" + INSTANCE + "\", \"diagnose\": 1}"),
                Arguments.of("diagnose null", "{\"instanceId\": \"" + INSTANCE + "\", \"diagnose\": null}"),
                Arguments.of("malformed instance id", "{\"instanceId\": \"i-XYZ\"}"),
                Arguments.of("uppercase instance id", "{\"instanceId\": \"i-0ABC1234DEF567890\"}"),
                Arguments.of("subnet id as instance", "{\"instanceId\": \"" + SUBNET + "\"}"),
                Arguments.of("instance id as subnet", "{\"subnetId\": \"" + INSTANCE + "\"}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidManualInstanceInputs")
    void invalidManualInstanceInputIsRefusedAsInvalidInput(String name, String input) {
        JsonNode node = json(input);

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(node));

        assertSame(InvalidInputException.class, e.getClass(), "not a subclass: " + e.getClass());
        assertTidy(e.getMessage());
    }

    @Test
    void diagnoseWithoutInstanceSaysWhatItAppliesTo() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parser.parse(json("{\"subnetId\": \"" + SUBNET + "\", \"diagnose\": true}")));

        assertTrue(e.getMessage().contains("instanceId"), e.getMessage());
    }

    @Test
    void diagnoseNotBooleanIsNamedInTheMessage() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> parser.parse(json("{\"instanceId\": \"" + INSTANCE + "\", \"diagnose\": \"yes\"}")));

        assertTrue(e.getMessage().contains("diagnose"), e.getMessage());
    }

    // ---------------------------------------------------------------- CloudTrail route calls

    private static final String TABLE = "rtb-0c1d2e3f4a5b6c7d9";

    static Stream<Arguments> routeEvents() {
        return Stream.of(
                Arguments.of("create-route.json", Target.routeChange(TABLE, List.of(), null, false)),
                Arguments.of("replace-route.json", Target.routeChange(TABLE, List.of(), null, false)),
                Arguments.of("delete-route.json", Target.routeChange(TABLE, List.of(), null, false)),
                Arguments.of("associate-route-table.json", Target.routeChange(TABLE, List.of(SUBNET), null, false)),
                Arguments.of("replace-route-table-association.json",
                        Target.routeChange(TABLE, List.of(), "rtbassoc-0d3c4d5e6f708192a", false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeEvents")
    void aRouteCallInABatchNamesItsRouteTable(String file, Target expected) {
        Target target = parser.parse(Json.MAPPER.createArrayNode().add(message(event(file))));

        assertEquals(Target.BATCH, target.source());
        assertEquals(List.of(expected), target.batch());
    }

    @Test
    void aRouteCallAloneIsABatchOfOne() {
        Target target = parser.parse(event("delete-route.json"));

        assertEquals(Target.BATCH, target.source());
        assertEquals(List.of(Target.routeChange(TABLE, List.of(), null, false)), target.batch());
        assertNull(target.ignored());
    }

    @Test
    void aFailedRouteCallIsIgnoredWithItsErrorCode() {
        Target target = parser.parse(event("delete-route-failed.json"));

        assertEquals(Target.ROUTE_CHANGE, target.source());
        assertTrue(target.ignored().contains("Client.InvalidRoute.NotFound"), target.ignored());
        assertNull(target.routeTableId());
    }

    @Test
    void aDisassociationNamesNoSubnetAndIsIgnoredWithTheReason() {
        Target target = parser.parse(event("disassociate-route-table.json"));

        assertTrue(target.ignored().contains("rtbassoc-0c2b3c4d5e6f70819"), target.ignored());
        assertTrue(target.batch().isEmpty());
    }

    @Test
    void anEdgeAssociationWithAGatewayIsIgnored() {
        ObjectNode event = event("associate-route-table.json");
        ((ObjectNode) event.path("detail").path("requestParameters")).remove("subnetId");
        ((ObjectNode) event.path("detail").path("requestParameters")).put("gatewayId", "igw-0a1b2c3d4e5f60718");

        Target target = parser.parse(event);

        assertTrue(target.ignored().contains("edge association"), target.ignored());
    }

    @ParameterizedTest
    @ValueSource(strings = {"subnet-0123456789abcdef0", "rtb-XYZ", "", "rtb-0c1d2e3f4a5b6c7d9\n"})
    void aRouteCallWithABadRouteTableIdIsInvalid(String id) {
        ObjectNode event = event("create-route.json");
        ((ObjectNode) event.path("detail").path("requestParameters")).put("routeTableId", id);

        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parser.parse(event));
        assertTrue(e.getMessage().contains("routeTableId"), e.getMessage());
        assertTidy(e.getMessage());
    }

    @Test
    void aReplacedAssociationWithoutTheNewIdIsInvalid() {
        ObjectNode event = event("replace-route-table-association.json");
        ((ObjectNode) event.path("detail")).putNull("responseElements");

        assertThrows(InvalidInputException.class, () -> parser.parse(event));
    }

    @Test
    void aRouteCallFromAnotherAccountIsForeign() {
        ObjectNode event = event("create-route.json").put("account", "210987654321");

        assertThrows(ForeignResourceException.class, () -> parser.parse(event));
    }

    @Test
    void aGroupOfARouteChangeComesBackAsItsTarget() {
        Target target = parser.parse(json("""
                {"target": {"source": "RouteChange", "vpcId": "%s", "subnetIds": ["%s"], "instanceIds": [], "dryRun": false}}
                """.formatted(VPC, SUBNET)));

        assertEquals(new Target(Target.ROUTE_CHANGE, VPC, List.of(SUBNET), List.of(), false, false, null), target);
    }

    @Test
    void aSweepByHandOrOnScheduleAndTheNextPageOfOne() {
        assertEquals(Target.sweep(false, null), parser.parse(json("{\"sweep\": true}")));
        assertEquals(Target.sweep(true, null), parser.parse(json("{\"sweep\": true, \"dryRun\": true}")));
        Target next = parser.parse(json("""
                {"sweep": true, "dryRun": false, "after": "vpc-0a1b2c3d4e5f60718",
                 "sweptSoFar": {"vpcs": 100, "outcomes": {"remediated": 100}, "skipped": 0, "tally": {"actions": 700}},
                 "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "arn:aws:states:us-east-1:123456789012:execution:w:x"}"""));
        assertEquals(Target.sweep(false, "vpc-0a1b2c3d4e5f60718"), next);
    }

    @Test
    void aSweepsInputIsCheckedBeforeAnyCall() {
        assertThrows(InvalidInputException.class, () -> parser.parse(json("{\"sweep\": false}")), "false sweeps nothing");
        assertThrows(InvalidInputException.class, () -> parser.parse(json("{\"sweep\": \"yes\"}")));
        assertThrows(InvalidInputException.class, () -> parser.parse(json("{\"sweep\": true, \"vpcId\": \"vpc-0a1b2c3d4e5f60718\"}")));
        assertThrows(InvalidInputException.class, () -> parser.parse(json("{\"sweep\": true, \"after\": \"vpc-0a1b2c3d4e5f60718\"}")),
                "a page after the first carries the totals so far");
        assertThrows(InvalidInputException.class, () -> parser.parse(json(
                "{\"sweep\": true, \"after\": \"subnet-0a1b2c3d4e5f60718\", \"sweptSoFar\": {}}")));
        assertThrows(InvalidInputException.class, () -> parser.parse(json(
                "{\"sweep\": true, \"after\": \"vpc-0a1b2c3d4e5f60718\", \"sweptSoFar\": {\"vpcs\": \"many\", \"extra\": 1}}")));
    }

    @Test
    void aSweepsGroupNamesItsVpcOnly() {
        Target group = parser.parse(json("{\"target\": {\"source\": \"Sweep\", \"vpcId\": \"vpc-0a1b2c3d4e5f60718\", "
                + "\"subnetIds\": [], \"instanceIds\": [], \"dryRun\": true, \"diagnose\": false}}"));

        assertEquals(Target.sweptVpc("vpc-0a1b2c3d4e5f60718", true), group);
        assertThrows(InvalidInputException.class, () -> parser.parse(json("{\"target\": {\"source\": \"CreateSubnet\", "
                + "\"vpcId\": \"vpc-0a1b2c3d4e5f60718\"}}")), "only a sweep's group may name no subnet and no instance");
    }
}
