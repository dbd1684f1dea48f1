package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.local.World;

/** EventBridge delivers at least once: the same CreateSubnet event twice is one remediation's worth of change. */
@ExtendWith(LocalAwsExtension.class)
class DuplicateDeliveryIT {
    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private StrictStack stack;
    private LocalWorkflow workflow;

    DuplicateDeliveryIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    @BeforeEach
    void setUp() {
        stack = new StrictStack(aws, StrictEc2Rules.Config.AWS, FaultInjector.none());
        workflow = stack.workflow();
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    @Test
    void sameEventDeliveredAgainLaterChangesNothing() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String event = Audit.createSubnetEvent(subnet, vpc, "us-east-1a");

        Execution first = workflow.execute(event);
        List<String> firstMutations = operations(stack.calls.mutatingCalls());
        Audit.safety(stack.calls, ec2, vpc);
        stack.calls.clear();
        Execution second = workflow.execute(event);

        assertTrue(first.succeeded() && second.succeeded(), () -> Audit.describe(first) + " / " + Audit.describe(second));
        assertEquals("remediated", first.output().path("outcome").asText());
        assertEquals("compliant", second.output().path("outcome").asText());
        assertTrue(!firstMutations.isEmpty());
        assertEquals(List.of(), operations(stack.calls.mutatingCalls()), "the second delivery mutates nothing");
        Audit.converged(Audit.endState(ec2, vpc), Set.of("us-east-1a"));
        Audit.safety(stack.calls, ec2, vpc);
    }

    @Test
    void sameEventDeliveredTwiceAtOnceEndsAsOneDelivery() {
        String reference = world.vpc("10.0.0.0/16");
        String referenceSubnet = world.subnet(reference, "10.0.1.0/24", "us-east-1a");
        Execution single = workflow.execute(Audit.createSubnetEvent(referenceSubnet, reference, "us-east-1a"));
        assertTrue(single.succeeded(), () -> Audit.describe(single));
        List<String> referenceMutations = operations(stack.calls.mutatingCalls());
        stack.calls.clear();

        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String event = Audit.createSubnetEvent(subnet, vpc, "us-east-1a");
        List<Execution> twice = Concurrent.runConcurrently(workflow, List.of(event, event));

        twice.forEach(e -> assertTrue(e.succeeded(), () -> Audit.describe(e)));
        Audit.converged(Audit.endState(ec2, vpc), Set.of("us-east-1a"));
        assertEquals(shape(reference, referenceSubnet), shape(vpc, subnet), "the same resources as one delivery");
        Audit.safety(stack.calls, ec2, vpc);
        List<String> duplicateMutations = operations(stack.calls.mutatingCalls());
        assertTrue(new TreeSet<>(referenceMutations).containsAll(duplicateMutations),
                "no kind of change one delivery does not make: " + duplicateMutations + " vs " + referenceMutations);
        System.out.printf("[reliability] duplicate delivery at once: %s; mutating calls sent %d (one delivery: %d)%n",
                Concurrent.outcomes(twice), duplicateMutations.size(), referenceMutations.size());
    }

    /** What a VPC holds, without ids: endpoints by service and type with their zone count, groups and rules, subnet tags. */
    private Map<String, Object> shape(String vpc, String subnet) {
        Map<String, Object> shape = new TreeMap<>();
        ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints().forEach(e ->
                shape.merge("endpoint " + e.vpcEndpointTypeAsString() + " " + e.serviceName() + " subnets=" + e.subnetIds().size()
                        + " tables=" + e.routeTableIds().size() + " dns=" + e.privateDnsEnabled(), 1, (a, b) -> (Integer) a + (Integer) b));
        for (SecurityGroup group : ec2.describeSecurityGroups(r -> r.filters(f -> f.name("vpc-id").values(vpc))).securityGroups()) {
            shape.merge("group " + group.groupName() + " rules=" + group.ipPermissions().stream()
                    .mapToInt(p -> p.ipRanges().size() + p.ipv6Ranges().size() + p.userIdGroupPairs().size()).sum(), 1,
                    (a, b) -> (Integer) a + (Integer) b);
        }
        shape.put("subnet tags", ec2.describeSubnets(r -> r.subnetIds(subnet)).subnets().getFirst().tags().stream()
                .collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> a, TreeMap::new)));
        return shape;
    }

    private static List<String> operations(List<CallLog.Call> calls) {
        return calls.stream().map(CallLog.Call::operation).toList();
    }
}
