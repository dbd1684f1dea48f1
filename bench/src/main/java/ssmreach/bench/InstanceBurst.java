package ssmreach.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileAssociation;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import ssmreach.local.Ec2Throttling;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.SampleEvents;
import ssmreach.local.TriggerDelivery;
import ssmreach.local.World;

/**
 * An Auto Scaling burst, run locally through the path events take in AWS (rules, trigger queue,
 * pipe, one execution per batch and one per VPC of it): instances launched across isolated subnets
 * of several VPCs within a minute, each reporting running, and a dozen CreateSubnet in one VPC at
 * once. Measured: ssm-reach's own EC2 calls per second per API (what the local AWS received, every
 * caller but the benchmark itself) against the stack's share of that API's documented refill rate
 * (peak in a second and in a minute, mean, and whether they fit that share of EC2's own bucket),
 * the calls EC2 would have throttled, executions and state transitions, each instance's time to a
 * profile and to Online, duplicates and failures.
 */
final class InstanceBurst {
    record Options(int instances, int launchSeconds, int vpcs, int subnets, int newSubnets, double share, boolean remediated) {}

    private static final String[] ZONES = {"us-east-1a", "us-east-1b", "us-east-1c"};
    private static final Duration DEADLINE = Duration.ofMinutes(40);

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;

