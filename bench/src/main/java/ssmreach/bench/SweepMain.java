package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ssmreach.local.LocalAws;

/**
 * {@code bench/run --sweep}: the sweep of the Region ({@link RegionSweep}) over accounts of 1, 10
 * and 30 VPCs of every subnet kind (three isolated subnets over three zones, a public one, a NAT
 * egress one), each swept twice (the second finds nothing to do), and once over a VPC of 1 and one
 * of 10 isolated subnets; every figure per VPC and per subnet, against the smallest account of the
 * same run. Prints a table and writes {@code sweep.json}. Options: {@code --vpcs 1,10,30},
 * {@code --subnets 1,10}, {@code --share X} (0.25, the stack's default ApiRateShare),
 * {@code --concurrency N} (2, the stack's default SweepConcurrency), {@code --out DIR}.
 */
public final class SweepMain {
    /** What a sweep of this many VPCs costs and takes is estimated from the largest account measured. */
    static final int ESTIMATED_VPCS = 1000;
    /** Two figures per VPC within this of each other are the same (calls and transitions are whole numbers per execution). */
    private static final double SAME = 0.5;

    private SweepMain() {}

    /** The accounts and parameters of one run. */
    record Options(List<Integer> vpcs, List<Integer> subnets, RegionSweep.Options sweep, Path out) {
        static Options parse(String[] args) {
            List<Integer> vpcs = List.of(1, 10, 30);
            List<Integer> subnets = List.of(1, 10);
            double share = 0.25;
            int concurrency = 2;
            Path out = Path.of("bench/out");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--sweep" -> { }
                    case "--vpcs" -> vpcs = counts(args[++i]);
                    case "--subnets" -> subnets = counts(args[++i]);
                    case "--share" -> share = Double.parseDouble(args[++i]);
                    case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]
                            + "; usage: bench/run --sweep [--vpcs 1,10,30] [--subnets 1,10] [--share X] [--concurrency N] [--out DIR]");
                }
            }
            return new Options(vpcs, subnets, new RegionSweep.Options(share, concurrency), out);
        }

        private static List<Integer> counts(String list) {
            return Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).sorted().distinct().toList();
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        ObjectNode results = run(options);
        System.out.println(table(results));
        System.out.println("results: " + options.out().resolve("sweep.json"));
    }

    /** Every sweep of the run, their summary, written to {@code sweep.json}; the functions' log to {@code sweep-functions.log}. */
    static ObjectNode run(Options options) throws Exception {
        Files.createDirectories(options.out());
        ObjectNode results = Bench.MAPPER.createObjectNode();
        results.set("machine", Bench.machine());
        results.put("startedAt", Instant.now().toString()).put("apiRateShare", options.sweep().share())
                .put("sweepConcurrency", options.sweep().concurrency())
                .put("pricePer1000TransitionsUsd", Double.parseDouble(Scenarios.STATES_PRICE_PER_1000_TRANSITIONS_USD));
        ArrayNode runs = results.putArray("runs");
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(Files.newOutputStream(options.out().resolve("sweep-functions.log")), true, StandardCharsets.UTF_8));
        try (LocalAws aws = LocalAws.start(options.out().toAbsolutePath().resolve("sweep-moto.log"))) {
            RegionSweep sweep = new RegionSweep(aws);
            for (int subnets : options.subnets()) {
                String name = "1 VPC, " + subnets + " isolated subnet" + (subnets == 1 ? "" : "s");
                Bench.progress("sweep: " + name);
                runs.addAll(sweep.run(new RegionSweep.Account(name, 1, subnets, false), options.sweep(), 1));
            }
            for (int vpcs : options.vpcs()) {
                String name = vpcs + " VPC" + (vpcs == 1 ? "" : "s") + ", mixed";
                Bench.progress("sweep: " + name + ", twice");
                runs.addAll(sweep.run(new RegionSweep.Account(name, vpcs, 3, true), options.sweep(), 2));
            }
        } finally {
            System.out.close();
            System.setOut(stdout);
        }
        results.put("finishedAt", Instant.now().toString());
        results.set("summary", summary(runs, options.sweep()));
        Files.writeString(options.out().resolve("sweep.json"), Bench.MAPPER.writeValueAsString(results));
        return results;
    }

    /**
     * Per sweep, its figures per VPC and per subnet; for the mixed accounts, against the smallest
     * of the same pass: the ratio of each figure per VPC, and what each further VPC adds; what each
     * further isolated subnet adds; and the cost and time of a sweep of {@link #ESTIMATED_VPCS} VPCs.
     */
    static ObjectNode summary(JsonNode runs, RegionSweep.Options options) {
        ObjectNode summary = Bench.MAPPER.createObjectNode();
        ArrayNode perVpc = summary.putArray("perVpc");
        for (JsonNode run : runs) {
            int vpcs = run.path("vpcs").asInt();
            ObjectNode row = perVpc.addObject().put("account", run.path("account").asText()).put("pass", run.path("pass").asText())
                    .put("vpcs", vpcs).put("subnets", run.path("subnets").asInt());
            for (String figure : List.of("ec2Calls", "ec2CallsOutsideWaits", "otherCalls", "transitions", "happyPathTransitions", "seconds")) {
                row.put(figure + "PerVpc", Bench.round(run.path(figure).asDouble() / vpcs, 2));
            }
            row.put("ec2CallsPerSubnet", Bench.round(run.path("ec2Calls").asDouble() / run.path("subnets").asInt(), 2));
        }
        List<String> checked = List.of("ec2CallsOutsideWaits", "happyPathTransitions");
        boolean constant = true;
        for (String pass : List.of(RegionSweep.FIRST, RegionSweep.REPEAT)) {
            List<JsonNode> mixed = new ArrayList<>();
            runs.forEach(run -> {
                if (run.path("mixed").asBoolean() && run.path("pass").asText().equals(pass)) {
                    mixed.add(run);
                }
            });
            if (mixed.size() < 2) {
                continue;
            }
            JsonNode base = mixed.getFirst();
            Map<String, Double> previous = Map.of();
            for (JsonNode run : mixed.subList(1, mixed.size())) {
                ObjectNode row = rowOf(perVpc, run);
                int further = run.path("vpcs").asInt() - base.path("vpcs").asInt();
                row.put("baselineVpcs", base.path("vpcs").asInt());
                for (String figure : List.of("ec2Calls", "ec2CallsOutsideWaits", "otherCalls", "transitions", "happyPathTransitions")) {
                    double perVpcHere = run.path(figure).asDouble() / run.path("vpcs").asInt();
                    double perVpcThere = base.path(figure).asDouble() / base.path("vpcs").asInt();
                    row.put(figure + "PerVpcRatio", Bench.round(perVpcHere / perVpcThere, 2));
                    row.put(figure + "PerFurtherVpc", Bench.round((run.path(figure).asDouble() - base.path(figure).asDouble()) / further, 2));
                }
                Map<String, Double> added = Map.of(checked.get(0), row.path(checked.get(0) + "PerFurtherVpc").asDouble(),
                        checked.get(1), row.path(checked.get(1) + "PerFurtherVpc").asDouble());
                if (!previous.isEmpty()) {
                    for (String figure : checked) {
                        constant &= Math.abs(added.get(figure) - previous.get(figure)) <= SAME;
                    }
                }
                previous = added;
            }
            if (pass.equals(RegionSweep.FIRST)) {
                summary.set("costPer" + ESTIMATED_VPCS + "Vpcs", cost(mixed.getLast()));
                summary.set("wallFor" + ESTIMATED_VPCS + "Vpcs", wall(mixed.getLast(), options));
            } else {
                summary.set("repeatCostPer" + ESTIMATED_VPCS + "Vpcs", cost(mixed.getLast()));
                summary.set("repeatWallFor" + ESTIMATED_VPCS + "Vpcs", wall(mixed.getLast(), options));
            }
        }
        summary.put("constantPerVpc", constant);
        List<JsonNode> isolated = new ArrayList<>();
        runs.forEach(run -> {
            if (!run.path("mixed").asBoolean() && run.path("vpcs").asInt() == 1 && run.path("pass").asText().equals(RegionSweep.FIRST)) {
                isolated.add(run);
            }
        });
        if (isolated.size() >= 2) {
            JsonNode fewest = isolated.getFirst();
            JsonNode most = isolated.getLast();
            int further = most.path("subnets").asInt() - fewest.path("subnets").asInt();
            ObjectNode subnets = summary.putObject("perFurtherSubnet").put("from", fewest.path("subnets").asInt())
                    .put("to", most.path("subnets").asInt());
            for (String figure : List.of("ec2Calls", "ec2CallsOutsideWaits", "otherCalls", "transitions", "happyPathTransitions")) {
                subnets.put(figure, Bench.round((most.path(figure).asDouble() - fewest.path(figure).asDouble()) / further, 2));
            }
            summary.put("zeroPerFurtherSubnet", subnets.path("ec2CallsOutsideWaits").asDouble() == 0
                    && subnets.path("happyPathTransitions").asDouble() == 0 && subnets.path("otherCalls").asDouble() == 0);
        }
        return summary;
    }

    private static ObjectNode rowOf(ArrayNode perVpc, JsonNode run) {
        for (JsonNode row : perVpc) {
            if (row.path("account").asText().equals(run.path("account").asText()) && row.path("pass").asText().equals(run.path("pass").asText())) {
                return (ObjectNode) row;
            }
        }
        throw new IllegalStateException("no row for " + run.path("account"));
    }

    /**
     * Standard's price for {@link #ESTIMATED_VPCS} VPCs at this sweep's transitions per VPC: its
     * happy path; as measured here (the local waits: endpoints pending 2 s, checked every second);
     * and with the waits of AWS, where a new endpoint is pending about two minutes, 8 turns of the
     * endpoint wait at the stack's 15 s for each VPC whose endpoints were created or extended.
     */
    private static ObjectNode cost(JsonNode run) {
        double price = Double.parseDouble(Scenarios.STATES_PRICE_PER_1000_TRANSITIONS_USD) / 1000;
        int vpcs = run.path("vpcs").asInt();
        double happy = run.path("happyPathTransitions").asDouble() / vpcs;
        int waitLoop = Scenarios.loop(Scenarios.readDefinition(), "WaitForEndpoints", false).size();
        boolean waited = run.path("endpointChecks").asInt() > 0;
        double withWaits = happy + (waited ? Scenarios.TYPICAL_ENDPOINT_WAIT_ITERATIONS * waitLoop : 0);
        return Bench.MAPPER.createObjectNode().put("fromVpcs", vpcs).put("happyPathTransitionsPerVpc", Bench.round(happy, 2))
                .put("happyPathUsd", Bench.round(happy * ESTIMATED_VPCS * price, 3))
                .put("measuredTransitionsPerVpc", Bench.round(run.path("transitions").asDouble() / vpcs, 2))
                .put("measuredUsd", Bench.round(run.path("transitions").asDouble() / vpcs * ESTIMATED_VPCS * price, 3))
                .put("typicalEndpointWaitIterations", waited ? Scenarios.TYPICAL_ENDPOINT_WAIT_ITERATIONS : 0)
                .put("transitionsPerEndpointWaitIteration", waitLoop)
                .put("withTypicalWaitsTransitionsPerVpc", Bench.round(withWaits, 2))
                .put("withTypicalWaitsUsd", Bench.round(withWaits * ESTIMATED_VPCS * price, 3));
    }

    /**
     * How long {@link #ESTIMATED_VPCS} VPCs take: at this run's pace per VPC, and at the paced rate
     * alone (concurrency × share of the refill) of the API whose calls per VPC take longest at it.
     * A small account beats the second: each new environment's first call of an API is not paced.
     */
    private static ObjectNode wall(JsonNode run, RegionSweep.Options options) {
        int vpcs = run.path("vpcs").asInt();
        ObjectNode wall = Bench.MAPPER.createObjectNode().put("fromVpcs", vpcs)
                .put("measuredHours", Bench.round(run.path("seconds").asDouble() / vpcs * ESTIMATED_VPCS / 3600, 2));
        if (options.share() > 0) {
            String slowest = null;
            double floor = 0;
            for (Map.Entry<String, JsonNode> api : (Iterable<Map.Entry<String, JsonNode>>) run.path("apis")::fields) {
                double seconds = api.getValue().path("calls").asDouble() / vpcs / api.getValue().path("targetPerSecond").asDouble();
                if (seconds > floor) {
                    floor = seconds;
                    slowest = api.getKey();
                }
            }
            wall.put("pacedRateHours", Bench.round(floor * ESTIMATED_VPCS / 3600, 2)).put("pacedRateApi", slowest);
        }
        return wall;
    }

    /** The run as a table: one line per sweep, then the ratios, the targets, the cost and the time. */
    static String table(JsonNode results) {
        JsonNode summary = results.path("summary");
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%nSweep of the Region: SweepConcurrency %d, ApiRateShare %.2f; %s USD per 1,000 state transitions%n",
                results.path("sweepConcurrency").asInt(), results.path("apiRateShare").asDouble(),
                Scenarios.STATES_PRICE_PER_1000_TRANSITIONS_USD));
        text.append(String.format(Locale.ROOT, "  %-28s %-6s %4s %7s %8s | %9s %7s %7s %8s %7s | %11s %7s %9s | %7s %6s %9s %5s%n",
                "ACCOUNT", "PASS", "VPCS", "SUBNETS", "WALL s", "EC2 CALLS", "/VPC", "/SUBNET", "CHECKS", "OTHER", "TRANSITIONS",
                "/VPC", "HAPPY/VPC", "AT ONCE", "FAILED", "THROTTLED", "DUPL."));
        for (int i = 0; i < results.path("runs").size(); i++) {
            JsonNode run = results.path("runs").get(i);
            JsonNode row = summary.path("perVpc").get(i);
            text.append(String.format(Locale.ROOT, "  %-28s %-6s %4d %7d %8.1f | %9d %7s %7s %8d %7d | %11d %7s %9s | %7d %6d %9d %5d%n",
                    run.path("account").asText(), run.path("pass").asText(), run.path("vpcs").asInt(), run.path("subnets").asInt(),
                    run.path("seconds").asDouble(), run.path("ec2Calls").asInt(), Table.fmt(row.path("ec2CallsPerVpc").asDouble()),
                    Table.fmt(row.path("ec2CallsPerSubnet").asDouble()), run.path("endpointChecks").asInt(), run.path("otherCalls").asInt(),
                    run.path("transitions").asInt(), Table.fmt(row.path("transitionsPerVpc").asDouble()),
                    Table.fmt(row.path("happyPathTransitionsPerVpc").asDouble()), run.path("mostVpcExecutionsAtOnce").asInt(),
                    run.path("failedExecutions").asInt(), run.path("throttled").asInt(), run.path("duplicateEndpoints").asInt()));
        }
        text.append("  (CHECKS: endpoint checks, one DescribeVpcEndpoints each; HAPPY: transitions without the wait iterations;"
                + " OTHER: calls to other services than EC2)\n");
        text.append("  Against the smallest account of the same pass (per VPC: the ratio; per further VPC: what each adds):\n");
        for (JsonNode row : summary.path("perVpc")) {
            if (row.has("baselineVpcs")) {
                text.append(String.format(Locale.ROOT, "    %-28s %-6s EC2 calls per VPC x%s (outside the checks x%s, +%s per further VPC);"
                                + " transitions per VPC x%s (happy path x%s, +%s per further VPC)%n", row.path("account").asText(),
                        row.path("pass").asText(), Table.fmt(row.path("ec2CallsPerVpcRatio").asDouble()),
                        Table.fmt(row.path("ec2CallsOutsideWaitsPerVpcRatio").asDouble()),
                        Table.fmt(row.path("ec2CallsOutsideWaitsPerFurtherVpc").asDouble()), Table.fmt(row.path("transitionsPerVpcRatio").asDouble()),
                        Table.fmt(row.path("happyPathTransitionsPerVpcRatio").asDouble()),
                        Table.fmt(row.path("happyPathTransitionsPerFurtherVpc").asDouble())));
            }
        }
        text.append(String.format("  constant per VPC (each further VPC adds the same EC2 calls and happy-path transitions at every size): %s%n",
                summary.path("constantPerVpc").asBoolean() ? "met" : "NO"));
        JsonNode subnets = summary.path("perFurtherSubnet");
        if (!subnets.isMissingNode()) {
            text.append(String.format(Locale.ROOT, "  per further subnet (%d to %d isolated subnets in one VPC): %+.2f EC2 calls outside the checks"
                            + " (%+.2f with them), %+.2f other calls, %+.2f happy-path transitions (%+.2f in all): %s%n",
                    subnets.path("from").asInt(), subnets.path("to").asInt(), subnets.path("ec2CallsOutsideWaits").asDouble(),
                    subnets.path("ec2Calls").asDouble(), subnets.path("otherCalls").asDouble(), subnets.path("happyPathTransitions").asDouble(),
                    subnets.path("transitions").asDouble(), summary.path("zeroPerFurtherSubnet").asBoolean() ? "+0, met" : "NO"));
        }
        for (String pass : List.of("", "repeat")) {
            JsonNode cost = summary.path(pass.isEmpty() ? "costPer1000Vpcs" : "repeatCostPer1000Vpcs");
            JsonNode wall = summary.path(pass.isEmpty() ? "wallFor1000Vpcs" : "repeatWallFor1000Vpcs");
            if (cost.isMissingNode()) {
                continue;
            }
            text.append(String.format(Locale.ROOT, "  %s sweep of %,d VPCs (from %d): Standard %.3f USD (%s transitions per VPC, happy path),"
                            + " %.3f USD as measured here, %.3f USD with %d endpoint waits per VPC as in AWS; %.2f h at this run's pace%s%n",
                    pass.isEmpty() ? "A first" : "A repeat", ESTIMATED_VPCS, cost.path("fromVpcs").asInt(), cost.path("happyPathUsd").asDouble(),
                    Table.fmt(cost.path("happyPathTransitionsPerVpc").asDouble()), cost.path("measuredUsd").asDouble(),
                    cost.path("withTypicalWaitsUsd").asDouble(), cost.path("typicalEndpointWaitIterations").asInt(),
                    wall.path("measuredHours").asDouble(), wall.has("pacedRateHours")
                            ? String.format(Locale.ROOT, ", %.2f h at the paced rate of %s alone", wall.path("pacedRateHours").asDouble(),
                            wall.path("pacedRateApi").asText()) : ""));
        }
        for (JsonNode run : results.path("runs")) {
            List<String> over = new ArrayList<>();
            run.path("apis").fields().forEachRemaining(api -> {
                if (!api.getValue().path("withinTarget").asBoolean()) {
                    over.add(api.getKey());
                }
            });
            JsonNode endpoints = run.path("apis").path("CreateVpcEndpoint");
            text.append(String.format(Locale.ROOT, "  EC2, %s (%s): %d calls throttled; within %s of each API's bucket: %s%s%n",
                    run.path("account").asText(), run.path("pass").asText(), run.path("throttled").asInt(),
                    Table.fmt(run.path("sweepShareOfEc2").asDouble()), over.isEmpty() ? "every API" : "NO: " + String.join(", ", over),
                    endpoints.isMissingNode() ? "" : String.format(Locale.ROOT, "; CreateVpcEndpoint %d, at most %.3f/s over 60 s (target %.3f)",
                            endpoints.path("calls").asInt(), endpoints.path("peakPerSecondOver60s").asDouble(),
                            endpoints.path("targetPerSecond").asDouble())));
            for (JsonNode failure : run.path("failures")) {
                text.append(String.format("  failed (%s, %s): %s in %s: %s%n", run.path("account").asText(), run.path("pass").asText(),
                        failure.path("error").asText(), failure.path("lastState").asText(), failure.path("cause").asText()));
            }
        }
        return text.toString();
    }
}
