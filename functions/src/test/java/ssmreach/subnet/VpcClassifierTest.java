package ssmreach.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Route;
import software.amazon.awssdk.services.ec2.model.RouteState;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Vpc;
import software.amazon.awssdk.services.ec2.model.VpcCidrBlockAssociation;
import software.amazon.awssdk.services.ec2.model.VpcCidrBlockState;
import software.amazon.awssdk.services.ec2.model.VpcCidrBlockStateCode;
import software.amazon.awssdk.services.ec2.model.VpcIpv6CidrBlockAssociation;
import ssmreach.contract.Finding;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.VpcClassification;
import ssmreach.TestInputs;
import ssmreach.core.Settings;

class VpcClassifierTest {
    static final String VPC_ID = "vpc-0a1b2c3d4e5f60718";
    static final String ISO_1A_HIGH = "subnet-0f000000000000001";   // main table
    static final String ISO_1A_LOW = "subnet-01000000000000001";    // explicit isolated table
    static final String EGRESS_1B = "subnet-02000000000000002";     // explicit NAT table
    static final String PUBLIC_1C = "subnet-03000000000000003";     // explicit IGW table
    static final String ISO_1B = "subnet-05000000000000005";        // main table

    static Settings settings(Map<String, String> extra) {
        return TestInputs.settings(extra);
    }

    static Tag tag(String key, String value) {
        return Tag.builder().key(key).value(value).build();
    }

    static VpcCidrBlockAssociation ipv4(String cidr, VpcCidrBlockStateCode state) {
        return VpcCidrBlockAssociation.builder().cidrBlock(cidr).cidrBlockState(VpcCidrBlockState.builder().state(state).build()).build();
    }

    static VpcIpv6CidrBlockAssociation ipv6(String cidr, VpcCidrBlockStateCode state) {
        return VpcIpv6CidrBlockAssociation.builder().ipv6CidrBlock(cidr)
                .ipv6CidrBlockState(VpcCidrBlockState.builder().state(state).build()).build();
    }

    static Vpc vpc(Tag... tags) {
        return Vpc.builder().vpcId(VPC_ID).cidrBlock("10.0.0.0/16")
                .cidrBlockAssociationSet(ipv4("10.0.0.0/16", VpcCidrBlockStateCode.ASSOCIATED),
                        ipv4("10.1.0.0/16", VpcCidrBlockStateCode.ASSOCIATED),
                        ipv4("10.2.0.0/16", VpcCidrBlockStateCode.DISASSOCIATED))
                .ipv6CidrBlockAssociationSet(ipv6("2600:1f18:abc:de00::/56", VpcCidrBlockStateCode.ASSOCIATED),
                        ipv6("2600:1f18:fff:0::/56", VpcCidrBlockStateCode.DISASSOCIATED))
                .tags(tags).build();
    }

    static Subnet subnet(String id, String zone, String cidr, Tag... tags) {
        return Subnet.builder().subnetId(id).vpcId(VPC_ID).availabilityZone(zone).cidrBlock(cidr).tags(tags).build();
    }

    static List<Subnet> subnets(Tag... lowIsolatedTags) {
        // Deliberately not in id order: the classifier must not depend on EC2's order.
        return List.of(
                subnet(ISO_1A_HIGH, "us-east-1a", "10.0.1.0/24"),
                subnet(PUBLIC_1C, "us-east-1c", "10.0.3.0/24"),
                subnet(ISO_1A_LOW, "us-east-1a", "10.0.4.0/24", lowIsolatedTags),
                subnet(ISO_1B, "us-east-1b", "10.1.5.0/24"),
                subnet(EGRESS_1B, "us-east-1b", "10.0.2.0/24"));
    }

    static RouteTableAssociation explicit(String table, String subnetId) {
        return RouteTableAssociation.builder().routeTableId(table).subnetId(subnetId).main(false).build();
    }

