package ssmreach.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ssmreach.contract.Route.EGRESS;
import static ssmreach.contract.Route.ISOLATED;
import static ssmreach.contract.Route.PUBLIC;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Route;
import software.amazon.awssdk.services.ec2.model.RouteState;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.Subnet;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;

class ReachabilityTest {
    static final Route LOCAL = Route.builder().destinationCidrBlock("10.0.0.0/16").gatewayId("local").state(RouteState.ACTIVE).build();
    static final Route LOCAL_V6 = Route.builder().destinationIpv6CidrBlock("2600:1f18:abc:de00::/56").gatewayId("local")
            .state(RouteState.ACTIVE).build();
    static final Subnet DUAL_STACK = Subnet.builder().subnetId("subnet-0123456789abcdef0").cidrBlock("10.0.1.0/24").build();
    static final Subnet IPV6_ONLY = Subnet.builder().subnetId("subnet-0123456789abcdef1").ipv6Native(true).build();

    static Route.Builder anyIpv4() {
        return Route.builder().destinationCidrBlock("0.0.0.0/0").state(RouteState.ACTIVE);
    }

    static Route.Builder anyIpv6() {
        return Route.builder().destinationIpv6CidrBlock("::/0").state(RouteState.ACTIVE);
    }

    static RouteTable table(Route... routes) {
        List<Route> all = new ArrayList<>(List.of(LOCAL, LOCAL_V6));
        all.addAll(List.of(routes));
        return RouteTable.builder().routeTableId("rtb-0123456789abcdef0").vpcId("vpc-0a1b2c3d4e5f60718").routes(all).build();
    }

    static Reachability.Verdict verdict(ssmreach.contract.Route route, String target, String reason) {
        return new Reachability.Verdict(route, target, reason);
    }

