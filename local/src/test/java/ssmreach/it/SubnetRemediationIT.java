package ssmreach.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.local.World;

/**
 * The subnet half end to end: the real workflow definition and handlers against the emulator,
 * asserting on the emulator's state afterwards.
 */
@ExtendWith(LocalAwsExtension.class)
class SubnetRemediationIT {
    private static final String PREFIX = "com.amazonaws.us-east-1.";

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private LocalWorkflow workflow;
    private String vpc;

    SubnetRemediationIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    @BeforeEach
    void setUp() {
        String topic = aws.inspectSns().createTopic(r -> r.name("ssm-reach-results")).topicArn();
        workflow = new LocalWorkflow(aws, LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic)));
        vpc = world.vpc("10.0.0.0/16");
        ec2.associateVpcCidrBlock(r -> r.vpcId(vpc).cidrBlock("10.1.0.0/16"));
    }

    @AfterEach
    void tearDown() {
        workflow.close();
    }

    @Test
    void isolatedSubnetGetsEndpointsWithPrivateDnsInItsZone() {
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");

        JsonNode result = run("{\"subnetId\": \"" + subnet + "\"}");

        assertEquals("remediated", result.path("outcome").asText());
        List<VpcEndpoint> interfaces = endpoints("Interface");
        assertEquals(Set.of("ssm", "ssmmessages", "ec2messages"), services(interfaces));
        SecurityGroup group = managedGroup();
        for (VpcEndpoint endpoint : interfaces) {
            assertTrue(endpoint.privateDnsEnabled(), endpoint.serviceName() + " has private DNS");
            assertEquals(List.of(subnet), endpoint.subnetIds());
            assertEquals(List.of(group.groupId()), endpoint.groups().stream().map(g -> g.groupId()).toList());
        }
        assertEquals(Set.of("10.0.0.0/16", "10.1.0.0/16"), httpsSources(group));
        assertEquals(1, group.ipPermissions().size(), "nothing but TCP 443");
        assertTrue(dnsAttribute(VpcAttributeName.ENABLE_DNS_SUPPORT) && dnsAttribute(VpcAttributeName.ENABLE_DNS_HOSTNAMES));
        VpcEndpoint s3 = endpoints("Gateway").getFirst();
        assertEquals(PREFIX + "s3", s3.serviceName());
        assertEquals(List.of(world.mainRouteTable(vpc)), s3.routeTableIds());
        assertEquals(Map.of("ssm-reach:route", "isolated", "ssm-reach:status", "reachable",
                "ssm-reach:endpoints", "ec2messages,s3,ssm,ssmmessages"), ownTags(subnet));
        assertEquals(3 * 0.01 * 730, result.path("monthlyCostAddedUsd").asDouble(), 1e-9);
    }

    @Test
    void cloudTrailCreateSubnetEventStartsTheSameRemediation() {
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String event = """
                {"version": "0", "id": "6f4b1b1e-0d5b-4f0c-9b43-3e0e1b2a7c11", "detail-type": "AWS API Call via CloudTrail",
                 "source": "aws.ec2", "account": "123456789012", "time": "2026-11-28T10:00:00Z", "region": "us-east-1",
                 "resources": [], "detail": {"eventVersion": "1.09", "eventSource": "ec2.amazonaws.com",
                 "eventName": "CreateSubnet", "awsRegion": "us-east-1",
                 "responseElements": {"subnet": {"subnetId": "%s", "vpcId": "%s", "availabilityZone": "us-east-1a"}}}}
                """.formatted(subnet, vpc);

        JsonNode result = run(event);

        assertEquals("CreateSubnet", result.path("source").asText());
        assertEquals("remediated", result.path("outcome").asText());
        assertEquals(3, endpoints("Interface").size());
    }

    @Test
    void publicSubnetIsClassifiedAndTaggedAndNothingElse() {
        String subnet = world.subnet(vpc, "10.0.2.0/24", "us-east-1a");
        world.internetRoute(vpc, world.ownRouteTable(vpc, subnet));
        aws.calls().clear();

        JsonNode result = run("{\"subnetId\": \"" + subnet + "\"}");

        assertEquals("skipped", result.path("outcome").asText());
        assertEquals("public", result.path("subnets").get(0).path("route").asText());
        assertEquals(List.of("CreateTags"), operations(aws.calls().mutatingCalls()));
        assertTrue(endpoints("Interface").isEmpty() && endpoints("Gateway").isEmpty());
        assertTrue(ec2.describeSecurityGroups(r -> r.filters(f -> f.name("group-name").values("ssm-reach-endpoints")))
                .securityGroups().isEmpty());
        assertEquals(Map.of("ssm-reach:route", "public", "ssm-reach:status", "out-of-scope"), ownTags(subnet));
    }

    @Test
    void secondIsolatedSubnetInAnotherZoneExtendsTheSameEndpoints() {
        String first = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        run("{\"subnetId\": \"" + first + "\"}");
        Set<String> ids = endpoints("Interface").stream().map(VpcEndpoint::vpcEndpointId).collect(Collectors.toSet());
        String second = world.subnet(vpc, "10.0.3.0/24", "us-east-1b");

        JsonNode result = run("{\"subnetId\": \"" + second + "\"}");

        assertEquals("remediated", result.path("outcome").asText());
        List<VpcEndpoint> interfaces = endpoints("Interface");
        assertEquals(ids, interfaces.stream().map(VpcEndpoint::vpcEndpointId).collect(Collectors.toSet()), "none duplicated");
        interfaces.forEach(e -> assertEquals(new TreeSet<>(List.of(first, second)), new TreeSet<>(e.subnetIds())));
        assertEquals(1, endpoints("Gateway").size());
        assertEquals(1, ec2.describeSecurityGroups(r -> r.filters(f -> f.name("group-name").values("ssm-reach-endpoints")))
                .securityGroups().size());
        assertEquals(3, result.path("endpointZonesAdded").asInt(), "one new zone on each of the three endpoints");
    }

    @Test
    void rerunOfARemediatedSubnetMakesNoMutatingCall() {
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        run("{\"subnetId\": \"" + subnet + "\"}");
        aws.calls().clear();

        JsonNode result = run("{\"subnetId\": \"" + subnet + "\"}");

        assertEquals("compliant", result.path("outcome").asText());
        assertEquals(List.of(), operations(aws.calls().mutatingCalls()));
        assertFalse(aws.calls().calls().isEmpty(), "it did look");
    }

    @Test
    void dryRunMutatesNothingAndPlansEveryActionOfTheRealRun() {
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        aws.calls().clear();

        JsonNode plan = run("{\"subnetId\": \"" + subnet + "\", \"dryRun\": true}");

        assertEquals("planned", plan.path("outcome").asText());
        assertEquals(List.of(), operations(aws.calls().mutatingCalls()));
        assertTrue(aws.calls().calls().stream().anyMatch(c -> c.dryRun() && c.operation().equals("CreateVpcEndpoint")),
                "permissions proven with DryRun");
        assertTrue(endpoints("Interface").isEmpty() && endpoints("Gateway").isEmpty());
        assertFalse(dnsAttribute(VpcAttributeName.ENABLE_DNS_HOSTNAMES));
        assertTrue(ownTags(subnet).isEmpty());
        plan.path("actions").forEach(a -> assertTrue(a.path("planned").asBoolean()));

        JsonNode real = run("{\"subnetId\": \"" + subnet + "\"}");

        assertEquals(actions(real), actions(plan));
        assertEquals(real.path("monthlyCostAddedUsd").asDouble(), plan.path("monthlyCostAddedUsd").asDouble(), 1e-9);
    }

    private JsonNode run(String input) {
        Execution execution = workflow.execute(input);
        assertTrue(execution.succeeded(), () -> "execution " + execution.status() + ": " + execution.error() + " "
                + execution.events().stream().filter(e -> e.error() != null).map(e -> e.json().toString()).toList());
        return execution.output();
    }

    private List<VpcEndpoint> endpoints(String type) {
        return ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints().stream()
                .filter(e -> type.equals(e.vpcEndpointTypeAsString())).toList();
    }

    private static Set<String> services(List<VpcEndpoint> endpoints) {
        return endpoints.stream().map(e -> e.serviceName().substring(PREFIX.length())).collect(Collectors.toSet());
    }

    private SecurityGroup managedGroup() {
        List<SecurityGroup> groups = ec2.describeSecurityGroups(r -> r.filters(f -> f.name("vpc-id").values(vpc),
                f -> f.name("tag:ssm-reach:managed").values("true"))).securityGroups();
        assertEquals(1, groups.size(), "one managed group per VPC");
        return groups.getFirst();
    }

    private static Set<String> httpsSources(SecurityGroup group) {
        Set<String> sources = new TreeSet<>();
        for (IpPermission p : group.ipPermissions()) {
            assertEquals("tcp", p.ipProtocol());
            assertEquals(443, p.fromPort());
            assertEquals(443, p.toPort());
            p.ipRanges().forEach(r -> sources.add(r.cidrIp()));
            p.ipv6Ranges().forEach(r -> sources.add(r.cidrIpv6()));
        }
        return sources;
    }

    private boolean dnsAttribute(VpcAttributeName name) {
        var answer = ec2.describeVpcAttribute(r -> r.vpcId(vpc).attribute(name));
        return name == VpcAttributeName.ENABLE_DNS_SUPPORT ? answer.enableDnsSupport().value() : answer.enableDnsHostnames().value();
    }

    private Map<String, String> ownTags(String subnet) {
        return ec2.describeSubnets(r -> r.subnetIds(subnet)).subnets().getFirst().tags().stream()
                .filter(t -> t.key().startsWith("ssm-reach:")).collect(Collectors.toMap(Tag::key, Tag::value));
    }

    private static List<String> operations(List<CallLog.Call> calls) {
        return calls.stream().map(CallLog.Call::operation).toList();
    }

    /** What an action does, without the resource id (a plan cannot know ids not yet created). */
    private static Set<String> actions(JsonNode result) {
        Set<String> actions = new TreeSet<>();
        result.path("actions").forEach(a -> actions.add(a.path("operation").asText() + ": " + a.path("detail").asText()));
        return actions;
    }
}