    static final Route LOCAL = Route.builder().destinationCidrBlock("10.0.0.0/16").gatewayId("local").state(RouteState.ACTIVE).build();

    static List<RouteTable> tables() {
        return List.of(
                RouteTable.builder().routeTableId("rtb-main").vpcId(VPC_ID).routes(LOCAL)
                        .associations(RouteTableAssociation.builder().routeTableId("rtb-main").main(true).build()).build(),
                RouteTable.builder().routeTableId("rtb-iso").vpcId(VPC_ID)
                        .routes(LOCAL, Route.builder().destinationPrefixListId("pl-63a5400a").gatewayId("vpce-0123456789abcdef0")
                                .state(RouteState.ACTIVE).build())
                        .associations(explicit("rtb-iso", ISO_1A_LOW)).build(),
                RouteTable.builder().routeTableId("rtb-nat").vpcId(VPC_ID)
                        .routes(LOCAL, Route.builder().destinationCidrBlock("0.0.0.0/0").natGatewayId("nat-0123").state(RouteState.ACTIVE).build())
                        .associations(explicit("rtb-nat", EGRESS_1B)).build(),
                RouteTable.builder().routeTableId("rtb-pub").vpcId(VPC_ID)
                        .routes(LOCAL, Route.builder().destinationCidrBlock("0.0.0.0/0").gatewayId("igw-0123").state(RouteState.ACTIVE).build())
                        .associations(explicit("rtb-pub", PUBLIC_1C)).build());
    }

    static Map<String, SubnetClassification> byId(VpcClassification classification) {
        return classification.subnets().stream().collect(Collectors.toMap(SubnetClassification::subnetId, Function.identity()));
    }

    private final VpcClassifier isolatedScope = new VpcClassifier(settings(Map.of()));
    private final VpcClassifier egressScope = new VpcClassifier(settings(Map.of("SCOPE", "isolated-and-egress")));

    @Test
    void explicitAssociationWinsOverTheMainTable() {
        Map<String, SubnetClassification> subnets = byId(isolatedScope.classify(vpc(), subnets(), tables(), List.of()));

        assertEquals("rtb-iso", subnets.get(ISO_1A_LOW).routeTableId());
        assertTrue(subnets.get(ISO_1A_LOW).explicitRouteTable());
        assertEquals("rtb-main", subnets.get(ISO_1A_HIGH).routeTableId());
        assertFalse(subnets.get(ISO_1A_HIGH).explicitRouteTable());
        assertEquals("rtb-pub", subnets.get(PUBLIC_1C).routeTableId());
        assertEquals(ssmreach.contract.Route.PUBLIC, subnets.get(PUBLIC_1C).route());
    }

    @Test
    void mainTableDecidesForSubnetsWithoutAssociation() {
        List<RouteTable> publicMain = List.of(RouteTable.builder().routeTableId("rtb-main").vpcId(VPC_ID)
                .routes(LOCAL, Route.builder().destinationCidrBlock("0.0.0.0/0").gatewayId("igw-0123").state(RouteState.ACTIVE).build())
                .associations(RouteTableAssociation.builder().routeTableId("rtb-main").main(true).build()).build());

        VpcClassification result = isolatedScope.classify(vpc(), List.of(subnet(ISO_1A_HIGH, "us-east-1a", "10.0.1.0/24")),
                publicMain, List.of(ISO_1A_HIGH));

        SubnetClassification subnet = result.subnets().getFirst();
        assertEquals(ssmreach.contract.Route.PUBLIC, subnet.route());
        assertEquals("igw-0123", subnet.defaultRouteTarget());
        assertEquals(SubnetStatus.OUT_OF_SCOPE, subnet.status());
        assertFalse(result.anyInScope());
    }

