package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import ssmreach.local.LocalAws;

/**
 * {@code bench/run --burst}: the Auto Scaling burst ({@link InstanceBurst}), once into VPCs
 * remediated before, once into VPCs nothing was done for yet. Prints a table per run and writes
 * {@code burst.json}. Options: {@code --instances N} (500), {@code --launch-seconds S} (60),
 * {@code --share X} (0.25, the stack's default ApiRateShare), {@code --out DIR}.
 */
public final class BurstMain {
    private BurstMain() {}

    public static void main(String[] args) throws Exception {
        int instances = 500;
        int launchSeconds = 60;
        double share = 0.25;
        Path out = Path.of("bench/out");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--burst" -> { }
                case "--instances" -> instances = Integer.parseInt(args[++i]);
                case "--launch-seconds" -> launchSeconds = Integer.parseInt(args[++i]);
                case "--share" -> share = Double.parseDouble(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: bench/run --burst [--instances N] [--launch-seconds S] [--share X] [--out DIR]");
            }
        }
        Files.createDirectories(out);
        PrintStream stdout = System.out;
        ObjectNode results = Bench.MAPPER.createObjectNode().put("startedAt", Instant.now().toString());
        ArrayNode runs = results.putArray("runs");
        System.setOut(new PrintStream(Files.newOutputStream(out.resolve("burst-functions.log")), true, StandardCharsets.UTF_8));
        try (LocalAws aws = LocalAws.start(out.toAbsolutePath().resolve("burst-moto.log"))) {
            InstanceBurst burst = new InstanceBurst(aws);
            for (boolean remediated : new boolean[] {true, false}) {
                System.err.println("burst: " + instances + " instances in " + launchSeconds + " s, VPCs "
                        + (remediated ? "remediated before" : "never remediated") + "...");
                JsonNode run = burst.run(new InstanceBurst.Options(instances, launchSeconds, 3, 10, 12, share, remediated));
                runs.add(run);
                stdout.println(table(run));
            }
        } finally {
            System.out.close();
            System.setOut(stdout);
        }
        Files.writeString(out.resolve("burst.json"), Bench.MAPPER.writeValueAsString(results));
        System.out.println("results: " + out.resolve("burst.json"));
    }

    /** One run as a table; "fits": the calls fit ApiRateShare of EC2's bucket for the API ({@link InstanceBurst#fitsBucket}). */
    static String table(JsonNode run) {
        StringBuilder text = new StringBuilder();
        text.append(String.format("%nBurst: %d instances in %d s across %d subnets of %d VPCs (%s), and %d CreateSubnet at once; "
                        + "%.0f s in all, ApiRateShare %.2f%n", run.path("instances").asInt(), run.path("launchSeconds").asInt(),
                run.path("subnets").asInt(), run.path("vpcs").asInt(), run.path("remediatedBefore").asBoolean()
                        ? "remediated before" : "never remediated", run.path("newSubnetsAtOnce").asInt(), run.path("seconds").asDouble(),
                run.path("apiRateShare").asDouble()));
        text.append(String.format("  %-36s %7s %9s %13s %10s %9s %9s %8s%n", "EC2 API", "calls", "throttled", "peak/s (60s)",
                "mean/s", "refill/s", "target/s", "fits"));
        for (Map.Entry<String, JsonNode> api : (Iterable<Map.Entry<String, JsonNode>>) run.path("apis")::fields) {
            JsonNode a = api.getValue();
            text.append(String.format("  %-36s %7d %9d %6.0f (%5.3f) %10.3f %9.2f %9.3f %8s%n", api.getKey(), a.path("calls").asInt(),
                    a.path("throttled").asInt(), a.path("peakPerSecond").asDouble(), a.path("peakPerSecondOver60s").asDouble(),
                    a.path("meanPerSecond").asDouble(), a.path("refillPerSecond").asDouble(), a.path("targetPerSecond").asDouble(),
                    a.path("withinTarget").asBoolean() ? "yes" : "NO"));
        }
        text.append(String.format("  executions: %d batches, %d VPC executions, %d that waited, %d failed; %d state transitions (%.4f USD)%n",
                run.path("batchExecutions").asInt(), run.path("vpcExecutions").asInt(), run.path("waitExecutions").asInt(),
                run.path("failedExecutions").asInt(), run.path("stateTransitions").asInt(), run.path("transitionCostUsd").asDouble()));
        for (String measure : new String[] {"secondsToProfile", "secondsToOnline"}) {
            JsonNode d = run.path(measure);
            text.append(String.format("  %-17s %4d instances: p50 %.1f s, p95 %.1f s, max %.1f s%n", measure, d.path("count").asInt(),
                    d.path("p50").asDouble(), d.path("p95").asDouble(), d.path("max").asDouble()));
        }
        text.append(String.format("  Online %d of %d; duplicate associations %d, duplicate endpoints %d; EC2 calls throttled %d%n",
                run.path("online").asInt(), run.path("instances").asInt(), run.path("duplicateAssociations").asInt(),
                run.path("duplicateEndpoints").asInt(), run.path("throttled").asInt()));
        for (JsonNode failure : run.path("failures")) {
            text.append(String.format("  failed: %s in %s: %s%n", failure.path("error").asText(), failure.path("lastState").asText(),
                    failure.path("cause").asText()));
        }
        return text.toString();
    }
}
