package ssmreach.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A short run of the benchmark (bench/run --quick): it must produce every figure of results.json
 * and the plot. Timings are never asserted here: the machine is shared and the figures are judged
 * in BENCHMARKS.md, against baselines measured in the same run.
 */
class BenchSmokeTest {
    @Test
    void quickRunProducesEveryFigure() throws Exception {
        Path target = Path.of(System.getProperty("bench.target", "target"));
        Path out = target.resolve("bench-smoke");
        Bench.Options options = Bench.Options.parse(new String[] {"--quick", "--target", target.toString(), "--out", out.toString()});

        Bench.run(options);

        JsonNode results = Bench.MAPPER.readTree(out.resolve("results.json").toFile());
        JsonNode cold = results.path("coldStart");
        assertEquals(options.functions().size(), cold.path("functions").size());
        for (JsonNode function : cold.path("functions")) {
            for (String variant : ColdStart.VARIANTS) {
                assertTrue(function.path(variant + "Ms").asLong() > 0, function.path("function") + " " + variant);
            }
            assertTrue(function.has("ratio"));
        }
        assertTrue(cold.path("floorMs").asLong() > 0);
        assertTrue(cold.path("errors").isEmpty(), cold.path("errors").toString());

        JsonNode restored = results.path("restoredPath");
        assertEquals(options.functions().size(), restored.path("functions").size());
        for (JsonNode function : restored.path("functions")) {
            for (String figure : List.of("constructMs", "primeMs", "firstUnprimedMs", "firstPrimedMs", "warmMs")) {
                assertTrue(function.path(figure).asDouble() > 0, function.path("function") + " " + figure);
            }
            assertTrue(function.has("primedToUnprimed") && function.has("primedToWarm"), function.toString());
        }
        assertTrue(restored.path("errors").isEmpty(), restored.path("errors").toString());

        List<String> scenarios = List.of("fresh-vpc", "second-subnet", "compliant-rerun", "public-subnet", "one-instance");
        assertEquals(scenarios.size(), results.path("scenarios").size());
        for (int i = 0; i < scenarios.size(); i++) {
            JsonNode scenario = results.path("scenarios").get(i);
            assertEquals(scenarios.get(i), scenario.path("name").asText());
            assertEquals("SUCCEEDED", scenario.path("status").asText(), scenario.toString());
            assertTrue(scenario.path("calls").asInt() > 0 && scenario.path("minimum").asInt() > 0 && scenario.has("ratio"));
            assertTrue(scenario.path("transitions").asInt() > 0);
        }
        assertEquals(options.scaling().size(), results.path("scaling").size());
        results.path("scaling").forEach(row -> assertTrue(row.path("calls").asInt() > 0));

        JsonNode transitions = results.path("transitions");
        assertTrue(transitions.path("perEndpointWaitIteration").asInt() > 0);
        assertTrue(transitions.path("perRegistrationWaitIteration").asInt() > 0);
        assertTrue(transitions.path("costPer1000RemediationsUsd").asDouble() > 0);
        assertEquals(scenarios.size(), transitions.path("happyPathPerScenario").size());

        JsonNode burst = results.path("burst");
        for (String figure : List.of("wallSeconds", "totalCalls", "duplicates", "failures")) {
            assertTrue(burst.has(figure), figure);
        }
        JsonNode pkg = results.path("package");
        assertTrue(pkg.path("ours").path("zippedBytes").asLong() > 0 && pkg.path("naive").path("zippedBytes").asLong() > 0);
        assertTrue(pkg.path("ours").path("zippedBytes").asLong() < pkg.path("naive").path("zippedBytes").asLong(),
                "the shipped package has the cut service jars: " + pkg);

        assertTrue(Files.size(out.resolve("results.png")) > 0);
        assertTrue(Table.render(results).contains("cold start"));
    }
}
