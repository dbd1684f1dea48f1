package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.services.ec2.Ec2Client;
import ssmreach.local.World;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;

/**
 * The workflow-level figures: AWS calls per scenario against the minimal list, the one-VPC scaling
 * series, state transitions, the burst; and one real input per function for the cold starts. Each
 * runs the real definition with the real handlers against the local AWS, through recorded clients.
 */
final class Scenarios {
    static final String STATES_PRICE_PER_1000_TRANSITIONS_USD = "0.025";
    /**
     * In AWS an interface endpoint is pending for about two minutes: with the stack's 15 s interval
     * that is about 8 endpoint wait iterations per remediation that creates or extends endpoints.
     */
    static final int TYPICAL_ENDPOINT_WAIT_ITERATIONS = 8;
    private static final String[] ZONES = {"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"};

    /**
     * The fewest calls each scenario can be done with, as argued in BENCHMARKS.md ("The minimal
     * call lists"), before the waits: each endpoint check adds one DescribeVpcEndpoints and each
     * registration check beyond the first one DescribeInstanceInformation, for the checks the run
     * actually made (how long AWS takes is not ours to shorten).
     */
    static final Map<String, List<String>> MINIMUM = new LinkedHashMap<>();

    static {
        List<String> classifyBySubnet = List.of("DescribeSubnets", "DescribeVpcs", "DescribeSubnets", "DescribeRouteTables");
        List<String> prepare = List.of("DescribeVpcAttribute", "DescribeVpcAttribute", "DescribeSecurityGroups");
        List<String> ensure = List.of("DescribeVpcEndpointServices", "DescribeVpcEndpoints");
        List<String> report = List.of("DescribeInstances", "CreateTags", "PutEvents", "Publish");
        MINIMUM.put("fresh-vpc", concat(classifyBySubnet, prepare,
                List.of("ModifyVpcAttribute", "CreateSecurityGroup", "AuthorizeSecurityGroupIngress"), ensure,
                List.of("CreateVpcEndpoint", "CreateVpcEndpoint", "CreateVpcEndpoint", "CreateVpcEndpoint"), report));
        MINIMUM.put("second-subnet", concat(classifyBySubnet, prepare, ensure,
                List.of("ModifyVpcEndpoint", "ModifyVpcEndpoint", "ModifyVpcEndpoint"), report));
        MINIMUM.put("compliant-rerun", concat(classifyBySubnet, prepare, ensure, List.of("DescribeInstances", "PutEvents", "Publish")));
        // A manual run reads the running instances of a public subnet: one without a public IPv4 address needs the endpoints.
        MINIMUM.put("public-subnet", concat(classifyBySubnet, List.of("DescribeInstances", "CreateTags", "PutEvents", "Publish")));
        MINIMUM.put("one-instance", concat(List.of("DescribeInstances", "DescribeVpcs", "DescribeSubnets", "DescribeRouteTables"),
                prepare, ensure, List.of("AssociateIamInstanceProfile", "DescribeInstanceInformation", "PutEvents", "Publish")));
    }

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private String topicArn;