    @Test
    void noTableAtAllIsIsolated() {
        VpcClassification result = isolatedScope.classify(vpc(), List.of(subnet(ISO_1A_HIGH, "us-east-1a", "10.0.1.0/24")),
                List.of(), List.of(ISO_1A_HIGH));

        SubnetClassification subnet = result.subnets().getFirst();
        assertEquals(ssmreach.contract.Route.ISOLATED, subnet.route());
        assertNull(subnet.routeTableId());
        assertEquals(SubnetStatus.IN_SCOPE, subnet.status());
        assertEquals(List.of(), result.endpointRouteTables());
    }

    @Test
    void isolatedScopeTakesOnlyIsolatedSubnets() {
        Map<String, SubnetClassification> subnets = byId(isolatedScope.classify(vpc(), subnets(), tables(), List.of()));

        assertEquals(SubnetStatus.IN_SCOPE, subnets.get(ISO_1A_LOW).status());
        assertEquals(SubnetStatus.IN_SCOPE, subnets.get(ISO_1A_HIGH).status());
        assertEquals(SubnetStatus.IN_SCOPE, subnets.get(ISO_1B).status());
        SubnetClassification egress = subnets.get(EGRESS_1B);
        assertEquals(ssmreach.contract.Route.EGRESS, egress.route());
        assertEquals("nat-0123", egress.defaultRouteTarget());
        assertEquals(SubnetStatus.OUT_OF_SCOPE, egress.status());
        assertTrue(egress.reason().contains("nat-0123") && egress.reason().contains("scope"), egress.reason());
        assertEquals(SubnetStatus.OUT_OF_SCOPE, subnets.get(PUBLIC_1C).status());
    }

    @Test
    void isolatedAndEgressScopeAlsoTakesEgressSubnetsButNeverPublicOnes() {
        Map<String, SubnetClassification> subnets = byId(egressScope.classify(vpc(), subnets(), tables(), List.of()));

        assertEquals(SubnetStatus.IN_SCOPE, subnets.get(EGRESS_1B).status());
        assertEquals(SubnetStatus.IN_SCOPE, subnets.get(ISO_1A_LOW).status());
        assertEquals(SubnetStatus.OUT_OF_SCOPE, subnets.get(PUBLIC_1C).status());
    }

    @Test
    void endpointSubnetsAreTheLowestInScopeIdPerZone() {
        VpcClassification isolated = isolatedScope.classify(vpc(), subnets(), tables(), List.of(ISO_1A_HIGH));
        VpcClassification egress = egressScope.classify(vpc(), subnets(), tables(), List.of(ISO_1A_HIGH));

        assertEquals(Map.of("us-east-1a", ISO_1A_LOW, "us-east-1b", ISO_1B), isolated.endpointSubnets());
        assertEquals(Map.of("us-east-1a", ISO_1A_LOW, "us-east-1b", EGRESS_1B), egress.endpointSubnets());
    }

    @Test
    void endpointRouteTablesAreThoseOfAllInScopeSubnets() {
        VpcClassification isolated = isolatedScope.classify(vpc(), subnets(), tables(), List.of(ISO_1A_HIGH));
        VpcClassification egress = egressScope.classify(vpc(), subnets(), tables(), List.of(ISO_1A_HIGH));

        assertEquals(List.of("rtb-iso", "rtb-main"), isolated.endpointRouteTables());
        assertEquals(List.of("rtb-iso", "rtb-main", "rtb-nat"), egress.endpointRouteTables());
    }

    @Test
    void targetsAreOnlyTheNamedSubnetsAndDecideAnyInScope() {
        VpcClassification result = isolatedScope.classify(vpc(), subnets(), tables(), List.of(PUBLIC_1C));

        assertEquals(List.of(PUBLIC_1C), result.subnets().stream().map(SubnetClassification::subnetId).toList());
        assertFalse(result.anyInScope());
        assertFalse(result.endpointSubnets().isEmpty(), "hosts are still chosen from the whole VPC");
    }

