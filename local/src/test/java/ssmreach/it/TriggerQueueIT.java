package ssmreach.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.SampleEvents;
import ssmreach.local.TriggerDelivery;
import ssmreach.local.World;
import ssmreach.testing.LocalAwsExtension;

/**
 * Events as they reach the workflow in AWS: through the trigger queue and the pipe, in batches.
 * A batch with events of two VPCs runs one execution per VPC, each handing its waits to one more;
 * batches run one at a time; an event the pipe cannot start an execution with ends in the
 * dead-letter queue, and once redriven it is remediated; route changes re-evaluate the subnets of
 * their table.
 */
@ExtendWith(LocalAwsExtension.class)
class TriggerQueueIT {
    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private LocalWorkflow workflow;
    private TriggerDelivery delivery;

    TriggerQueueIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    @BeforeEach
    void setUp() {
        LocalFunctions.createInstanceProfile(aws.inspectIam());
        String topic = aws.inspectSns().createTopic(r -> r.name("ssm-reach-results")).topicArn();
        workflow = new LocalWorkflow(aws, LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic)));
        delivery = TriggerDelivery.create(aws.inspectSqs(), LocalWorkflow.template(), 1);
    }

    @AfterEach
    void tearDown() {
        workflow.close();
    }

    @Test
    void aBatchRunsOneExecutionPerVpcAndEachEventOnce() throws Exception {
        String vpcA = world.vpc("10.0.0.0/16");
        String subnetA = world.subnet(vpcA, "10.0.1.0/24", "us-east-1a");
        String instanceA = world.instance(subnetA, null);
        String vpcB = world.vpc("10.1.0.0/16");
        String subnetB = world.subnet(vpcB, "10.1.1.0/24", "us-east-1b");
        delivery.put(SampleEvents.createSubnet(subnetA, vpcA, "us-east-1a"));
        delivery.put(SampleEvents.running(instanceA));
        delivery.put(SampleEvents.running(instanceA));
        delivery.put(SampleEvents.createSubnet(subnetB, vpcB, "us-east-1b"));

        Execution batch = delivery.pump(workflow).orElseThrow();

        assertTrue(batch.succeeded(), batch::toString);
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "GroupTargets", "SweepOrBatch", "TakeTurn", "MyTurn", "EachVpc",
                "SweepOrBatchDone", "BatchDone"),
                batch.path());
        assertEquals(Map.of(vpcA, "remediated", vpcB, "remediated"), finalOutcomes(batch));
        assertEquals("waiting", outcomeOf(batch, vpcA), "the VPC with an instance hands its wait for the registration over");
        Execution waits = batch.children().entrySet().stream().filter(c -> c.getKey().startsWith(vpcA + "-waits-")).findFirst()
                .orElseThrow().getValue();
        assertEquals("Online", waits.output().path("instances").get(0).path("registration").asText(), waits::toString);
        for (String vpc : List.of(vpcA, vpcB)) {
            assertEquals(Set.of("ssm", "ssmmessages", "ec2messages", "s3"), services(vpc), vpc);
        }
        assertEquals(1, ec2.describeIamInstanceProfileAssociations(r -> r.filters(f -> f.name("instance-id").values(instanceA)))
                .iamInstanceProfileAssociations().size(), "the repeated event counted once");
        assertEquals(Optional.empty(), delivery.pump(workflow), "the queue is empty");
    }

    @Test
    void anEventThePipeCannotStartAnExecutionWithIsDeadLetteredThenRedriven() throws Exception {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        delivery.put(SampleEvents.createSubnet(subnet, vpc, "us-east-1a"));
        AtomicInteger refused = new AtomicInteger();
        TriggerDelivery.Starter refusing = (batch, started) -> {
            refused.incrementAndGet();
            throw new TriggerDelivery.Refused("StateMachineDeleting: the state machine is being updated");
        };

        for (int receive = 0; receive <= delivery.maxReceiveCount() && delivery.deadLettered() == 0; receive++) {
            delivery.pump(refusing);
            Thread.sleep(1_100); // the local visibility timeout
        }

        assertEquals(delivery.maxReceiveCount(), refused.get(), "tried as often as the queue's maxReceiveCount");
        assertEquals(1, delivery.deadLettered());
        assertTrue(services(vpc).isEmpty(), "nothing done while refused");

        assertEquals(1, delivery.redrive());
        Execution execution = delivery.pump(workflow).orElseThrow();

        assertTrue(execution.succeeded(), execution::toString);
        assertEquals(Map.of(vpc, "remediated"), finalOutcomes(execution));
        assertTrue(execution.children().keySet().stream().allMatch(name -> name.startsWith(vpc + "-")), "named after the VPC");
        assertEquals(Set.of("ssm", "ssmmessages", "ec2messages", "s3"), services(vpc));
        assertEquals(0, delivery.deadLettered());
    }

    @Test
    void batchesRunOneAtATimeWhileTheirWaitsRunOn() throws Exception {
        List<String> vpcs = List.of(world.vpc("10.0.0.0/16"), world.vpc("10.1.0.0/16"));
        // The first batch's profile step answers only once the second batch was told to wait: they overlap, whatever the speed.
        CountDownLatch secondWaited = new CountDownLatch(1);
        workflow.lambda().onInvocation(invocation -> {
            if (invocation.functionName().equals("TakeTurn") && invocation.output().contains("\"mine\":false")) {
                secondWaited.countDown();
            } else if (invocation.functionName().equals("EnsureInstanceProfile")) {
                await(secondWaited);
            }
        });
        List<Future<Execution>> batches = new ArrayList<>();
        try (ExecutorService pipe = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int n = 0; n < vpcs.size(); n++) {
                String subnet = world.subnet(vpcs.get(n), "10." + n + ".1.0/24", "us-east-1a");
                delivery.put(SampleEvents.running(world.instance(subnet, null)));
                // The pipe starts the second batch while the first runs (a burst longer than its window).
                batches.add(pipe.submit(() -> delivery.pump(workflow).orElseThrow()));
                Thread.sleep(2_000);
            }
        }
        Execution first = batches.get(0).get();
        Execution second = batches.get(1).get();

        assertTrue(first.succeeded() && second.succeeded(), () -> first + "\n" + second);
        Instant firstEnded = end(first);
        Instant secondWent = second.events("StateEntered", "EachVpc").getFirst().timestamp();
        assertTrue(second.path().contains("WaitForTurn"), "the second batch waited: " + second.path());
        assertTrue(!secondWent.isBefore(firstEnded), "the second batch's VPCs started at " + secondWent + ", the first batch ended at "
                + firstEnded);
        Instant firstWaitsEnded = end(first.children().entrySet().stream().filter(c -> c.getKey().contains("-waits-")).findFirst()
                .orElseThrow().getValue());
        assertTrue(secondWent.isBefore(firstWaitsEnded), "the first batch's wait for registration did not hold the second: "
                + secondWent + " vs " + firstWaitsEnded);
        assertEquals(Map.of(vpcs.get(0), "remediated"), finalOutcomes(first));
        assertEquals(Map.of(vpcs.get(1), "remediated"), finalOutcomes(second));
        assertTrue(aws.executions().all().stream().noneMatch(e -> e.status().equals("RUNNING")), "every execution listed as ended");
    }

    /**
     * A NAT route deleted leaves its subnet isolated: the route event has it remediated (only the
     * subnets of the changed table are evaluated; a table gone since is reported). Its table then
     * gains an internet route: the route event re-tags it public and everything made for it stays.
     */
    @Test
    void aDeletedNatRouteIsRemediatedAndAGainedInternetRouteRemovesNothing() throws Exception {
        String vpc = world.vpc("10.0.0.0/16");
        String publicSubnet = world.subnet(vpc, "10.0.0.0/24", "us-east-1a");
        String igw = world.internetRoute(vpc, world.ownRouteTable(vpc, publicSubnet));
        String allocation = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
        String nat = ec2.createNatGateway(r -> r.subnetId(publicSubnet).allocationId(allocation)).natGateway().natGatewayId();
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String table = world.ownRouteTable(vpc, subnet);
        ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").natGatewayId(nat));

        // The NAT route goes: the subnet has no way out any more.
        ec2.deleteRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0"));
        delivery.put(SampleEvents.deleteRoute(table));
        delivery.put(SampleEvents.deleteRoute("rtb-0000000000000000f"));

        Execution isolated = delivery.pump(workflow).orElseThrow();

        assertTrue(isolated.succeeded(), isolated::toString);
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "GroupTargets", "SweepOrBatch", "TakeTurn", "MyTurn", "EachVpc",
                "SweepOrBatchDone", "BatchDone"),
                isolated.path());
        assertEquals(Map.of(vpc, "remediated"), finalOutcomes(isolated));
        assertEquals(List.of("route table rtb-0000000000000000f no longer exists"),
                strings(isolated.output().path("ignoredRouteChanges")), "the table gone since is reported, not an error");
        assertEquals(Set.of("ssm", "ssmmessages", "ec2messages", "s3"), services(vpc));
        assertEquals(Map.of("ssm-reach:route", "isolated", "ssm-reach:status", "reachable",
                "ssm-reach:endpoints", "ec2messages,s3,ssm,ssmmessages"), ownTags(subnet));
        assertEquals(Map.of(), ownTags(publicSubnet), "a subnet whose table did not change is not evaluated");
        Map<String, VpcEndpoint> created = endpoints(vpc);
        assertEquals(List.of(table), s3Gateway(created).routeTableIds());

        // Then its table gains a route to the internet gateway.
        ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").gatewayId(igw));
        delivery.put(SampleEvents.createRoute(table, igw));

        Execution gained = delivery.pump(workflow).orElseThrow();

        assertTrue(gained.succeeded(), gained::toString);
        assertEquals(Map.of(vpc, "skipped"), finalOutcomes(gained));
        assertEquals(List.of(), strings(gained.output().path("ignoredRouteChanges")));
        assertEquals("public", ownTags(subnet).get("ssm-reach:route"), "re-tagged with what it has now");
        assertEquals("out-of-scope", ownTags(subnet).get("ssm-reach:status"));
        Map<String, VpcEndpoint> after = endpoints(vpc);
        assertEquals(created.keySet(), after.keySet(), "no endpoint removed or added");
        after.values().forEach(endpoint -> assertEquals("available", endpoint.stateAsString(), endpoint.vpcEndpointId()));
        assertEquals(List.of(table), s3Gateway(after).routeTableIds(), "the route table stays on the S3 gateway");
        assertTrue(delivery.pump(workflow).isEmpty(), "the queue is empty");
    }

    private static List<String> strings(JsonNode array) {
        assertTrue(array.isArray(), () -> "not a list: " + array);
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private Map<String, VpcEndpoint> endpoints(String vpc) {
        return ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints().stream()
                .collect(Collectors.toMap(VpcEndpoint::vpcEndpointId, e -> e, (a, b) -> a, TreeMap::new));
    }

    private static VpcEndpoint s3Gateway(Map<String, VpcEndpoint> endpoints) {
        return endpoints.values().stream().filter(e -> e.serviceName().endsWith(".s3")).findFirst().orElseThrow();
    }

    private Map<String, String> ownTags(String subnet) {
        return ec2.describeSubnets(r -> r.subnetIds(subnet)).subnets().getFirst().tags().stream()
                .filter(t -> t.key().startsWith("ssm-reach:")).collect(Collectors.toMap(Tag::key, Tag::value));
    }

    /** A batch's VPC executions, each as its batch saw it end ("waiting": it handed its waits over). */
    private static String outcomeOf(Execution batch, String vpc) {
        for (JsonNode result : batch.output().path("vpcs")) {
            if (result.path("vpcId").asText().equals(vpc)) {
                return result.path("outcome").asText();
            }
        }
        throw new AssertionError(vpc + " is not in the batch's output " + batch.output());
    }

    /** Each VPC's outcome as its last execution (the one that waited, if one did: it started later) published it. */
    private static Map<String, String> finalOutcomes(Execution batch) {
        Map<String, String> outcomes = new TreeMap<>();
        batch.children().forEach((name, child) -> {
            assertTrue(child.succeeded(), () -> name + ": " + child);
            outcomes.put(child.output().path("vpcId").asText(), child.output().path("outcome").asText());
        });
        assertTrue(outcomes.values().stream().noneMatch("waiting"::equals), () -> "a handed-over wait did not end: " + outcomes);
        return outcomes;
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(60, TimeUnit.SECONDS), "the second batch never asked for its turn");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Instant end(Execution execution) {
        return execution.events().stream().filter(e -> e.type().equals("ExecutionSucceeded")).reduce((a, b) -> b).orElseThrow().timestamp();
    }

    private Set<String> services(String vpc) {
        Set<String> services = new TreeSet<>();
        for (VpcEndpoint endpoint : ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints()) {
            services.add(endpoint.serviceName().substring(endpoint.serviceName().lastIndexOf('.') + 1));
        }
        return services;
    }
}
