package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The checker itself: it takes a valid document and refuses what breaks a rule. */
class EmfRulesTest {
    private static final long NOW = Instant.now().toEpochMilli();

    private static String document(String dimensions, String metrics, String members) {
        return "{\"_aws\":{\"Timestamp\":" + NOW + ",\"CloudWatchMetrics\":[{\"Namespace\":\"lambda-function-metrics\","
                + "\"Dimensions\":[" + dimensions + "],\"Metrics\":[" + metrics + "]}]}," + members + "}";
    }

    private static void refused(String line) {
        assertThrows(AssertionFailedError.class, () -> EmfRules.check(line), line);
    }

    @Test
    void aDocumentWithADimensionAMetricAndAPropertyIsValid() {
        assertDoesNotThrow(() -> EmfRules.check(document("[\"v\"]", "{\"Name\":\"time\",\"Unit\":\"Milliseconds\"}",
                "\"v\":\"1\",\"time\":[100,250],\"note\":{\"nested\":true}")));
    }

    @Test
    void aDocumentInsideAnotherRecordOrAfterAPrefixIsRefused() {
        String valid = document("[\"v\"]", "{\"Name\":\"time\"}", "\"v\":\"1\",\"time\":1");
        refused("{\"timestamp\":\"2026-12-01T00:00:00.000Z\",\"level\":\"INFO\",\"message\":" + quoted(valid) + "}");
        refused("2026-12-01T00:00:00.000Z\t8476a536\tINFO\t" + valid);
        refused(valid + " trailing");
    }

    @Test
    void targetsMustBeThereWithTheirTypes() {
        refused(document("[\"v\"]", "{\"Name\":\"time\"}", "\"time\":1"));
        refused(document("[\"v\"]", "{\"Name\":\"time\"}", "\"v\":7,\"time\":1"));
        refused(document("[\"v\"]", "{\"Name\":\"time\"}", "\"v\":\"1\""));
        refused(document("[\"v\"]", "{\"Name\":\"time\"}", "\"v\":\"1\",\"time\":\"fast\""));
        refused(document("[\"v\"]", "{\"Name\":\"time\",\"Unit\":\"Fortnights\"}", "\"v\":\"1\",\"time\":1"));
    }

    @Test
    void limitsAreEnforced() {
        String dimensions = IntStream.range(0, 31).mapToObj(i -> "\"d" + i + "\"").collect(Collectors.joining(","));
        String values = IntStream.range(0, 31).mapToObj(i -> "\"d" + i + "\":\"x\"").collect(Collectors.joining(","));
        refused(document("[" + dimensions + "]", "{\"Name\":\"time\"}", values + ",\"time\":1"));

        String metrics = IntStream.range(0, 101).mapToObj(i -> "{\"Name\":\"m" + i + "\"}").collect(Collectors.joining(","));
        String targets = IntStream.range(0, 101).mapToObj(i -> "\"m" + i + "\":1").collect(Collectors.joining(","));
        refused(document("[\"v\"]", metrics, "\"v\":\"1\"," + targets));

        String many = IntStream.range(0, 101).mapToObj(String::valueOf).collect(Collectors.joining(","));
        refused(document("[\"v\"]", "{\"Name\":\"time\"}", "\"v\":\"1\",\"time\":[" + many + "]"));
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