    @Test
    void noTargetsMeansEverySubnetInIdOrder() {
        VpcClassification result = isolatedScope.classify(vpc(), subnets(), tables(), List.of());

        assertEquals(List.of(ISO_1A_LOW, EGRESS_1B, PUBLIC_1C, ISO_1B, ISO_1A_HIGH),
                result.subnets().stream().map(SubnetClassification::subnetId).toList());
        assertTrue(result.anyInScope());
    }

    @Test
    void targetNotInTheVpcIsGone() {
        String elsewhere = "subnet-0999999999999999a";

        VpcClassification result = isolatedScope.classify(vpc(), subnets(), tables(), List.of(elsewhere, ISO_1A_HIGH));

        assertEquals(SubnetStatus.GONE, result.subnets().getFirst().status());
        assertEquals(elsewhere, result.subnets().getFirst().subnetId());
        assertEquals(SubnetStatus.IN_SCOPE, result.subnets().get(1).status());
        assertTrue(result.anyInScope());
    }

    @Test
    void optOutTagOnTheSubnetSkipsIt() {
        VpcClassification result = isolatedScope.classify(vpc(), subnets(tag("ssm-reach:skip", "true")), tables(), List.of(ISO_1A_LOW));

        SubnetClassification subnet = result.subnets().getFirst();
        assertEquals(SubnetStatus.OPTED_OUT, subnet.status());
        assertTrue(subnet.reason().contains("subnet"), subnet.reason());
        assertFalse(result.anyInScope());
        assertEquals(ISO_1A_HIGH, result.endpointSubnets().get("us-east-1a"), "an opted-out subnet hosts no endpoint");
    }

    @Test
    void optOutTagOnTheVpcSkipsEverySubnet() {
        VpcClassification result = isolatedScope.classify(vpc(tag("ssm-reach:skip", "TRUE")), subnets(), tables(), List.of());

        assertTrue(result.subnets().stream().allMatch(s -> s.status() == SubnetStatus.OPTED_OUT));
        assertTrue(result.subnets().getFirst().reason().contains("VPC"), result.subnets().getFirst().reason());
        assertFalse(result.anyInScope());
        assertTrue(result.endpointSubnets().isEmpty());
        assertTrue(result.endpointRouteTables().isEmpty());
    }

    @Test
    void optOutTagWithAnotherValueDoesNotSkip() {
        VpcClassification result = isolatedScope.classify(vpc(), subnets(tag("ssm-reach:skip", "false")), tables(), List.of(ISO_1A_LOW));

        assertEquals(SubnetStatus.IN_SCOPE, result.subnets().getFirst().status());
    }

    @Test
    void optOutTagKeyIsASetting() {
        VpcClassifier custom = new VpcClassifier(settings(Map.of("OPT_OUT_TAG", "team:no-ssm")));

        VpcClassification defaultKey = custom.classify(vpc(), subnets(tag("ssm-reach:skip", "true")), tables(), List.of(ISO_1A_LOW));
        VpcClassification customKey = custom.classify(vpc(), subnets(tag("team:no-ssm", "true")), tables(), List.of(ISO_1A_LOW));

        assertEquals(SubnetStatus.IN_SCOPE, defaultKey.subnets().getFirst().status());
        assertEquals(SubnetStatus.OPTED_OUT, customKey.subnets().getFirst().status());
    }

    @Test
    void cidrBlocksAreEveryAssociatedIpv4AndIpv6Block() {
        VpcClassification result = isolatedScope.classify(vpc(), subnets(), tables(), List.of());

        assertEquals(List.of("10.0.0.0/16", "10.1.0.0/16", "2600:1f18:abc:de00::/56"), result.cidrBlocks());
    }

    @Test
    void cidrBlocksFallBackToThePrimaryBlock() {
        Vpc bare = Vpc.builder().vpcId(VPC_ID).cidrBlock("172.31.0.0/16").build();

        assertEquals(List.of("172.31.0.0/16"), VpcClassifier.cidrBlocks(bare));
    }