    Scenarios(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    String topicArn() {
        return topicArn;
    }

    /** An empty account with what the stack deploys: the instance profile and the result topic (its ARN returned). */
    static String emptyAccount(LocalAws aws) {
        aws.reset();
        LocalFunctions.createInstanceProfile(aws.inspectIam());
        return aws.inspectSns().createTopic(r -> r.name("ssm-reach-results")).topicArn();
    }

    /** {@link #emptyAccount} with the workflow deployed. */
    private LocalWorkflow freshAccount() {
        topicArn = emptyAccount(aws);
        var settings = LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topicArn));
        return new LocalWorkflow(aws, settings);
    }

    /** The five scenarios of BENCHMARKS.md, in one account, one after the other. */
    ArrayNode perScenario() {
        ArrayNode rows = Bench.MAPPER.createArrayNode();
        try (LocalWorkflow workflow = freshAccount()) {
            String vpc = world.vpc("10.0.0.0/16");
            String first = world.subnet(vpc, "10.0.1.0/24", ZONES[0]);
            rows.add(scenario(workflow, "fresh-vpc", "a new VPC, one isolated subnet", subnetInput(first)));
            String second = world.subnet(vpc, "10.0.2.0/24", ZONES[1]);
            rows.add(scenario(workflow, "second-subnet", "an isolated subnet in a new zone of the remediated VPC", subnetInput(second)));
            rows.add(scenario(workflow, "compliant-rerun", "the first subnet again: nothing to do", subnetInput(first)));
            String open = world.subnet(vpc, "10.0.3.0/24", ZONES[0]);
            world.internetRoute(vpc, world.ownRouteTable(vpc, open));
            rows.add(scenario(workflow, "public-subnet", "a subnet with a default route to an internet gateway", subnetInput(open)));
            String instance = world.instance(first, null);
            rows.add(scenario(workflow, "one-instance", "EC2 'running' event, no profile, remediated subnet", instanceEvent(instance)));
        }
        return rows;
    }

    private ObjectNode scenario(LocalWorkflow workflow, String name, String description, String input) {
        aws.calls().clear();
        Execution execution = workflow.execute(input);
        List<CallLog.Call> calls = aws.calls().calls();
        ObjectNode row = Bench.MAPPER.createObjectNode();
        row.put("name", name);
        row.put("description", description);
        row.put("status", execution.status().name());
        row.put("outcome", execution.output() == null ? execution.error() : execution.output().path("outcome").asText());
        int waits = waitIterations(execution);
        List<String> minimum = new ArrayList<>(MINIMUM.get(name));
        int endpointChecks = execution.events("StateEntered", "CheckEndpoints").size();
        int registrationChecks = execution.events("StateEntered", "CheckRegistration").size();
        for (int i = 0; i < endpointChecks; i++) {
            minimum.add("DescribeVpcEndpoints");
        }
        for (int i = 1; i < registrationChecks; i++) {
            minimum.add("DescribeInstanceInformation");
        }
        row.put("endpointChecks", endpointChecks);
        row.put("registrationChecks", registrationChecks);
        row.put("calls", calls.size());
        row.put("mutatingCalls", aws.calls().mutatingCalls().size());
        row.put("minimum", minimum.size());
        row.put("ratio", Bench.round((double) calls.size() / minimum.size(), 2));
        row.put("waitIterations", waits);
        row.set("operations", Bench.MAPPER.valueToTree(calls.stream().map(c -> c.service() + ":" + c.operation()
                + (c.dryRun() ? "(DryRun)" : "")).toList()));
        row.set("minimalOperations", Bench.MAPPER.valueToTree(minimum));
        row.set("extra", Bench.MAPPER.valueToTree(difference(calls.stream().map(CallLog.Call::operation).toList(), minimum)));
        int total = transitions(execution);
        int inWaits = waitTransitions(execution, readDefinition());
        row.put("transitions", total);
        row.put("waitTransitions", inWaits);
        row.put("happyPathTransitions", total - inWaits);
        row.put("seconds", Bench.round(execution.duration().toMillis() / 1000.0, 2));
        return row;
    }

    /** n isolated subnets in one new VPC, one execution with the VPC as target. */
    ArrayNode scaling(List<Integer> counts) {
        ArrayNode rows = Bench.MAPPER.createArrayNode();
        Integer previousCalls = null;
        Integer previousCount = null;
        for (int count : counts) {
            try (LocalWorkflow workflow = freshAccount()) {
                String vpc = world.vpc("10.0.0.0/16");
                for (int i = 0; i < count; i++) {
                    world.subnet(vpc, "10.0." + (i + 1) + ".0/24", ZONES[i % 3]);
                }
                aws.calls().clear();
                Execution execution = workflow.execute("{\"vpcId\": \"" + vpc + "\"}");
                int calls = aws.calls().calls().size();
                ObjectNode row = Bench.MAPPER.createObjectNode();
                row.put("subnets", count);
                row.put("zones", Math.min(count, 3));
                row.put("status", execution.status().name());
                // As fresh-vpc, without the first DescribeSubnets (the VPC is known), whatever the count.
                int minimum = MINIMUM.get("fresh-vpc").size() - 1 + execution.events("StateEntered", "CheckEndpoints").size();
                row.put("calls", calls);
                row.put("minimum", minimum);
                row.put("ratio", Bench.round((double) calls / minimum, 2));
                row.put("mutatingCalls", aws.calls().mutatingCalls().size());
                row.put("transitions", transitions(execution));
                Map<String, Long> byOperation = new TreeMap<>();
                aws.calls().calls().forEach(c -> byOperation.merge(c.operation(), 1L, Long::sum));
                row.set("callsByOperation", Bench.MAPPER.valueToTree(byOperation));
                if (previousCalls != null) {
                    row.put("callsPerFurtherSubnet", Bench.round((double) (calls - previousCalls) / (count - previousCount), 2));
                }
                rows.add(row);
                previousCalls = calls;
                previousCount = count;
            }
        }
        return rows;
    }

    /** Transitions of the happy path (per scenario, waits excluded), per wait iteration, and the cost. */
    ObjectNode transitions(JsonNode scenarios) {
        ObjectNode node = Bench.MAPPER.createObjectNode();
        JsonNode definition = readDefinition();
        int endpointLoop = loop(definition, "WaitForEndpoints", false).size();
        int registrationLoop = loop(definition, "WaitForRegistration", false).size();
        node.put("perEndpointWaitIteration", endpointLoop);
        node.put("perRegistrationWaitIteration", registrationLoop);
        ObjectNode happy = node.putObject("happyPathPerScenario");
        ObjectNode measured = node.putObject("measuredPerWaitIteration");
        for (JsonNode row : scenarios) {
            happy.put(row.path("name").asText(), row.path("happyPathTransitions").asInt());
            if (row.path("waitIterations").asInt() > 0) {
                measured.put(row.path("name").asText(), Bench.round(row.path("waitTransitions").asDouble() / row.path("waitIterations").asInt(), 2));
            }
        }
        int freshVpc = happy.path("fresh-vpc").asInt();
        double price = Double.parseDouble(STATES_PRICE_PER_1000_TRANSITIONS_USD);
        node.put("pricePer1000TransitionsUsd", price);
        node.put("costPer1000RemediationsUsd", Bench.round(freshVpc * price, 3));
        int typicalWaits = TYPICAL_ENDPOINT_WAIT_ITERATIONS;
        node.put("typicalEndpointWaitIterations", typicalWaits);
        node.put("costPer1000RemediationsWithTypicalWaitsUsd", Bench.round((freshVpc + typicalWaits * endpointLoop) * price, 3));
        node.put("costPer1000WaitIterationsUsd", Bench.round(endpointLoop * price, 3));
        return node;
    }

    /**
     * The transitions of an execution's wait iterations: each Wait state entered and the states of
     * its loop entered after it, until the execution leaves the loop.
     */
    static int waitTransitions(Execution execution, JsonNode definition) {
        Map<String, Set<String>> loops = new LinkedHashMap<>();
        definition.path("States").fields().forEachRemaining(e -> {
            if (e.getValue().path("Type").asText().equals("Wait")) {
                loops.put(e.getKey(), loop(definition, e.getKey(), true));
            }
        });
        Set<String> current = null;
        int count = 0;
        for (Execution.Event event : execution.events()) {
            if (!event.type().equals("StateEntered") || event.nested()) {
                continue;
            }
            if (loops.containsKey(event.state())) {
                current = loops.get(event.state());
                count++;
            } else if (current != null && current.contains(event.state())) {
                count++;
            } else {
                current = null;
            }
        }
        return count;
    }

    /**
     * The states of the loop that starts at the Wait state {@code start}, following Next, else a
     * Choice's Default, back to it; with any state a loop Choice branches to that leads back in.
     */
    static Set<String> loop(JsonNode definition, String start, boolean withBranches) {
        JsonNode states = definition.path("States");
        Set<String> loop = new java.util.LinkedHashSet<>();
        String state = start;
        while (loop.add(state)) {
            JsonNode s = states.path(state);
            String next = s.hasNonNull("Next") ? s.get("Next").asText() : s.path("Default").asText(null);
            if (next == null) {
                throw new IllegalStateException("the loop from " + start + " ends at " + state);
            }
            if (next.equals(start) && !withBranches) {
                return loop;
            }
            if (next.equals(start)) {
                Set<String> extra = new HashSet<>();
                for (String member : loop) {
                    for (JsonNode choice : states.path(member).path("Choices")) {
                        String target = choice.path("Next").asText();
                        if (loop.contains(states.path(target).path("Next").asText())) {
                            extra.add(target);
                        }
                    }
                }
                Set<String> all = new java.util.LinkedHashSet<>(loop);
                all.addAll(extra);
                return all;
            }
            state = next;
        }
        throw new IllegalStateException("no loop back to " + start);
    }

    /**
     * One real input per function, from executions of the real workflow: a subnet remediation, an
     * instance event and an on-demand diagnosis. The world stays as they leave it, so that the cold
     * JVMs replay those inputs against it. CheckEndpoints is not invoked here (the emulator's
     * endpoints are available at once), so its input is what EnsureEndpoints returned, as the
     * definition passes it.
     */
    Map<String, String> captureInputs(List<String> functions) {
        Map<String, String> inputs = new ConcurrentHashMap<>();
        try (LocalWorkflow workflow = freshAccount()) {
            workflow.lambda().onInvocation(invocation -> {
                if (!invocation.failed()) {
                    inputs.putIfAbsent(invocation.functionName(), invocation.input());
                    if (invocation.functionName().equals("EnsureEndpoints")) {
                        inputs.putIfAbsent("CheckEndpoints", invocation.output());
                    }
                }
            });
            String vpc = world.vpc("10.0.0.0/16");
            String subnet = world.subnet(vpc, "10.0.1.0/24", ZONES[0]);
            String instance = world.instance(subnet, null);
            require(workflow.execute(subnetInput(subnet)), "subnet remediation");
            require(workflow.execute(instanceEvent(instance)), "instance event");
            require(workflow.execute("{\"instanceId\": \"" + instance + "\", \"diagnose\": true}"), "diagnosis");
        }
        Map<String, String> chosen = new LinkedHashMap<>();
        for (String function : functions) {
            String input = inputs.get(function);
            if (input == null) {
                throw new IllegalStateException("no input captured for " + function + "; captured: " + inputs.keySet());
            }
            chosen.put(function, input);
        }
        return chosen;
    }

    /** Many subnets at once: one execution per subnet, {@code pool} running at a time. */
    ObjectNode burst(int vpcs, int subnetsPerVpc, int pool) {
        ObjectNode node = Bench.MAPPER.createObjectNode();
        try (LocalWorkflow workflow = freshAccount()) {
            List<String> vpcIds = new ArrayList<>();
            List<String> subnets = new ArrayList<>();
            for (int v = 0; v < vpcs; v++) {
                String vpc = world.vpc("10." + v + ".0.0/16");
                vpcIds.add(vpc);
                for (int s = 0; s < subnetsPerVpc; s++) {
                    subnets.add(world.subnet(vpc, "10." + v + "." + (s + 1) + ".0/24", ZONES[s % ZONES.length]));
                }
            }
            // Interleave the VPCs, as a Terraform apply of many VPCs would create them.
            List<String> order = new ArrayList<>();
            for (int s = 0; s < subnetsPerVpc; s++) {
                for (int v = 0; v < vpcs; v++) {
                    order.add(subnets.get(v * subnetsPerVpc + s));
                }
            }
            aws.calls().clear();
            ExecutorService executor = Executors.newFixedThreadPool(pool);
            long start = System.nanoTime();
            List<Future<Execution>> futures = new ArrayList<>();
            for (String subnet : order) {
                futures.add(executor.submit(() -> workflow.execute(subnetInput(subnet))));
            }
            int failures = 0;
            Map<String, Integer> outcomes = new TreeMap<>();
            List<String> errors = new ArrayList<>();
            for (Future<Execution> future : futures) {
                try {
                    Execution execution = future.get();
                    String outcome = execution.output() == null ? "failed" : execution.output().path("outcome").asText();
                    outcomes.merge(outcome, 1, Integer::sum);
                    if (!execution.succeeded() || !(outcome.equals("remediated") || outcome.equals("compliant"))) {
                        failures++;
                        errors.add(execution.status() + " " + outcome + " " + execution.error() + ": " + execution.cause());
                    }
                } catch (Exception e) {
                    failures++;
                    errors.add(e.toString());
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            executor.shutdown();
            List<CallLog.Call> calls = aws.calls().calls();
            EndpointCheck check = EndpointCheck.of(ec2, vpcIds);
            node.put("vpcs", vpcs);
            node.put("subnets", subnets.size());
            node.put("concurrentExecutions", pool);
            node.put("wallSeconds", Bench.round(seconds, 1));
            node.put("totalCalls", calls.size());
            node.put("callsPerSubnet", Bench.round((double) calls.size() / subnets.size(), 2));
            node.put("mutatingCalls", (int) calls.stream().filter(CallLog.Call::mutating).count());
            node.put("duplicates", check.duplicates());
            node.put("missingEndpoints", check.missing());
            node.put("uncoveredZones", check.uncoveredZones());
            node.put("failures", failures);
            node.set("outcomes", Bench.MAPPER.valueToTree(outcomes));
            Map<String, Long> byOperation = new TreeMap<>();
            calls.forEach(c -> byOperation.merge(c.operation(), 1L, Long::sum));
            node.set("callsByOperation", Bench.MAPPER.valueToTree(byOperation));
            node.set("errors", Bench.MAPPER.valueToTree(errors.stream().distinct().limit(10).toList()));
        }
        return node;
    }

    /**
     * What the VPCs' endpoints are, as the burst and the sweep check them: {@code duplicates}, every
     * endpoint beyond one per service per VPC (an interface endpoint counts with private DNS, the S3
     * gateway always); {@code missing}, a service without one; {@code uncoveredZones}, a zone of a
     * VPC's subnets that its ssm endpoint does not serve.
     */
    record EndpointCheck(int duplicates, int missing, int uncoveredZones) {
        static EndpointCheck of(Ec2Client ec2, List<String> vpcIds) {
            int duplicates = 0;
            int missing = 0;
            int uncoveredZones = 0;
            for (String vpc : vpcIds) {
                List<VpcEndpoint> endpoints = ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints();
                Map<String, Integer> perService = new TreeMap<>();
                Set<String> covered = new HashSet<>();
                for (VpcEndpoint endpoint : endpoints) {
                    String service = endpoint.serviceName().substring(endpoint.serviceName().lastIndexOf('.') + 1);
                    boolean counts = endpoint.vpcEndpointTypeAsString().equals("Gateway") || Boolean.TRUE.equals(endpoint.privateDnsEnabled());
                    if (counts) {
                        perService.merge(service, 1, Integer::sum);
                    }
                    if (service.equals("ssm")) {
                        covered.addAll(endpoint.subnetIds());
                    }
                }
                for (String service : List.of("ssm", "ssmmessages", "ec2messages", "s3")) {
                    int n = perService.getOrDefault(service, 0);
                    duplicates += Math.max(0, n - 1);
                    missing += n == 0 ? 1 : 0;
                }
                // Every zone of the VPC's subnets must be served (one endpoint subnet per zone).
                Set<String> zonesServed = new HashSet<>();
                if (!covered.isEmpty()) {
                    ec2.describeSubnets(r -> r.subnetIds(covered)).subnets().forEach(s -> zonesServed.add(s.availabilityZone()));
                }
                Set<String> zonesNeeded = new HashSet<>();
                ec2.describeSubnets(r -> r.filters(f -> f.name("vpc-id").values(vpc))).subnets()
                        .forEach(s -> zonesNeeded.add(s.availabilityZone()));
                zonesNeeded.removeAll(zonesServed);
                uncoveredZones += zonesNeeded.size();
            }
            return new EndpointCheck(duplicates, missing, uncoveredZones);
        }
    }

    // ---------------------------------------------------------------- counting

    /** Every state entered, Map iterations' states included: what Standard bills as transitions. */
    static int transitions(Execution execution) {
        return (int) execution.events().stream().filter(e -> e.type().equals("StateEntered")).count();
    }

    /** The transitions of an execution and of every execution it started (its children, flat), e.g. a batch's or a sweep's. */
    static long transitionsWithChildren(Execution execution) {
        return transitions(execution) + execution.children().values().stream().mapToLong(Scenarios::transitions).sum();
    }

    private static int waitIterations(Execution execution) {
        return (int) execution.events().stream()
                .filter(e -> e.type().equals("StateEntered") && "Wait".equals(e.stateType())).count();
    }

    static JsonNode readDefinition() {
        try {
            return Bench.MAPPER.readTree(LocalWorkflow.repositoryRoot().resolve(LocalWorkflow.DEFINITION).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> difference(List<String> actual, List<String> minimum) {
        List<String> extra = new ArrayList<>(actual);
        minimum.forEach(extra::remove);
        return extra;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> list : lists) {
            all.addAll(list);
        }
        return List.copyOf(all);
    }

    private static void require(Execution execution, String what) {
        if (!execution.succeeded()) {
            throw new IllegalStateException(what + " did not succeed: " + execution.error() + ": " + execution.cause());
        }
    }

    // ---------------------------------------------------------------- seeding (straight to moto, not recorded)

    private static String subnetInput(String subnetId) {
        return "{\"subnetId\": \"" + subnetId + "\"}";
    }

    private static String instanceEvent(String instanceId) {
        try {
            String event = Files.readString(LocalWorkflow.repositoryRoot().resolve("events/instance-running.json"));
            return event.replace("i-0abc1234def567890", instanceId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