    static Stream<Arguments> tables() {
        return Stream.of(
                Arguments.of("internet gateway", table(anyIpv4().gatewayId("igw-0aa").build()),
                        verdict(PUBLIC, "igw-0aa", "0.0.0.0/0 via igw-0aa")),
                Arguments.of("NAT gateway", table(anyIpv4().natGatewayId("nat-0bb").build()),
                        verdict(EGRESS, "nat-0bb", "0.0.0.0/0 via nat-0bb")),
                Arguments.of("transit gateway", table(anyIpv4().transitGatewayId("tgw-0cc").build()),
                        verdict(EGRESS, "tgw-0cc", "0.0.0.0/0 via tgw-0cc")),
                Arguments.of("NAT instance: the instance before its interface",
                        table(anyIpv4().instanceId("i-0dd").networkInterfaceId("eni-0dd").build()),
                        verdict(EGRESS, "i-0dd", "0.0.0.0/0 via i-0dd")),
                Arguments.of("network interface", table(anyIpv4().networkInterfaceId("eni-0ee").build()),
                        verdict(EGRESS, "eni-0ee", "0.0.0.0/0 via eni-0ee")),
                Arguments.of("virtual private gateway", table(anyIpv4().gatewayId("vgw-011").build()),
                        verdict(EGRESS, "vgw-011", "0.0.0.0/0 via vgw-011")),
                Arguments.of("Gateway Load Balancer endpoint", table(anyIpv4().gatewayId("vpce-0a1b2c3d4e5f60718").build()),
                        verdict(EGRESS, "vpce-0a1b2c3d4e5f60718",
                                "0.0.0.0/0 via vpce-0a1b2c3d4e5f60718, a Gateway Load Balancer endpoint: traffic is inspected")),
                Arguments.of("carrier gateway", table(anyIpv4().carrierGatewayId("cagw-0ab").build()),
                        verdict(EGRESS, "cagw-0ab", "0.0.0.0/0 via cagw-0ab")),
                Arguments.of("local gateway", table(anyIpv4().localGatewayId("lgw-0cd").build()),
                        verdict(EGRESS, "lgw-0cd", "0.0.0.0/0 via lgw-0cd")),
                Arguments.of("core network", table(anyIpv4().coreNetworkArn("arn:aws:networkmanager::123456789012:core-network/core-network-0ef").build()),
                        verdict(EGRESS, "arn:aws:networkmanager::123456789012:core-network/core-network-0ef",
                                "0.0.0.0/0 via arn:aws:networkmanager::123456789012:core-network/core-network-0ef")),
                Arguments.of("a target the SDK does not name is left as it is", table(anyIpv4().build()),
                        verdict(EGRESS, null, "0.0.0.0/0 via an unnamed target")),
                Arguments.of("peering connection", table(anyIpv4().vpcPeeringConnectionId("pcx-0ff").build()),
                        verdict(ISOLATED, null, "0.0.0.0/0 via pcx-0ff: peering does not route to the internet")),
                Arguments.of("blackhole", table(anyIpv4().natGatewayId("nat-055").state(RouteState.BLACKHOLE).build()),
                        verdict(ISOLATED, null, "0.0.0.0/0 via nat-055 is a blackhole: its target no longer exists")),
                Arguments.of("blackhole igw", table(anyIpv4().gatewayId("igw-066").state(RouteState.BLACKHOLE).build()),
                        verdict(ISOLATED, null, "0.0.0.0/0 via igw-066 is a blackhole: its target no longer exists")),
                Arguments.of("only ::/0 to an egress-only internet gateway", table(anyIpv6().egressOnlyInternetGatewayId("eigw-022").build()),
                        verdict(ISOLATED, null, "only ::/0 via eigw-022; no IPv4 path")),
                Arguments.of("only ::/0 to an internet gateway", table(anyIpv6().gatewayId("igw-033").build()),
                        verdict(ISOLATED, null, "only ::/0 via igw-033; no IPv4 path")),
                Arguments.of("a blackhole ::/0 is no route either", table(anyIpv6().gatewayId("igw-034").state(RouteState.BLACKHOLE).build()),
                        verdict(ISOLATED, null, "no 0.0.0.0/0 route")),
                Arguments.of("::/0 to an igw does not make NAT egress public", table(anyIpv4().natGatewayId("nat-044").build(),
                        anyIpv6().gatewayId("igw-044").build()), verdict(EGRESS, "nat-044", "0.0.0.0/0 via nat-044")),
                Arguments.of("::/0 to an igw does not make peering a way out", table(anyIpv4().vpcPeeringConnectionId("pcx-045").build(),
                        anyIpv6().gatewayId("igw-045").build()),
                        verdict(ISOLATED, null, "0.0.0.0/0 via pcx-045: peering does not route to the internet")),
                Arguments.of("local routes only", table(), verdict(ISOLATED, null, "no 0.0.0.0/0 route")),
                Arguments.of("gateway endpoint prefix list only", table(Route.builder().destinationPrefixListId("pl-63a5400a")
                        .gatewayId("vpce-0123456789abcdef0").state(RouteState.ACTIVE).build()), verdict(ISOLATED, null, "no 0.0.0.0/0 route")),
                Arguments.of("specific route to igw is no default", table(Route.builder().destinationCidrBlock("198.51.100.0/24")
                        .gatewayId("igw-077").state(RouteState.ACTIVE).build()), verdict(ISOLATED, null, "no 0.0.0.0/0 route")),
                Arguments.of("specific route to peering is no default", table(Route.builder().destinationCidrBlock("10.1.0.0/16")
                        .vpcPeeringConnectionId("pcx-088").state(RouteState.ACTIVE).build()), verdict(ISOLATED, null, "no 0.0.0.0/0 route")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tables")
    void onlyTheActiveIpv4DefaultRouteCounts(String name, RouteTable table, Reachability.Verdict expected) {
        assertEquals(expected, Reachability.of(DUAL_STACK, table));
    }

    @Test
    void routeWithoutStateCountsAsActive() {
        RouteTable table = table(Route.builder().destinationCidrBlock("0.0.0.0/0").natGatewayId("nat-099").build());

        assertEquals(EGRESS, Reachability.of(table).route());
    }

    @Test
    void noTableOrAnEmptyOneIsIsolated() {
        assertEquals(verdict(ISOLATED, null, "no 0.0.0.0/0 route"), Reachability.of(null));
        assertEquals(verdict(ISOLATED, null, "no 0.0.0.0/0 route"), Reachability.of(RouteTable.builder().routeTableId("rtb-0").build()));
    }

    @Test
    void anIpv6OnlySubnetHasNoIpv4PathWhateverItsRoutes() {
        Reachability.Verdict expected = verdict(ISOLATED, null, "IPv6-only subnet: no IPv4 address, so no IPv4 path");

        assertEquals(expected, Reachability.of(IPV6_ONLY, table(anyIpv6().gatewayId("igw-0aa").build())));
        assertEquals(expected, Reachability.of(Subnet.builder().subnetId("subnet-0c").build(), table(anyIpv6().build())));
        assertTrue(Reachability.ipv6Only(IPV6_ONLY));
        assertFalse(Reachability.ipv6Only(DUAL_STACK));
    }

    @Test
    void theIpv6OnlyFindingNamesTheSubnetAndWhatWouldBeNeeded() {
        Finding finding = Reachability.ipv6OnlySubnet(IPV6_ONLY.subnetId());

        assertEquals("IPV6_ONLY_SUBNET", finding.code());
        assertEquals(Severity.WARNING, finding.severity());
        assertEquals(IPV6_ONLY.subnetId(), finding.resource());
        assertTrue(finding.fix().contains("IPv4 CIDR block") && finding.fix().contains("IpAddressType ipv6"), finding.fix());
    }

    // ---------------------------------------------------------------- addresses

    static final Instance WITH_PUBLIC_IPV4 = Instance.builder().instanceId("i-0a").publicIpAddress("198.51.100.7").build();
    static final Instance WITHOUT_PUBLIC_IPV4 = Instance.builder().instanceId("i-0b").privateIpAddress("10.0.1.7").build();
    static final Instance EMPTY_PUBLIC_IPV4 = Instance.builder().instanceId("i-0c").publicIpAddress("").build();

    static Stream<Arguments> addresses() {
        return Stream.of(
                Arguments.of(PUBLIC, WITH_PUBLIC_IPV4, true, false),
                Arguments.of(PUBLIC, WITHOUT_PUBLIC_IPV4, false, true),
                Arguments.of(PUBLIC, EMPTY_PUBLIC_IPV4, false, true),
                Arguments.of(EGRESS, WITHOUT_PUBLIC_IPV4, true, false),
                Arguments.of(EGRESS, WITH_PUBLIC_IPV4, true, false),
                Arguments.of(ISOLATED, WITH_PUBLIC_IPV4, false, false),
                Arguments.of(ISOLATED, WITHOUT_PUBLIC_IPV4, false, false),
                Arguments.of(null, WITHOUT_PUBLIC_IPV4, false, false));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("addresses")
    void anInternetGatewayCarriesOnlyInstancesWithAPublicIpv4Address(ssmreach.contract.Route route, Instance instance,
                                                                    boolean reaches, boolean withoutAddressInPublicSubnet) {
        assertEquals(reaches, Reachability.reachesSsm(route, instance));
        assertEquals(withoutAddressInPublicSubnet, Reachability.withoutPublicIpv4InPublicSubnet(route, instance));
    }

    @Test
    void publicAddressIsThePrimaryInterfaces() {
        assertTrue(Reachability.hasPublicIpv4(WITH_PUBLIC_IPV4));
        assertFalse(Reachability.hasPublicIpv4(WITHOUT_PUBLIC_IPV4));
        assertFalse(Reachability.hasPublicIpv4(EMPTY_PUBLIC_IPV4));
    }
}
