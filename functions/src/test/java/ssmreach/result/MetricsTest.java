package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import ssmreach.contract.Finding;
import ssmreach.contract.Result;
import ssmreach.contract.Severity;

class MetricsTest {
    private static final String STACK = "ssm-reach-prod";
    private static final String VPC = "vpc-0a1b2c3d4e5f60718";
    /** Recent, as CloudWatch takes metrics of the last two weeks only. */
    private static final Instant EVALUATED = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60);

    private static Result result(String outcome, boolean dryRun, int zonesAdded, List<Result.InstanceResult> instances,
                                 List<Finding> findings) {
        return new Result(outcome, "CreateSubnet", dryRun, VPC, List.of(), List.of(), List.of(), instances, findings, zonesAdded,
                BigDecimal.ZERO, null, EVALUATED.toString(), null, null);
    }

    private static Result.InstanceResult online(String id, long seconds) {
        return new Result.InstanceResult(id, "subnet-0123456789abcdef0", "running", null, "associated", "Online", seconds);
    }

    private static Result.InstanceResult notRegistered(String id) {
        return new Result.InstanceResult(id, "subnet-0123456789abcdef0", "running", null, "associated", "not-registered", null);
    }

    private static Finding finding(String code) {
        return new Finding(code, Severity.WARNING, "i-0123456789abcdef0", "message", "fix");
    }

    private static List<JsonNode> documents(Result result) {
        return EmfRules.checkAll(Metrics.documents(result, STACK));
    }

    /** The metric names each directive of a document defines, with the dimension set it gives them. */
    private static Map<String, List<String>> definedMetrics(JsonNode document) {
        Map<String, List<String>> defined = new TreeMap<>();
        for (JsonNode directive : document.path("_aws").path("CloudWatchMetrics")) {
            assertEquals(1, directive.path("Dimensions").size(), "one dimension set per directive: " + document);
            List<String> dimensions = StreamSupport.stream(directive.path("Dimensions").get(0).spliterator(), false)
                    .map(JsonNode::asText).toList();
            directive.path("Metrics").forEach(m -> defined.put(m.path("Name").asText(), dimensions));
        }
        return defined;
    }

    private static List<Long> longs(JsonNode array) {
        List<Long> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asLong()));
        return values;
    }

    @Test
    void aRemediationCountsItsOutcomeZonesAndSecondsToOnlineInOneDocument() {
        Result result = result("remediated", false, 6, List.of(online("i-1", 95), notRegistered("i-2"), online("i-3", 120)),
                List.of());

        List<JsonNode> documents = documents(result);

        assertEquals(1, documents.size(), documents.toString());
        JsonNode document = documents.getFirst();
        assertEquals(EVALUATED.toEpochMilli(), document.path("_aws").path("Timestamp").asLong(), "the result's time");
        assertEquals(Map.of(Metrics.REMEDIATIONS, List.of("Stack", "Outcome"), Metrics.ENDPOINT_ZONES_ADDED, List.of("Stack"),
                Metrics.TIME_TO_ONLINE, List.of("Stack")), definedMetrics(document));
        document.path("_aws").path("CloudWatchMetrics").forEach(d -> assertEquals("ssm-reach", d.path("Namespace").asText()));
        assertEquals(STACK, document.path("Stack").asText());
        assertEquals("remediated", document.path("Outcome").asText());
        assertEquals(1, document.path("Remediations").asInt());
        assertEquals(6, document.path("EndpointZonesAdded").asInt());
        assertEquals(List.of(95L, 120L), longs(document.path("TimeToOnline")), "the instances that came Online, no other");
        assertEquals(VPC, document.path("vpcId").asText());
        assertEquals("CreateSubnet", document.path("source").asText());
    }

    @Test
    void unitsAreTheDefinitionsUnits() {
        JsonNode document = documents(result("remediated", false, 1, List.of(online("i-1", 30)), List.of())).getFirst();

        for (JsonNode directive : document.path("_aws").path("CloudWatchMetrics")) {
            for (JsonNode metric : directive.path("Metrics")) {
                String name = metric.path("Name").asText();
                assertEquals(Metrics.definition(name).unit(), metric.path("Unit").asText(), name);
            }
        }
        assertEquals("Seconds", Metrics.definition(Metrics.TIME_TO_ONLINE).unit());
        assertEquals("Count", Metrics.definition(Metrics.REMEDIATIONS).unit());
    }

    @Test
    void eachFindingCodeGetsADocumentWithItsCount() {
        Result result = result("incomplete", false, 0, List.of(notRegistered("i-1")),
                List.of(finding("NO_ROUTE"), finding("SG_EGRESS_443"), finding("NO_ROUTE")));

        List<JsonNode> documents = documents(result);

        assertEquals(3, documents.size(), documents.toString());
        assertEquals(Map.of(Metrics.REMEDIATIONS, List.of("Stack", "Outcome"), Metrics.ENDPOINT_ZONES_ADDED, List.of("Stack")),
                definedMetrics(documents.get(0)), "no seconds to count, no TimeToOnline");
        assertFalse(documents.get(0).has("TimeToOnline"));
        assertEquals("incomplete", documents.get(0).path("Outcome").asText());
        Map<String, Integer> counts = new TreeMap<>();
        for (JsonNode document : documents.subList(1, 3)) {
            assertEquals(Map.of(Metrics.FINDINGS, List.of("Stack", "Code")), definedMetrics(document));
            assertEquals(STACK, document.path("Stack").asText());
            assertFalse(document.has("Outcome") || document.has("Remediations"), "counted once, in the first document");
            counts.put(document.path("Code").asText(), document.path("Findings").asInt());
        }
        assertEquals(Map.of("NO_ROUTE", 2, "SG_EGRESS_443", 1), counts);
    }

    @Test
    void aDryRunIsPlannedAndAddsNoZones() {
        List<JsonNode> documents = documents(result("planned", true, 6, List.of(), List.of()));

        assertEquals(1, documents.size());
        assertEquals("planned", documents.getFirst().path("Outcome").asText());
        assertEquals(0, documents.getFirst().path("EndpointZonesAdded").asInt(), "the planned zones are not added");
    }

    @Test
    void aFailureWithoutVpcOrInstancesIsStillCounted() {
        Result failed = new Result("failed", null, false, null, List.of(), List.of(), List.of(), null, null, 0, BigDecimal.ZERO,
                new Result.Failure("States.Timeout", "timed out"), EVALUATED.toString(), null, null);

        List<JsonNode> documents = documents(failed);

        assertEquals(1, documents.size());
        assertEquals("failed", documents.getFirst().path("Outcome").asText());
        assertFalse(documents.getFirst().has("vpcId") || documents.getFirst().has("source"));
    }

    @Test
    void manyInstancesSpreadTheirSecondsOverDocumentsOfAtMostAHundredValues() {
        List<Result.InstanceResult> instances = IntStream.range(0, 250).mapToObj(i -> online("i-" + i, i)).toList();

        List<JsonNode> documents = documents(result("remediated", false, 3, instances, List.of()));

        assertEquals(3, documents.size());
        assertEquals(List.of(100, 100, 50), documents.stream().map(d -> d.path("TimeToOnline").size()).toList());
        List<Long> all = new ArrayList<>();
        documents.forEach(d -> all.addAll(longs(d.path("TimeToOnline"))));
        assertEquals(IntStream.range(0, 250).mapToObj(i -> (long) i).toList(), all, "every value once, in order");
        assertEquals(1, documents.stream().filter(d -> d.has("Remediations")).count(), "the execution counted once");
        assertEquals(1, documents.stream().filter(d -> d.has("EndpointZonesAdded")).count(), "its zones counted once");
        for (JsonNode more : documents.subList(1, 3)) {
            assertEquals(Map.of(Metrics.TIME_TO_ONLINE, List.of("Stack")), definedMetrics(more));
        }
    }

    @Test
    void manyFindingCodesMakeManyValidDocuments() {
        List<Finding> findings = IntStream.range(0, 150).mapToObj(i -> finding("CODE_" + i)).toList();

        List<JsonNode> documents = documents(result("incomplete", false, 0, List.of(), findings));

        assertEquals(151, documents.size());
        assertEquals(150, documents.stream().filter(d -> d.path("Findings").asInt() == 1).map(d -> d.path("Code").asText())
                .distinct().count());
    }

    @Test
    void dimensionValuesAreOnesCloudWatchTakes() {
        String longCode = "X".repeat(2000);
        Result result = new Result(null, "manual", false, VPC, List.of(), List.of(), List.of(), List.of(),
                List.of(finding("SÜBNET\tGONE"), finding(longCode), finding(null)), 0, BigDecimal.ZERO, null, EVALUATED.toString(), null, null);

        List<JsonNode> documents = EmfRules.checkAll(Metrics.documents(result, " "));

        assertEquals("unknown", documents.getFirst().path("Outcome").asText(), "no outcome: a value all the same");
        documents.forEach(d -> assertEquals("unknown", d.path("Stack").asText()));
        List<String> codes = documents.subList(1, documents.size()).stream().map(d -> d.path("Code").asText()).sorted().toList();
        assertEquals(List.of("S?BNET?GONE", "X".repeat(1024), "unknown"), codes);
    }

    @Test
    void withoutATimeTheDocumentsTakeNow() {
        Result result = new Result("remediated", "manual", false, VPC, List.of(), List.of(), List.of(), List.of(), List.of(), 0,
                BigDecimal.ZERO, null, null, null, null);
        long before = System.currentTimeMillis();

        long timestamp = documents(result).getFirst().path("_aws").path("Timestamp").asLong();

        assertTrue(timestamp >= before && timestamp <= System.currentTimeMillis(), "now: " + timestamp);
    }

    @Test
    void everyMetricADocumentDefinesIsADefinitionWithItsDimensions() {
        Result result = result("remediated", false, 3, List.of(online("i-1", 10)), List.of(finding("NO_PUBLIC_IPV4")));

        for (JsonNode document : documents(result)) {
            definedMetrics(document).forEach((name, dimensions) ->
                    assertEquals(Metrics.definition(name).dimensions(), dimensions, name));
        }
        assertEquals(List.of("Remediations", "EndpointZonesAdded", "TimeToOnline", "Findings"),
                Metrics.DEFINITIONS.stream().map(Metrics.Definition::name).toList());
    }
}
