package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.cloudwatchlogs.emf.Constants;
import software.amazon.cloudwatchlogs.emf.model.StorageResolution;
import software.amazon.cloudwatchlogs.emf.model.Unit;
import software.amazon.cloudwatchlogs.emf.util.Validator;
import ssmreach.core.Json;

/**
 * Whether a log line is an embedded metric format document CloudWatch extracts metrics from: the
 * structure of the specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
 * rule by rule, and for names, values, units, timestamp and the limits, the validator and constants
 * of CloudWatch's own EMF library (aws-embedded-metrics).
 */
final class EmfRules {
    /** A CloudWatch Logs event; the specification holds EMF documents to it (256 KB, as Lambda's own log events). */
    static final int MAX_BYTES = 256 * 1024;

    private EmfRules() {}

    /** The document of a valid line, read; fails the test with the rule the line breaks. */
    static JsonNode check(String line) {
        assertFalse(line.contains("\n") || line.contains("\r"), "one line: " + line);
        assertTrue(line.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES, "at most 256 KB: " + line.length());
        assertEquals(line.strip(), line, "nothing before or after the object");
        JsonNode root = assertDoesNotThrow(() -> Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .readTree(line), "one JSON value and nothing after it: " + line);
        assertTrue(root.isObject(), "the log event is a JSON object: " + line);

        JsonNode aws = root.path("_aws");
        assertTrue(aws.isObject(), "_aws is an object: " + line);
        assertEquals(Set.of("Timestamp", "CloudWatchMetrics"), fields(aws), "_aws holds the two members and no other: " + line);
        assertTrue(aws.path("Timestamp").isIntegralNumber(), "Timestamp: milliseconds since the epoch: " + line);
        assertDoesNotThrow(() -> Validator.validateTimestamp(Instant.ofEpochMilli(aws.path("Timestamp").asLong())),
                "Timestamp within CloudWatch's window: " + line);

        JsonNode directives = aws.path("CloudWatchMetrics");
        assertTrue(directives.isArray() && !directives.isEmpty(), "CloudWatchMetrics: an array of directives: " + line);
        Set<String> metricsOfDocument = new HashSet<>();
        Map<String, StorageResolution> resolutions = new HashMap<>();
        for (JsonNode directive : directives) {
            assertEquals(Set.of("Namespace", "Dimensions", "Metrics"), fields(directive), "a MetricDirective's members: " + line);
            assertTrue(directive.path("Namespace").isTextual(), "Namespace is a string: " + line);
            assertDoesNotThrow(() -> Validator.validateNamespace(directive.path("Namespace").asText()), line);

            JsonNode dimensionSets = directive.path("Dimensions");
            assertTrue(dimensionSets.isArray() && !dimensionSets.isEmpty(), "Dimensions: an array of dimension sets: " + line);
            for (JsonNode set : dimensionSets) {
                assertTrue(set.isArray(), "a DimensionSet is an array: " + line);
                assertTrue(set.size() <= Constants.MAX_DIMENSION_SET_SIZE, "at most 30 dimensions in a set: " + line);
                Set<String> names = new HashSet<>();
                for (JsonNode name : set) {
                    assertTrue(name.isTextual() && names.add(name.asText()), "a dimension named once, by a string: " + line);
                    JsonNode value = root.path(name.asText());
                    assertTrue(value.isTextual(), "dimension " + name + " is a string member of the root: " + line);
                    assertDoesNotThrow(() -> Validator.validateDimensionSet(name.asText(), value.asText()), line);
                }
            }

            JsonNode metrics = directive.path("Metrics");
            assertTrue(metrics.isArray() && !metrics.isEmpty(), "Metrics: an array of metric definitions: " + line);
            assertTrue(metrics.size() <= Constants.MAX_METRICS_PER_EVENT, "at most 100 metrics in a directive: " + line);
            for (JsonNode metric : metrics) {
                assertTrue(Set.of("Name", "Unit", "StorageResolution").containsAll(fields(metric)), "a MetricDefinition's members: " + line);
                String name = metric.path("Name").asText();
                assertTrue(metricsOfDocument.add(name), "metric " + name + " defined once in the document: " + line);
                Unit unit = metric.has("Unit") ? Unit.fromValue(metric.path("Unit").asText()) : Unit.NONE;
                assertNotEquals(Unit.UNKNOWN_TO_SDK_VERSION, unit, "a CloudWatch unit: " + line);
                for (double value : values(root.path(name), name, line)) {
                    assertDoesNotThrow(() -> Validator.validateMetric(name, value, unit, StorageResolution.STANDARD, resolutions), line);
                }
            }
        }
        return root;
    }

    /** Every line a valid document. */
    static List<JsonNode> checkAll(List<String> lines) {
        return lines.stream().map(EmfRules::check).toList();
    }

    /** A metric's target: a number, or an array of 1 to 100 numbers. */
    private static double[] values(JsonNode target, String name, String line) {
        if (target.isNumber()) {
            return new double[] {target.asDouble()};
        }
        assertTrue(target.isArray() && !target.isEmpty(), "metric " + name + " is a number or an array of numbers: " + line);
        assertTrue(target.size() <= Constants.MAX_DATAPOINTS_PER_METRIC, "at most 100 values for " + name + ": " + target.size());
        double[] values = new double[target.size()];
        for (int i = 0; i < target.size(); i++) {
            assertTrue(target.get(i).isNumber(), "metric " + name + " holds numbers only: " + line);
            values[i] = target.get(i).asDouble();
        }
        return values;
    }

    private static Set<String> fields(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
