package ssmreach.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Route changes as they reach the workflow in AWS, through the trigger queue: a NAT route deleted
 * leaves its subnet isolated, and the route event has it remediated; the same subnet's table then
 * gains an internet route, and the route event re-tags it public while everything created for it
 * stays. Only the subnets of the changed table are evaluated; a table gone since is reported.
 */
@ExtendWith(LocalAwsExtension.class)
class RouteChangesIT {
    private static final String GONE_TABLE = "rtb-0000000000000000f";

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private LocalWorkflow workflow;
    private TriggerDelivery delivery;

    RouteChangesIT(LocalAws aws) {
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
        delivery.put(SampleEvents.deleteRoute(GONE_TABLE));

        Execution isolated = delivery.pump(workflow).orElseThrow();

        assertTrue(isolated.succeeded(), isolated::toString);
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "GroupTargets", "TakeTurn", "MyTurn", "EachVpc", "BatchDone"),
                isolated.path());
        assertEquals(Map.of(vpc, "remediated"), outcomes(isolated));
        assertEquals(List.of("route table " + GONE_TABLE + " no longer exists"),
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
        assertEquals(Map.of(vpc, "skipped"), outcomes(gained));
        assertEquals(List.of(), strings(gained.output().path("ignoredRouteChanges")));
        assertEquals("public", ownTags(subnet).get("ssm-reach:route"), "re-tagged with what it has now");
        assertEquals("out-of-scope", ownTags(subnet).get("ssm-reach:status"));
        Map<String, VpcEndpoint> after = endpoints(vpc);
        assertEquals(created.keySet(), after.keySet(), "no endpoint removed or added");
        after.values().forEach(endpoint -> assertEquals("available", endpoint.stateAsString(), endpoint.vpcEndpointId()));
        assertEquals(List.of(table), s3Gateway(after).routeTableIds(), "the route table stays on the S3 gateway");
        assertTrue(delivery.pump(workflow).isEmpty(), "the queue is empty");
    }

    /** Each VPC's outcome as its execution published it. */
    private static Map<String, String> outcomes(Execution batch) {
        Map<String, String> outcomes = new TreeMap<>();
        batch.children().forEach((name, child) -> {
            assertTrue(child.succeeded(), () -> name + ": " + child);
            outcomes.put(child.output().path("vpcId").asText(), child.output().path("outcome").asText());
        });
        return outcomes;
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

    private Set<String> services(String vpc) {
        return endpoints(vpc).values().stream().map(e -> e.serviceName().substring(e.serviceName().lastIndexOf('.') + 1))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private Map<String, String> ownTags(String subnet) {
        return ec2.describeSubnets(r -> r.subnetIds(subnet)).subnets().getFirst().tags().stream()
                .filter(t -> t.key().startsWith("ssm-reach:")).collect(Collectors.toMap(Tag::key, Tag::value));
    }
}
