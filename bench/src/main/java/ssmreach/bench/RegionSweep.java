package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ec2.Ec2Client;
import ssmreach.core.Settings;
import ssmreach.local.CallLog;
import ssmreach.local.Ec2Throttling;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.World;

/**
 * The sweep ({@code {"sweep": true}}) of an account's Region, run locally through the real
 * definition and functions (each scaled as Lambda scales it, {@link LambdaEnvironments}), the strict
 * proxy and EC2's token buckets. Measured per sweep: the AWS calls by service and operation, and
 * apart those of the endpoint checks (one DescribeVpcEndpoints a turn; how many turns depends on
 * how long endpoints stay pending); the state transitions of the sweep and of every execution it
 * started, those of wait iterations apart; the Lambda invocations and environments; ssm-reach's EC2
 * rate per API against SWEEP_CONCURRENCY × API_RATE_SHARE of EC2's refill; the wall time; the Region
 * report's totals; and what the VPCs' endpoints are afterwards (duplicates, missing, zones uncovered).
 * Moto's default VPC is opted out, so that only the account's own VPCs count.
 */
final class RegionSweep {
    /**
     * An account of {@code vpcs} VPCs, each with {@code isolated} isolated subnets over three zones
     * and, when {@code mixed}, a public subnet (its own table, an internet gateway) and one whose
     * table routes through a NAT gateway in it.
     */
    record Account(String name, int vpcs, int isolated, boolean mixed) {
        int subnetsPerVpc() {
            return isolated + (mixed ? 2 : 0);
        }
    }

    /** The stack's parameters that set the sweep's pace. */
    record Options(double share, int concurrency) {}

    static final String FIRST = "first";
    static final String REPEAT = "repeat";
    private static final String OPT_OUT = "ssm-reach:skip";
    private static final String[] ZONES = {"us-east-1a", "us-east-1b", "us-east-1c"};
    private static final Duration DEADLINE = Duration.ofHours(2);

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;

