package ssmreach.result;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import ssmreach.contract.Finding;
import ssmreach.contract.Result;
import ssmreach.core.Json;

/**
 * An execution's result as CloudWatch metrics, in the embedded metric format (EMF): JSON documents
 * the Report function writes to its log, from which CloudWatch Logs extracts the metrics. No API
 * call, and no permission beyond the log's own.
 *
 * <p>As AWS documents it, each document must be one JSON object alone on its line of standard
 * output, with nothing before or after it
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * With the JSON log format, Lambda leaves a line that is already JSON as it is ("does not
 * double-encode", https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html);
 * with Text, Java's standard output gets no prefix either. Hence {@code System.out.println}, and
 * neither Lambda's {@code LambdaLogger} nor {@code JsonLogHandler}: in JSON format both wrap the
 * text in a {@code message} string, out of EMF's reach. A line without a {@code level} counts as
 * INFO (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html): an
 * ApplicationLogLevel above INFO would drop the metrics, as it would the result document.
 *
 * <p>Every metric has the dimension {@value #STACK}, the stack's name, so that two stacks in one
 * account and Region never add up. One document holds {@value #REMEDIATIONS} (1, by
 * {@value #OUTCOME}), {@value #ENDPOINT_ZONES_ADDED} (0 in a dry run, which adds none) and
 * {@value #TIME_TO_ONLINE} (a value per instance that came Online). A dimension takes its value from
 * one member of the document, so each finding code has a document of its own, with
 * {@value #FINDINGS}: how many findings of that code. EMF's limits hold by construction: at most two
 * metrics and two dimensions per directive, at most {@value #MAX_VALUES} values per metric (more
 * seconds go to further documents).
 */
public final class Metrics {
    public static final String NAMESPACE = "ssm-reach";
    public static final String STACK = "Stack";
    public static final String OUTCOME = "Outcome";
    public static final String CODE = "Code";
    public static final String REMEDIATIONS = "Remediations";
    public static final String ENDPOINT_ZONES_ADDED = "EndpointZonesAdded";
    public static final String TIME_TO_ONLINE = "TimeToOnline";
    public static final String FINDINGS = "Findings";

    /** One metric: its name, unit and the one dimension set it is published with. */
    public record Definition(String name, String unit, List<String> dimensions) {}

    /** Every metric the documents carry; nothing else is published. */
    public static final List<Definition> DEFINITIONS = List.of(
            new Definition(REMEDIATIONS, "Count", List.of(STACK, OUTCOME)),
            new Definition(ENDPOINT_ZONES_ADDED, "Count", List.of(STACK)),
            new Definition(TIME_TO_ONLINE, "Seconds", List.of(STACK)),
            new Definition(FINDINGS, "Count", List.of(STACK, CODE)));

    /** EMF: a metric's value array holds at most 100 values. */
    static final int MAX_VALUES = 100;
    /** CloudWatch: a dimension value is at most 1,024 characters. */
    private static final int MAX_DIMENSION_VALUE = 1024;

    private Metrics() {}