    InstanceBurst(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    ObjectNode run(Options options) throws Exception {
        String topic = Scenarios.emptyAccount(aws);
        List<String> vpcs = new ArrayList<>();
        List<String> subnets = new ArrayList<>();
        for (int v = 0; v < options.vpcs(); v++) {
            vpcs.add(world.vpc("10." + v + ".0.0/16"));
        }
        for (int s = 0; s < options.subnets(); s++) {
            int v = s % options.vpcs();
            subnets.add(world.subnet(vpcs.get(v), "10." + v + "." + (s + 1) + ".0/24", ZONES[(s / options.vpcs()) % ZONES.length]));
        }
        if (options.remediated()) {
            // Set up as a previous day left it, unpaced and not measured.
            try (LocalWorkflow setup = new LocalWorkflow(aws, LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic)))) {
                for (String vpc : vpcs) {
                    Execution done = setup.execute("{\"vpcId\": \"" + vpc + "\"}");
                    if (!done.succeeded()) {
                        throw new IllegalStateException("setting up " + vpc + " failed: " + done.error());
                    }
                }
            }
        }
        aws.throttling().reset();
        TriggerDelivery delivery = TriggerDelivery.create(aws.inspectSqs(), LocalWorkflow.template(), 120);
        Map<String, Long> launched = new ConcurrentHashMap<>();
        Map<String, Long> profiled = new ConcurrentHashMap<>();
        Map<String, Long> online = new ConcurrentHashMap<>();
        List<Execution> executions = new CopyOnWriteArrayList<>();
        AtomicBoolean launching = new AtomicBoolean(true);
        long start = System.nanoTime();
        try (LocalWorkflow workflow = new LocalWorkflow(aws, LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic,
                "API_RATE_SHARE", String.valueOf(options.share()), "TURN_WAIT_SECONDS", "20"))).executionsMayTake(DEADLINE);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            // A dozen subnets created at once in the first VPC (Terraform's apply), then the instances.
            for (int n = 0; n < options.newSubnets(); n++) {
                String subnet = world.subnet(vpcs.getFirst(), "10.0." + (100 + n) + ".0/24", ZONES[n % ZONES.length]);
                delivery.put(SampleEvents.createSubnet(subnet, vpcs.getFirst(), ZONES[n % ZONES.length]));
            }
            Future<?> launcher = threads.submit(() -> {
                long spacing = options.launchSeconds() * 1_000_000_000L / Math.max(1, options.instances());
                for (int n = 0; n < options.instances(); n++) {
                    String instance = world.instance(subnets.get(n % subnets.size()), null);
                    launched.put(instance, System.nanoTime());
                    delivery.put(SampleEvents.running(instance));
                    sleepUntil(start + (n + 1) * spacing);
                }
                launching.set(false);
                return null;
            });
            List<Future<Execution>> parents = new ArrayList<>();
            long windowNanos = 20_000_000_000L; // the pipe's MaximumBatchingWindowInSeconds
            long lastPump = System.nanoTime();
            SsmClient ssm = aws.ssm();
            while (System.nanoTime() - start < DEADLINE.toNanos()) {
                int waiting = delivery.visible();
                if (waiting >= delivery.batchSize() || (waiting > 0 && System.nanoTime() - lastPump >= windowNanos)) {
                    lastPump = System.nanoTime();
                    // Fire and forget, as the pipe starts a Standard workflow: the next batch does not wait for it.
                    parents.add(threads.submit(() -> delivery.pump(workflow).orElse(null)));
                }
                observe(ssm, launched, profiled, online);
                // Every execution, the waits included, has ended once its batch's has: nothing more will come online.
                boolean ended = !parents.isEmpty() && parents.stream().allMatch(Future::isDone);
                if (!launching.get() && waiting == 0 && ended) {
                    break;
                }
                Thread.sleep(1000);
            }
            launcher.get();
            for (Future<Execution> parent : parents) {
                // Empty when the pump before it had taken the messages meanwhile: nothing was started.
                Optional.ofNullable(parent.get()).ifPresent(executions::add);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return results(options, seconds, start, launched, profiled, online, executions, vpcs);
    }

    /** Every instance profile association in the local AWS (the benchmark's own read, not ssm-reach's). */
    private Iterable<IamInstanceProfileAssociation> associations() {
        return ec2.describeIamInstanceProfileAssociationsPaginator(r -> { }).iamInstanceProfileAssociations();
    }

    /** When each instance first has an association and first shows Online (reads the benchmark makes, not recorded). */
    private void observe(SsmClient ssm, Map<String, Long> launched, Map<String, Long> profiled, Map<String, Long> online) {
        long now = System.nanoTime();
        for (IamInstanceProfileAssociation association : associations()) {
            profiled.putIfAbsent(association.instanceId(), now);
        }
        List<String> pending = launched.keySet().stream().filter(id -> !online.containsKey(id)).sorted().toList();
        for (int from = 0; from < pending.size(); from += 50) {
            List<String> chunk = pending.subList(from, Math.min(pending.size(), from + 50));
            for (InstanceInformation info : ssm.describeInstanceInformation(r -> r.filters(f -> f.key("InstanceIds").values(chunk)))
                    .instanceInformationList()) {
                if ("Online".equals(info.pingStatusAsString())) {
                    online.putIfAbsent(info.instanceId(), now);
                }
            }
        }
    }

    private ObjectNode results(Options options, double seconds, long start, Map<String, Long> launched, Map<String, Long> profiled,
                               Map<String, Long> online, List<Execution> executions, List<String> vpcs) {
        ObjectNode result = Bench.MAPPER.createObjectNode();
        result.put("remediatedBefore", options.remediated()).put("instances", options.instances())
                .put("launchSeconds", options.launchSeconds()).put("vpcs", options.vpcs()).put("subnets", options.subnets())
                .put("newSubnetsAtOnce", options.newSubnets()).put("apiRateShare", options.share()).put("seconds", round(seconds));
        List<Ec2Throttling.Request> requests = aws.throttling().requests().stream().filter(r -> r.atNanos() >= start).toList();
        result.set("apis", apiRates(requests, options.share()));
        result.put("throttled", requests.stream().filter(Ec2Throttling.Request::throttled).count());
        long parents = executions.size();
        List<Execution> children = executions.stream().flatMap(e -> e.children().values().stream()).toList();
        long waiting = executions.stream().flatMap(e -> e.children().keySet().stream()).filter(name -> name.contains("-waits-")).count();
        long failed = executions.stream().filter(e -> !e.succeeded()).count() + children.stream().filter(e -> !e.succeeded()).count();
        long transitions = executions.stream().mapToLong(Scenarios::transitionsWithChildren).sum();
        result.set("failures", failures(Stream.concat(executions.stream(), children.stream()), 20));
        // What each batch says of its VPCs (outcome, execution; a failed one's error) and the instances it found gone.
        ArrayNode batches = result.putArray("batches");
        executions.forEach(e -> batches.addObject().put("status", e.status().name()).set("output", e.output()));
        result.put("batchExecutions", parents).put("vpcExecutions", children.size() - waiting).put("waitExecutions", waiting)
                .put("failedExecutions", failed).put("stateTransitions", transitions)
                .put("transitionCostUsd", round(transitions * Double.parseDouble(Scenarios.STATES_PRICE_PER_1000_TRANSITIONS_USD) / 1000));
        result.set("secondsToProfile", distribution(launched, profiled));
        result.set("secondsToOnline", distribution(launched, online));
        result.put("online", online.size());
        Map<String, Integer> associations = new TreeMap<>();
        for (IamInstanceProfileAssociation association : associations()) {
            associations.merge(association.instanceId(), 1, Integer::sum);
        }
        long duplicateAssociations = associations.values().stream().filter(n -> n > 1).count();
        long duplicateEndpoints = 0;
        for (String vpc : vpcs) {
            Map<String, Integer> services = new TreeMap<>();
            for (VpcEndpoint endpoint : ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints()) {
                services.merge(endpoint.serviceName(), 1, Integer::sum);
            }
            duplicateEndpoints += services.values().stream().filter(n -> n > 1).count();
        }
        result.put("duplicateAssociations", duplicateAssociations).put("duplicateEndpoints", duplicateEndpoints);
        return result;
    }

    /** The first {@code most} of these executions that did not succeed: error, cause (its first 400 characters), last state. */
    static ArrayNode failures(Stream<Execution> executions, int most) {
        ArrayNode failures = Bench.MAPPER.createArrayNode();
        executions.filter(e -> !e.succeeded()).limit(most).forEach(e -> failures.addObject().put("error", e.error())
                .put("cause", e.cause() == null ? null : e.cause().substring(0, Math.min(400, e.cause().length())))
                .put("lastState", e.path().isEmpty() ? null : e.path().getLast()));
        return failures;
    }

    /**
     * Per EC2 API of these requests: the calls, those EC2's buckets throttled, the most in any second
     * and per second over any 60 s, the mean, EC2's refill rate and {@code share} of it (the target),
     * and whether the calls fit a bucket of that share of EC2's ({@link #fitsBucket}).
     */
    static ObjectNode apiRates(List<Ec2Throttling.Request> requests, double share) {
        ObjectNode apis = Bench.MAPPER.createObjectNode();
        Map<String, List<Long>> byApi = new TreeMap<>();
        requests.forEach(r -> byApi.computeIfAbsent(r.api(), k -> new ArrayList<>()).add(r.atNanos()));
        byApi.forEach((api, times) -> {
            Collections.sort(times);
            Ec2Throttling.Bucket bucket = Ec2Throttling.bucketOf(api, Map.of("Filter.1.Name", "x"));
            double refill = bucket.refillPerSecond();
            double active = Math.max(1, (times.getLast() - times.getFirst()) / 1e9);
            apis.putObject(api).put("calls", times.size()).put("throttled", requests.stream().filter(r -> r.api().equals(api)
                            && r.throttled()).count())
                    .put("peakPerSecond", peak(times, 1)).put("peakPerSecondOver60s", round(peak(times, 60) / 60))
                    .put("meanPerSecond", round(times.size() / active))
                    .put("refillPerSecond", refill).put("targetPerSecond", round(refill * share))
                    .put("capacity", bucket.capacity()).put("withinTarget", fitsBucket(times, bucket, share));
        });
        return apis;
    }

    /**
     * Whether the calls fit a token bucket of {@code share} of EC2's own for the API (capacity and
     * refill, at least one token): what is left of EC2's bucket for the rest of the account is then
     * never less than {@code 1 - share} of it. A call arriving a few milliseconds early (the network
     * between the pacer and the local AWS) is allowed for: 2 % of a token.
     */
    static boolean fitsBucket(List<Long> sorted, Ec2Throttling.Bucket ec2, double share) {
        double capacity = Math.max(1, ec2.capacity() * share);
        double rate = ec2.refillPerSecond() * share;
        double tokens = capacity;
        long last = sorted.isEmpty() ? 0 : sorted.getFirst();
        for (long at : sorted) {
            tokens = Math.min(capacity, tokens + (at - last) / 1e9 * rate) - 1;
            last = at;
            if (tokens < -0.02) {
                return false;
            }
        }
        return true;
    }

    /** The most calls in any window of that many seconds. */
    private static double peak(List<Long> sorted, int windowSeconds) {
        long window = windowSeconds * 1_000_000_000L;
        int best = 0;
        for (int i = 0, j = 0; j < sorted.size(); j++) {
            while (sorted.get(j) - sorted.get(i) >= window) {
                i++;
            }
            best = Math.max(best, j - i + 1);
        }
        return best;
    }

    private static ObjectNode distribution(Map<String, Long> from, Map<String, Long> to) {
        List<Double> seconds = new ArrayList<>();
        from.forEach((id, at) -> {
            Long then = to.get(id);
            if (then != null) {
                seconds.add(Math.max(0, (then - at) / 1e9));
            }
        });
        Collections.sort(seconds);
        ObjectNode node = Bench.MAPPER.createObjectNode().put("count", seconds.size());
        if (!seconds.isEmpty()) {
            node.put("p50", round(seconds.get((int) Math.floor(0.50 * (seconds.size() - 1)))))
                    .put("p95", round(seconds.get((int) Math.floor(0.95 * (seconds.size() - 1)))))
                    .put("max", round(seconds.getLast()));
        }
        return node;
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }
}