    RegionSweep(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    /**
     * A new account of that shape, swept {@code passes} times in a row: the first sweep finds
     * everything to do, a repeat nothing. One result per sweep.
     */
    ArrayNode run(Account account, Options options, int passes) {
        String topic = Scenarios.emptyAccount(aws);
        ec2.describeVpcs(r -> r.filters(f -> f.name("is-default").values("true"))).vpcs()
                .forEach(v -> world.tag(v.vpcId(), OPT_OUT, "true"));
        List<String> vpcs = build(account);
        Settings settings = LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic, "API_RATE_SHARE", String.valueOf(options.share()),
                "SWEEP_CONCURRENCY", String.valueOf(options.concurrency())));
        LambdaEnvironments environments = new LambdaEnvironments(settings, aws.deploy(settings));
        ArrayNode results = Bench.MAPPER.createArrayNode();
        try (LocalWorkflow workflow = new LocalWorkflow(environments.functions(), aws.executions()).executionsMayTake(DEADLINE)) {
            Map<String, Integer> invocations = new ConcurrentHashMap<>();
            workflow.lambda().onInvocation(invocation -> invocations.merge(invocation.functionName(), 1, Integer::sum));
            for (int pass = 0; pass < passes; pass++) {
                aws.calls().clear();
                invocations.clear();
                long start = System.nanoTime();
                Execution sweep = workflow.execute("{\"sweep\": true}");
                double seconds = (System.nanoTime() - start) / 1e9;
                ObjectNode result = results.addObject();
                result.put("account", account.name()).put("pass", pass == 0 ? FIRST : REPEAT).put("vpcs", account.vpcs())
                        .put("isolatedPerVpc", account.isolated()).put("mixed", account.mixed())
                        .put("subnets", account.vpcs() * account.subnetsPerVpc()).put("apiRateShare", options.share())
                        .put("sweepConcurrency", options.concurrency()).put("seconds", Bench.round(seconds, 1));
                measure(result, sweep, start, options);
                result.set("lambdaInvocations", Bench.MAPPER.valueToTree(new TreeMap<>(invocations)));
                result.set("lambdaEnvironments", Bench.MAPPER.valueToTree(environments.environments()));
                Scenarios.EndpointCheck check = Scenarios.EndpointCheck.of(ec2, vpcs);
                result.put("duplicateEndpoints", check.duplicates()).put("missingEndpoints", check.missing())
                        .put("uncoveredZones", check.uncoveredZones());
            }
        }
        return results;
    }

    /** The account's VPCs (10.v.0.0/16), seeded straight to moto. */
    private List<String> build(Account account) {
        List<String> vpcs = new ArrayList<>();
        for (int v = 0; v < account.vpcs(); v++) {
            String vpc = world.vpc("10." + v + ".0.0/16");
            vpcs.add(vpc);
            for (int s = 0; s < account.isolated(); s++) {
                world.subnet(vpc, "10." + v + "." + (s + 1) + ".0/24", ZONES[s % ZONES.length]);
            }
            if (account.mixed()) {
                String publicSubnet = world.subnet(vpc, "10." + v + ".100.0/24", ZONES[0]);
                world.internetRoute(vpc, world.ownRouteTable(vpc, publicSubnet));
                String egress = world.subnet(vpc, "10." + v + ".200.0/24", ZONES[1]);
                world.natRoute(publicSubnet, world.ownRouteTable(vpc, egress));
            }
        }
        return vpcs;
    }

    private void measure(ObjectNode result, Execution sweep, long start, Options options) {
        Map<String, Execution> children = sweep.children();
        List<Execution> vpcExecutions = children.entrySet().stream().filter(c -> c.getKey().startsWith("vpc-")).map(Map.Entry::getValue)
                .toList();
        long pages = 1 + children.keySet().stream().filter(name -> name.startsWith("sweep-after-")).count();
        List<Execution> all = Stream.concat(Stream.of(sweep), children.values().stream()).toList();
        result.put("status", sweep.status().name()).put("pages", pages).put("vpcExecutions", vpcExecutions.size())
                .put("failedExecutions", all.stream().filter(e -> !e.succeeded()).count())
                .put("mostVpcExecutionsAtOnce", mostAtOnce(vpcExecutions));
        JsonNode region = sweep.succeeded() ? sweep.output().path("region") : Bench.MAPPER.createObjectNode();
        result.set("total", region.path("total"));
        result.set("skipped", region.path("skipped"));

        List<CallLog.Call> calls = aws.calls().calls();
        int endpointChecks = all.stream().mapToInt(e -> e.events("StateEntered", "CheckEndpoints").size()).sum();
        long ec2Calls = calls.stream().filter(c -> "Ec2".equals(c.service())).count();
        Map<String, Long> byOperation = new TreeMap<>();
        calls.forEach(c -> byOperation.merge(c.service() + ":" + c.operation(), 1L, Long::sum));
        result.put("ec2Calls", ec2Calls).put("endpointChecks", endpointChecks)
                .put("ec2CallsOutsideWaits", ec2Calls - endpointChecks).put("otherCalls", calls.size() - ec2Calls)
                .put("mutatingCalls", aws.calls().mutatingCalls().size());
        result.set("callsByOperation", Bench.MAPPER.valueToTree(byOperation));

        JsonNode definition = Scenarios.readDefinition();
        long transitions = Scenarios.transitionsWithChildren(sweep);
        long inWaits = all.stream().mapToLong(e -> Scenarios.waitTransitions(e, definition)).sum();
        long ofVpcs = vpcExecutions.stream().mapToLong(e -> Scenarios.transitions(e) - Scenarios.waitTransitions(e, definition)).sum();
        result.put("transitions", transitions).put("waitTransitions", inWaits).put("happyPathTransitions", transitions - inWaits)
                .put("vpcExecutionsHappyPathTransitions", ofVpcs);

        // The sweep's VPCs side by side, each at the share: the account's budget for the sweep.
        double budget = options.share() > 0 ? options.concurrency() * options.share() : 1;
        List<Ec2Throttling.Request> requests = aws.throttling().requests().stream().filter(r -> r.atNanos() >= start).toList();
        result.put("sweepShareOfEc2", budget);
        result.set("apis", InstanceBurst.apiRates(requests, budget));
        result.put("throttled", requests.stream().filter(Ec2Throttling.Request::throttled).count());
        result.set("failures", InstanceBurst.failures(all.stream(), 10));
    }

    /** The most of these executions running at one time (each from its first event to its end). */
    static int mostAtOnce(List<Execution> executions) {
        List<long[]> edges = new ArrayList<>();
        for (Execution e : executions) {
            Instant begin = e.events().getFirst().timestamp();
            edges.add(new long[] {begin.toEpochMilli(), 1});
            edges.add(new long[] {begin.plus(e.duration()).toEpochMilli(), -1});
        }
        // Ends before starts at the same millisecond: one that ends as another starts is not beside it.
        edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int running = 0;
        int most = 0;
        for (long[] edge : edges) {
            running += (int) edge[1];
            most = Math.max(most, running);
        }
        return most;
    }
}