    /** The EMF documents of one result, each one line of JSON, the outcome's first. */
    public static List<String> documents(Result result, String stack) {
        if (result.region() != null) {
            // A sweep's result sums up its VPCs' results, each of which wrote its own metrics.
            return List.of();
        }
        long timestamp = timestamp(result.evaluatedAt());
        List<Long> seconds = result.instances() == null ? List.of() : result.instances().stream()
                .map(Result.InstanceResult::secondsToOnline).filter(s -> s != null && s >= 0).toList();
        List<ObjectNode> documents = new ArrayList<>();

        ObjectNode outcome = document(timestamp, stack, result);
        outcome.put(OUTCOME, dimensionValue(result.outcome()));
        directive(outcome, REMEDIATIONS);
        outcome.put(REMEDIATIONS, 1);
        directive(outcome, seconds.isEmpty() ? List.of(ENDPOINT_ZONES_ADDED) : List.of(ENDPOINT_ZONES_ADDED, TIME_TO_ONLINE));
        outcome.put(ENDPOINT_ZONES_ADDED, result.dryRun() ? 0 : result.endpointZonesAdded());
        if (!seconds.isEmpty()) {
            values(outcome, seconds.subList(0, Math.min(MAX_VALUES, seconds.size())));
        }
        documents.add(outcome);
        for (int from = MAX_VALUES; from < seconds.size(); from += MAX_VALUES) {
            ObjectNode more = document(timestamp, stack, result);
            directive(more, TIME_TO_ONLINE);
            values(more, seconds.subList(from, Math.min(from + MAX_VALUES, seconds.size())));
            documents.add(more);
        }

        Map<String, Integer> codes = new TreeMap<>();
        if (result.findings() != null) {
            result.findings().stream().map(Finding::code).forEach(code -> codes.merge(dimensionValue(code), 1, Integer::sum));
        }
        codes.forEach((code, count) -> {
            ObjectNode document = document(timestamp, stack, result);
            document.put(CODE, code);
            directive(document, FINDINGS);
            document.put(FINDINGS, count);
            documents.add(document);
        });
        return documents.stream().map(Metrics::line).toList();
    }

    /** The root of a document: the metadata, the stack, and which VPC and trigger it is about (for Logs Insights). */
    private static ObjectNode document(long timestamp, String stack, Result result) {
        ObjectNode document = Json.MAPPER.createObjectNode();
        ObjectNode aws = document.putObject("_aws");
        aws.put("Timestamp", timestamp);
        aws.putArray("CloudWatchMetrics");
        document.put(STACK, dimensionValue(stack));
        if (result.vpcId() != null) {
            document.put("vpcId", result.vpcId());
        }
        if (result.source() != null) {
            document.put("source", result.source());
        }
        return document;
    }

    private static void values(ObjectNode document, List<Long> seconds) {
        ArrayNode values = document.putArray(TIME_TO_ONLINE);
        seconds.forEach(values::add);
    }

    private static void directive(ObjectNode document, String metric) {
        directive(document, List.of(metric));
    }

    /** A directive for metrics that share a dimension set, as {@link #DEFINITIONS} gives them. */
    private static void directive(ObjectNode document, List<String> metrics) {
        ObjectNode directive = ((ArrayNode) document.path("_aws").path("CloudWatchMetrics")).addObject();
        directive.put("Namespace", NAMESPACE);
        ArrayNode dimensions = directive.putArray("Dimensions").addArray();
        definition(metrics.getFirst()).dimensions().forEach(dimensions::add);
        ArrayNode definitions = directive.putArray("Metrics");
        for (String metric : metrics) {
            definitions.addObject().put("Name", metric).put("Unit", definition(metric).unit());
        }
    }

    static Definition definition(String name) {
        return DEFINITIONS.stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no metric " + name));
    }

    /** The result's time, in milliseconds since the epoch, as EMF wants it; now if it has none. */
    private static long timestamp(String evaluatedAt) {
        try {
            return evaluatedAt == null ? Instant.now().toEpochMilli() : Instant.parse(evaluatedAt).toEpochMilli();
        } catch (DateTimeException e) {
            return Instant.now().toEpochMilli();
        }
    }

    /**
     * A value CloudWatch takes as a dimension value: printable ASCII, not blank, at most 1,024
     * characters (another character becomes '?'; nothing at all, "unknown").
     */
    static String dimensionValue(String value) {
        if (value == null || value.isBlank()) {
            return "unknown";
        }
        StringBuilder ascii = new StringBuilder(Math.min(value.length(), MAX_DIMENSION_VALUE));
        value.codePoints().limit(MAX_DIMENSION_VALUE).forEach(c -> ascii.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return ascii.toString();
    }

    private static String line(ObjectNode document) {
        try {
            return Json.MAPPER.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("metrics not serializable", e);
        }
    }
}
