package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import ssmreach.result.Metrics;

/**
 * The stack's CloudWatch dashboard against what the functions write: every ssm-reach metric it
 * shows, as a metric or through a SEARCH expression, is one of {@link Metrics#DEFINITIONS} with
 * exactly that metric's dimensions and this stack's {@value Metrics#STACK}, and every metric
 * Metrics writes is on it. So the two cannot drift apart.
 */
class DashboardTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STACK = "ssm-reach-test";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(!?)([^}]*)}");
    private static final Pattern SEARCH = Pattern.compile("SEARCH\\('\\{([^}]*)}(.*?)'\\s*,");
    private static final Pattern TERM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** A metric the dashboard shows: namespace, name and dimensions (name → value). */
    private record Shown(String namespace, String name, Map<String, String> dimensions, String where) {}

    /** The body as CloudFormation hands it to CloudWatch: Fn::Sub applied, the stack named {@link #STACK}. */
    private static JsonNode body() throws Exception {
        Map<String, JsonNode> dashboards = Repo.resources("AWS::CloudWatch::Dashboard");
        assertEquals(1, dashboards.size(), "one dashboard in template.yaml");
        String template = dashboards.values().iterator().next().path("Properties").path("DashboardBody").asText();
        Matcher placeholder = PLACEHOLDER.matcher(template);
        StringBuilder body = new StringBuilder();
        while (placeholder.find()) {
            String name = placeholder.group(2);
            String value = !placeholder.group(1).isEmpty() ? "${" + name + "}"
                    : name.equals("AWS::StackName") ? STACK : name.equals("AWS::Region") ? "us-east-1" : "resolved-" + name;
            placeholder.appendReplacement(body, Matcher.quoteReplacement(value));
        }
        placeholder.appendTail(body);
        return JSON.readTree(body.toString());
    }

    private static List<Shown> shown() throws Exception {
        List<Shown> shown = new ArrayList<>();
        for (JsonNode widget : body().path("widgets")) {
            String title = widget.path("properties").path("title").asText();
            for (JsonNode row : widget.path("properties").path("metrics")) {
                JsonNode first = row.path(0);
                if (first.isObject()) {
                    Matcher search = SEARCH.matcher(first.path("expression").asText());
                    while (search.find()) {
                        shown.add(searched(search.group(1), search.group(2), title));
                    }
                    continue;
                }
                List<String> fields = new ArrayList<>();
                row.forEach(field -> {
                    if (field.isTextual()) {
                        fields.add(field.asText());
                    }
                });
                assertFalse(fields.contains("."), title + ": every metric spelled out, not repeated with \".\"");
                assertEquals(0, fields.size() % 2, title + ": namespace, name, then dimension names and values: " + row);
                Map<String, String> dimensions = new TreeMap<>();
                for (int i = 2; i < fields.size(); i += 2) {
                    dimensions.put(fields.get(i), fields.get(i + 1));
                }
                shown.add(new Shown(fields.get(0), fields.get(1), dimensions, title));
            }
        }
        return shown;
    }

    /** A SEARCH of {@code {namespace,dimension,...} Name="value" ...}: the schema's dimensions, valued by the terms. */
    private static Shown searched(String schema, String terms, String where) {
        List<String> parts = Arrays.stream(schema.split(",")).map(p -> p.strip().replaceAll("^\"|\"$", "")).toList();
        Map<String, String> values = new TreeMap<>();
        Matcher term = TERM.matcher(terms);
        while (term.find()) {
            values.put(term.group(1), term.group(2));
        }
        String name = values.remove("MetricName");
        assertTrue(name != null, where + ": the SEARCH names its metric exactly (MetricName=\"...\"): " + terms);
        assertTrue(parts.subList(1, parts.size()).containsAll(values.keySet()), where + ": terms on the schema's dimensions: " + terms);
        Map<String, String> dimensions = new TreeMap<>();
        parts.subList(1, parts.size()).forEach(d -> dimensions.put(d, values.getOrDefault(d, "*")));
        return new Shown(parts.get(0), name, dimensions, where);
    }

    @Test
    void everySsmReachMetricShownIsOneTheFunctionsWriteWithItsDimensions() throws Exception {
        List<Shown> ours = shown().stream().filter(s -> s.namespace().equals(Metrics.NAMESPACE)).toList();
        assertFalse(ours.isEmpty(), "the dashboard shows the functions' metrics");
        for (Shown metric : ours) {
            Metrics.Definition definition = Metrics.DEFINITIONS.stream().filter(d -> d.name().equals(metric.name())).findFirst()
                    .orElseThrow(() -> new AssertionError(metric.where() + ": Metrics writes no " + metric.name()));
            assertEquals(new TreeSet<>(definition.dimensions()), metric.dimensions().keySet(),
                    metric.where() + ": " + metric.name() + " has exactly the dimensions Metrics gives it");
            assertEquals(STACK, metric.dimensions().get(Metrics.STACK), metric.where() + ": this stack's metric only");
        }
    }

    @Test
    void everyMetricTheFunctionsWriteIsShown() throws Exception {
        Set<String> shown = shown().stream().filter(s -> s.namespace().equals(Metrics.NAMESPACE)).map(Shown::name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Metrics.DEFINITIONS.stream().map(Metrics.Definition::name).collect(Collectors.toCollection(TreeSet::new)), shown);
    }

    @Test
    void theServicesOwnSignalsAreThere() throws Exception {
        Set<String> shown = shown().stream().map(s -> s.namespace() + " " + s.name() + " " + s.dimensions().keySet())
                .collect(Collectors.toCollection(TreeSet::new));
        for (String expected : List.of("AWS/States ExecutionsFailed [StateMachineArn]", "AWS/States ExecutionsTimedOut [StateMachineArn]",
                "AWS/SQS ApproximateNumberOfMessagesVisible [QueueName]", "AWS/Lambda Errors [FunctionName]",
                "AWS/Lambda Throttles [FunctionName]")) {
            assertTrue(shown.contains(expected), expected + " in " + shown);
        }
        Set<String> functions = new TreeSet<>();
        shown().stream().filter(s -> s.namespace().equals("AWS/Lambda") && s.name().equals("Errors"))
                .forEach(s -> functions.add(s.dimensions().get("FunctionName")));
        assertEquals(Repo.functions().keySet().stream().map(f -> "resolved-" + f).collect(Collectors.toCollection(TreeSet::new)),
                functions, "the errors of every function of the template");
    }

    @Test
    void widgetsFitTheGridWithoutOverlapping() throws Exception {
        List<int[]> placed = new ArrayList<>();
        for (JsonNode widget : body().path("widgets")) {
            int x = widget.path("x").asInt(), y = widget.path("y").asInt(), w = widget.path("width").asInt(), h = widget.path("height").asInt();
            assertTrue(x >= 0 && w > 0 && x + w <= 24 && h > 0, "within the 24 columns: " + widget.path("properties").path("title"));
            for (int[] other : placed) {
                boolean apart = x + w <= other[0] || other[0] + other[2] <= x || y + h <= other[1] || other[1] + other[3] <= y;
                assertTrue(apart, "overlaps another widget: " + widget.path("properties").path("title"));
            }
            placed.add(new int[] {x, y, w, h});
            if (widget.path("type").asText().equals("metric")) {
                assertEquals("us-east-1", widget.path("properties").path("region").asText(), "a metric widget names its Region");
            }
        }
    }
}