    @Test
    void subnetZonesCoverEverySubnetOfTheVpc() {
        VpcClassification result = isolatedScope.classify(vpc(), subnets(), tables(), List.of(ISO_1A_HIGH));

        assertEquals(Map.of(ISO_1A_HIGH, "us-east-1a", PUBLIC_1C, "us-east-1c", ISO_1A_LOW, "us-east-1a",
                ISO_1B, "us-east-1b", EGRESS_1B, "us-east-1b"), result.subnetZones());
    }

    @Test
    void onlyTheSubnetsOwnSsmReachTagsAreCarried() {
        VpcClassification result = isolatedScope.classify(vpc(),
                subnets(tag("ssm-reach:status", "reachable"), tag("Name", "db-a"), tag("ssm-reach:route", "isolated")),
                tables(), List.of(ISO_1A_LOW));

        assertEquals(Map.of("ssm-reach:status", "reachable", "ssm-reach:route", "isolated"), result.subnets().getFirst().tags());
    }

    @Test
    void classificationCarriesZoneAndCidr() {
        SubnetClassification subnet = byId(isolatedScope.classify(vpc(), subnets(), tables(), List.of(ISO_1B))).get(ISO_1B);

        assertEquals("us-east-1b", subnet.availabilityZone());
        assertEquals("10.1.5.0/24", subnet.cidrBlock());
        assertEquals("no 0.0.0.0/0 route", subnet.reason());
    }

    // ---------------------------------------------------------------- routes that carry no IPv4 agent

