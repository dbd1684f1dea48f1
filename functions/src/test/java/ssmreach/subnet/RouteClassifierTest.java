package ssmreach.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.ec2.model.Route;
import software.amazon.awssdk.services.ec2.model.RouteState;
import software.amazon.awssdk.services.ec2.model.RouteTable;

class RouteClassifierTest {
    static final Route LOCAL = Route.builder().destinationCidrBlock("10.0.0.0/16").gatewayId("local").state(RouteState.ACTIVE).build();
    static final Route LOCAL_V6 = Route.builder().destinationIpv6CidrBlock("2600:1f18:abc:de00::/56").gatewayId("local")
            .state(RouteState.ACTIVE).build();

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

    static Stream<Arguments> tables() {
        return Stream.of(
                Arguments.of("internet gateway", table(anyIpv4().gatewayId("igw-0aa").build()),
                        ssmreach.contract.Route.PUBLIC, "igw-0aa"),
                Arguments.of("NAT gateway", table(anyIpv4().natGatewayId("nat-0bb").build()),
                        ssmreach.contract.Route.EGRESS, "nat-0bb"),
                Arguments.of("transit gateway", table(anyIpv4().transitGatewayId("tgw-0cc").build()),
                        ssmreach.contract.Route.EGRESS, "tgw-0cc"),
                Arguments.of("instance", table(anyIpv4().instanceId("i-0dd").networkInterfaceId("eni-0dd").build()),
                        ssmreach.contract.Route.EGRESS, "i-0dd"),
                Arguments.of("network interface", table(anyIpv4().networkInterfaceId("eni-0ee").build()),
                        ssmreach.contract.Route.EGRESS, "eni-0ee"),
                Arguments.of("peering connection", table(anyIpv4().vpcPeeringConnectionId("pcx-0ff").build()),
                        ssmreach.contract.Route.EGRESS, "pcx-0ff"),
                Arguments.of("virtual private gateway", table(anyIpv4().gatewayId("vgw-011").build()),
                        ssmreach.contract.Route.EGRESS, "vgw-011"),
                Arguments.of("egress-only IGW", table(anyIpv6().egressOnlyInternetGatewayId("eigw-022").build()),
                        ssmreach.contract.Route.EGRESS, "eigw-022"),
                Arguments.of("IPv6-only default to igw", table(anyIpv6().gatewayId("igw-033").build()),
                        ssmreach.contract.Route.PUBLIC, "igw-033"),
                Arguments.of("igw on IPv6 beats NAT on IPv4", table(anyIpv4().natGatewayId("nat-044").build(),
                        anyIpv6().gatewayId("igw-044").build()), ssmreach.contract.Route.PUBLIC, "igw-044"),
                Arguments.of("local routes only", table(), ssmreach.contract.Route.ISOLATED, null),
                Arguments.of("blackhole default route", table(anyIpv4().natGatewayId("nat-055").state(RouteState.BLACKHOLE).build()),
                        ssmreach.contract.Route.ISOLATED, null),
                Arguments.of("blackhole igw, active NAT", table(anyIpv4().gatewayId("igw-066").state(RouteState.BLACKHOLE).build(),
                        anyIpv6().natGatewayId("nat-066").build()), ssmreach.contract.Route.EGRESS, "nat-066"),
                Arguments.of("gateway endpoint prefix list only", table(Route.builder().destinationPrefixListId("pl-63a5400a")
                        .gatewayId("vpce-0123456789abcdef0").state(RouteState.ACTIVE).build()), ssmreach.contract.Route.ISOLATED, null),
                Arguments.of("specific route to igw is no default", table(Route.builder().destinationCidrBlock("198.51.100.0/24")
                        .gatewayId("igw-077").state(RouteState.ACTIVE).build()), ssmreach.contract.Route.ISOLATED, null),
                Arguments.of("specific route to peering is no default", table(Route.builder().destinationCidrBlock("10.1.0.0/16")
                        .vpcPeeringConnectionId("pcx-088").state(RouteState.ACTIVE).build()), ssmreach.contract.Route.ISOLATED, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tables")
    void classifiesTheDefaultRoute(String name, RouteTable table, ssmreach.contract.Route expected, String target) {
        RouteClassifier.Verdict verdict = RouteClassifier.classify(table);

        assertEquals(new RouteClassifier.Verdict(expected, target), verdict);
    }

    @Test
    void routeWithoutStateCountsAsActive() {
        RouteTable table = table(Route.builder().destinationCidrBlock("0.0.0.0/0").natGatewayId("nat-099").build());

        assertEquals(ssmreach.contract.Route.EGRESS, RouteClassifier.classify(table).route());
    }

    @Test
    void emptyTableIsIsolated() {
        RouteTable table = RouteTable.builder().routeTableId("rtb-0123456789abcdef0").build();

        assertEquals(new RouteClassifier.Verdict(ssmreach.contract.Route.ISOLATED, null), RouteClassifier.classify(table));
    }
}
