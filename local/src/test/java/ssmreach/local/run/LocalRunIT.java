package ssmreach.local.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.World;
import ssmreach.testing.LocalAwsExtension;

/** {@code local/run} as a user runs it: what its summary and closing line say of each row. */
@ExtendWith(LocalAwsExtension.class)
class LocalRunIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The default scenario: each subnet's outcome is what became of that subnet (public-a is out of
     * scope, so skipped, though the execution that evaluated it gave its bastion a profile), and a
     * gateway endpoint claims no private DNS.
     */
    @Test
    void theDefaultSummarySaysWhatIsTrueOfEachSubnetAndEndpoint() throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            exit = LocalRun.run(new String[] {"--json"});
        } finally {
            System.setOut(original);
        }
        JsonNode summary = JSON.readTree(stdout.toString(StandardCharsets.UTF_8));

        assertEquals(0, exit, summary.path("unmetExpectations").toString());
        Map<String, JsonNode> subnets = new HashMap<>();
        summary.path("subnets").forEach(s -> subnets.put(s.path("name").asText(), s));
        assertEquals("out-of-scope", subnets.get("public-a").path("status").asText());
        assertEquals("skipped", subnets.get("public-a").path("outcome").asText(), subnets.get("public-a").toString());
        assertEquals("remediated", lastOutcomeOf(summary, "public-a"),
                "the execution that last evaluated public-a remediated something else: its instance");
        assertEquals("in-scope", subnets.get("isolated-a").path("status").asText());
        assertEquals("remediated", subnets.get("isolated-a").path("outcome").asText());
        for (JsonNode subnet : subnets.values()) {
            if (!"in-scope".equals(subnet.path("status").asText())) {
                assertEquals("skipped", subnet.path("outcome").asText(), subnet.toString());
            }
        }
        List<JsonNode> endpoints = new ArrayList<>();
        subnets.values().forEach(s -> s.path("endpoints").forEach(endpoints::add));
        assertTrue(endpoints.stream().anyMatch(e -> "Gateway".equals(e.path("type").asText())), endpoints.toString());
        for (JsonNode endpoint : endpoints) {
            if ("Gateway".equals(endpoint.path("type").asText())) {
                assertFalse(endpoint.has("privateDns"), "a gateway endpoint has no private DNS: " + endpoint);
            } else {
                assertTrue(endpoint.path("privateDns").asBoolean(), endpoint.toString());
            }
        }
    }

    /**
     * Against an endpoint the calls go straight from the functions to it: the closing line says
     * how the execution ended and does not count calls it cannot see.
     */
    @Test
    void againstAnEndpointTheClosingLineCountsNoCallsItCannotSee(LocalAws aws, @TempDir Path home) throws Exception {
        World world = new World(aws.inspectEc2());
        String subnet = world.subnet(world.vpc("10.0.0.0/16"), "10.0.1.0/24", "us-east-1a");
        Path out = home.resolve("stdout");
        Path err = home.resolve("stderr");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LocalRun.class.getName(),
                "--input", "{\"subnetId\": \"" + subnet + "\"}", "--dry-run", "--json")
                .directory(LocalWorkflow.repositoryRoot().toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(name -> name.startsWith("AWS_"));
        environment.putAll(Map.of("AWS_ENDPOINT_URL", aws.endpoint().toString(), "AWS_REGION", LocalAws.REGION.id(),
                "AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing", "DRY_RUN", "true", "HOME", home.toString()));
        Process process = builder.start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(3, TimeUnit.MINUTES), "local/run --input ended");
        String timeline = Files.readString(err);
        List<String> lines = timeline.lines().filter(line -> !line.isBlank()).toList();

        assertEquals(0, process.exitValue(), timeline);
        assertTrue(JSON.readTree(Files.readString(out)).path("succeeded").asBoolean());
        String last = lines.getLast();
        assertTrue(last.contains("= SUCCEEDED: planned"), last);
        assertTrue(last.contains("AWS calls not observed against an endpoint"), last);
        assertFalse(timeline.contains("mutating call"), "no count of calls it cannot see:\n" + timeline);
    }

    /** The outcome of the last execution whose result lists the subnet named {@code name}. */
    private static String lastOutcomeOf(JsonNode summary, String name) {
        String id = null;
        for (JsonNode subnet : summary.path("subnets")) {
            if (name.equals(subnet.path("name").asText())) {
                id = subnet.path("subnetId").asText();
            }
        }
        String outcome = null;
        for (JsonNode execution : summary.path("executions")) {
            for (JsonNode listed : execution.path("result").path("subnets")) {
                if (listed.path("subnetId").asText().equals(id)) {
                    outcome = execution.path("outcome").asText();
                }
            }
        }
        return outcome;
    }
}