    static Stream<Arguments> routesThatCarryNoIpv4AgentOrLeaveItAlone() {
        return Stream.of(
                Arguments.of("::/0 to an egress-only internet gateway",
                        Route.builder().destinationIpv6CidrBlock("::/0").egressOnlyInternetGatewayId("eigw-0123"),
                        ssmreach.contract.Route.ISOLATED, null, SubnetStatus.IN_SCOPE, "only ::/0 via eigw-0123; no IPv4 path"),
                Arguments.of("0.0.0.0/0 to a peering connection",
                        Route.builder().destinationCidrBlock("0.0.0.0/0").vpcPeeringConnectionId("pcx-0123"),
                        ssmreach.contract.Route.ISOLATED, null, SubnetStatus.IN_SCOPE,
                        "0.0.0.0/0 via pcx-0123: peering does not route to the internet"),
                Arguments.of("0.0.0.0/0 to a Gateway Load Balancer endpoint",
                        Route.builder().destinationCidrBlock("0.0.0.0/0").gatewayId("vpce-0123456789abcdef0"),
                        ssmreach.contract.Route.EGRESS, "vpce-0123456789abcdef0", SubnetStatus.OUT_OF_SCOPE,
                        "0.0.0.0/0 via vpce-0123456789abcdef0, a Gateway Load Balancer endpoint: traffic is inspected (scope: isolated)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routesThatCarryNoIpv4AgentOrLeaveItAlone")
    void theSubnetsVerdictAndReasonFollowTheRouteTarget(String name, Route.Builder route, ssmreach.contract.Route expected,
                                                       String target, SubnetStatus status, String reason) {
        RouteTable table = RouteTable.builder().routeTableId("rtb-own").vpcId(VPC_ID)
                .routes(LOCAL, route.state(RouteState.ACTIVE).build()).associations(explicit("rtb-own", ISO_1B)).build();

        SubnetClassification subnet = isolatedScope.classify(vpc(), List.of(subnet(ISO_1B, "us-east-1b", "10.1.5.0/24")),
                List.of(table), List.of(ISO_1B)).subnets().getFirst();

        assertEquals(expected, subnet.route());
        assertEquals(target, subnet.defaultRouteTarget());
        assertEquals(status, subnet.status());
        assertEquals(reason, subnet.reason());
    }

    @Test
    void ipv6OnlySubnetIsNotRemediatedAndSaysWhy() {
        Subnet ipv6Only = Subnet.builder().subnetId(ISO_1B).vpcId(VPC_ID).availabilityZone("us-east-1b").ipv6Native(true).build();

        VpcClassification result = egressScope.classify(vpc(), List.of(ipv6Only), tables(), List.of(ISO_1B));

        SubnetClassification subnet = result.subnets().getFirst();
        assertEquals(ssmreach.contract.Route.ISOLATED, subnet.route());
        assertEquals(SubnetStatus.OUT_OF_SCOPE, subnet.status());
        assertTrue(subnet.reason().startsWith("IPv6-only subnet"), subnet.reason());
        assertFalse(result.anyInScope());
        assertTrue(result.endpointSubnets().isEmpty(), "an IPv6-only subnet cannot host IPv4 endpoints");
        assertEquals(List.of("IPV6_ONLY_SUBNET"), result.findings().stream().map(Finding::code).toList());
        assertEquals(Severity.WARNING, result.findings().getFirst().severity());
        assertEquals(ISO_1B, result.findings().getFirst().resource());
    }

    @Test
    void anOptedOutIpv6OnlySubnetIsOnlyOptedOut() {
        Subnet ipv6Only = Subnet.builder().subnetId(ISO_1B).vpcId(VPC_ID).availabilityZone("us-east-1b").ipv6Native(true)
                .tags(tag("ssm-reach:skip", "true")).build();

        VpcClassification result = isolatedScope.classify(vpc(), List.of(ipv6Only), tables(), List.of(ISO_1B));

        assertEquals(SubnetStatus.OPTED_OUT, result.subnets().getFirst().status());
        assertEquals(List.of(), result.findings());
    }

    // ---------------------------------------------------------------- instances without a public IPv4 address

    static Instance instance(String id, String subnetId, String publicIp, InstanceStateName state) {
        return Instance.builder().instanceId(id).subnetId(subnetId).publicIpAddress(publicIp).state(s -> s.name(state)).build();
    }

    static final String PUBLIC_1A = "subnet-06000000000000006";

    /** The usual world, plus a second public subnet in us-east-1a (on the same IGW table). */
    static List<Subnet> withPublic1a() {
        List<Subnet> all = new java.util.ArrayList<>(subnets());
        all.add(subnet(PUBLIC_1A, "us-east-1a", "10.0.6.0/24"));
        return all;
    }

    static List<RouteTable> tablesWithPublic1a() {
        return tables().stream().map(t -> t.routeTableId().equals("rtb-pub")
                ? t.toBuilder().associations(explicit("rtb-pub", PUBLIC_1C), explicit("rtb-pub", PUBLIC_1A)).build() : t).toList();
    }

    @Test
    void instanceWithoutPublicIpv4InAPublicSubnetIsTakenOnWithEndpointsInItsZone() {
        Instance stranded = instance("i-0aaa", PUBLIC_1C, null, InstanceStateName.RUNNING);

        VpcClassification result = isolatedScope.classify(vpc(), subnets(), tables(), List.of(PUBLIC_1C), List.of(stranded));

        assertEquals(List.of(new InstanceTarget("i-0aaa", PUBLIC_1C, "running")), result.instancesWithoutPublicIpv4());
        assertTrue(result.anyInScope(), "the VPC's endpoints are to be ensured for it");
        assertEquals(SubnetStatus.OUT_OF_SCOPE, result.subnets().getFirst().status(), "the subnet itself stays out of scope");
        assertEquals(Map.of("us-east-1a", ISO_1A_LOW, "us-east-1b", ISO_1B, "us-east-1c", PUBLIC_1C), result.endpointSubnets());
        assertEquals(List.of("rtb-iso", "rtb-main"), result.endpointRouteTables(), "the public table stays off the S3 gateway");
        Finding finding = result.findings().getFirst();
        assertEquals("NO_PUBLIC_IPV4", finding.code());
        assertEquals(Severity.INFO, finding.severity());
        assertEquals("i-0aaa", finding.resource());
        assertTrue(finding.message().contains(PUBLIC_1C) && finding.message().contains("us-east-1c"), finding.message());
    }

    @Test
    void aZoneWithAnInScopeSubnetKeepsItsHost() {
        Instance stranded = instance("i-0aaa", PUBLIC_1A, null, InstanceStateName.RUNNING);

        VpcClassification result = isolatedScope.classify(vpc(), withPublic1a(), tablesWithPublic1a(), List.of(PUBLIC_1A),
                List.of(stranded));

        assertEquals(ISO_1A_LOW, result.endpointSubnets().get("us-east-1a"));
        assertEquals(1, result.instancesWithoutPublicIpv4().size());
    }

    @Test
    void instancesWithAPublicIpv4OrNotRunningOrElsewhereAreNotTakenOn() {
        List<Instance> instances = List.of(
                instance("i-0pub", PUBLIC_1C, "198.51.100.7", InstanceStateName.RUNNING),
                instance("i-0stop", PUBLIC_1C, null, InstanceStateName.STOPPED),
                instance("i-0nat", EGRESS_1B, null, InstanceStateName.RUNNING),
                instance("i-0other", PUBLIC_1A, null, InstanceStateName.RUNNING));

        VpcClassification result = isolatedScope.classify(vpc(), withPublic1a(), tablesWithPublic1a(), List.of(PUBLIC_1C, EGRESS_1B),
                instances);

        assertEquals(List.of(), result.instancesWithoutPublicIpv4(), "i-0other is not in a target subnet");
        assertFalse(result.anyInScope());
        assertEquals(List.of(), result.findings());
        assertFalse(result.endpointSubnets().containsKey("us-east-1c"));
    }

    @Test
    void anOptedOutPublicSubnetsInstancesAreLeftAlone() {
        List<Subnet> optedOut = subnets().stream().map(s -> s.subnetId().equals(PUBLIC_1C)
                ? s.toBuilder().tags(tag("ssm-reach:skip", "true")).build() : s).toList();

        VpcClassification result = isolatedScope.classify(vpc(), optedOut, tables(), List.of(PUBLIC_1C),
                List.of(instance("i-0aaa", PUBLIC_1C, null, InstanceStateName.RUNNING)));

        assertEquals(List.of(), result.instancesWithoutPublicIpv4());
        assertFalse(result.anyInScope());
    }

    @Test
    void theLowestPublicSubnetOfAZoneHostsItsEndpoints() {
        String publicHigh = "subnet-0f900000000000009";
        List<Subnet> subnets = List.of(subnet(PUBLIC_1C, "us-east-1c", "10.0.3.0/24"), subnet(publicHigh, "us-east-1c", "10.0.9.0/24"));
        List<RouteTable> tables = List.of(tables().get(0), tables().get(3).toBuilder()
                .associations(explicit("rtb-pub", PUBLIC_1C), explicit("rtb-pub", publicHigh)).build());

        VpcClassification result = isolatedScope.classify(vpc(), subnets, tables, List.of(),
                List.of(instance("i-0bbb", publicHigh, null, InstanceStateName.RUNNING),
                        instance("i-0aaa", PUBLIC_1C, null, InstanceStateName.RUNNING)));

        assertEquals(Map.of("us-east-1c", PUBLIC_1C), result.endpointSubnets());
        assertEquals(List.of(new InstanceTarget("i-0aaa", PUBLIC_1C, "running"), new InstanceTarget("i-0bbb", publicHigh, "running")),
                result.instancesWithoutPublicIpv4());
    }

    @Test
    void publicTargetsAreThePublicSubnetsNotOptedOut() {
        VpcClassification result = isolatedScope.classify(vpc(), withPublic1a(), tablesWithPublic1a(), List.of());

        assertEquals(List.of(PUBLIC_1C, PUBLIC_1A), VpcClassifier.publicTargets(result));
    }
}
