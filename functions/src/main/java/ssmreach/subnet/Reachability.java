package ssmreach.subnet;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Route;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.Subnet;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;

/**
 * The one rule for whether an instance's SSM agent reaches Systems Manager without the VPC's
 * endpoints; classification, instance selection, the diagnosis and the local fleet all ask it.
 *
 * <p>The agent reaches SSM's public endpoints over IPv4, so only the subnet's active
 * {@code 0.0.0.0/0} route counts ({@code ::/0} carries no IPv4 agent), by what it leads to:
 * <ul>
 * <li>an internet gateway: {@code public}, a way out only for an instance with a public IPv4 address;
 * <li>a NAT gateway, transit gateway, instance or network interface, virtual private gateway,
 *     Gateway Load Balancer endpoint, carrier or local gateway, core network: {@code egress}, a way
 *     out that someone built (and may inspect);
 * <li>nothing, a blackhole, or a VPC peering connection (peering does not route edge to edge, so
 *     never to the internet): {@code isolated}.
 * </ul>
 * A subnet without an IPv4 CIDR block (IPv6-only) has no IPv4 path whatever its routes.
 */
public final class Reachability {
    public static final String ANY_IPV4 = "0.0.0.0/0";
    private static final String ANY_IPV6 = "::/0";

    /**
     * A subnet's route: {@code target} is what its {@code 0.0.0.0/0} route leads to when that is a
     * way out (null when isolated); {@code reason} says what was there, for people.
     */
    public record Verdict(ssmreach.contract.Route route, String target, String reason) {}

    private Reachability() {}

    /** The verdict for a subnet whose route table (explicit, else main) is {@code table}; null: no table found. */
    public static Verdict of(Subnet subnet, RouteTable table) {
        if (ipv6Only(subnet)) {
            return isolated("IPv6-only subnet: no IPv4 address, so no IPv4 path");
        }
        return of(table);
    }

    /** The verdict for a route table alone (the subnet has an IPv4 block); null: no table found. */
    public static Verdict of(RouteTable table) {
        List<Route> routes = table == null ? List.of() : table.routes();
        Optional<Route> ipv4 = routes.stream().filter(r -> ANY_IPV4.equals(r.destinationCidrBlock())).findFirst();
        if (ipv4.isEmpty()) {
            return routes.stream().filter(r -> ANY_IPV6.equals(r.destinationIpv6CidrBlock()) && active(r)).findFirst()
                    .map(r -> isolated("only ::/0 via " + describe(r) + "; no IPv4 path"))
                    .orElse(isolated("no 0.0.0.0/0 route"));
        }
        Route route = ipv4.get();
        String target = target(route);
        String via = "0.0.0.0/0 via " + describe(route);
        if (!active(route)) {
            return isolated(via + " is a blackhole: its target no longer exists");
        }
        if (route.vpcPeeringConnectionId() != null) {
            return isolated(via + ": peering does not route to the internet");
        }
        if (target != null && target.startsWith("igw-")) {
            return new Verdict(ssmreach.contract.Route.PUBLIC, target, via);
        }
        if (target != null && target.startsWith("vpce-")) {
            // Centralized inspection: endpoints with private DNS would take SSM traffic around the appliances.
            return new Verdict(ssmreach.contract.Route.EGRESS, target, via + ", a Gateway Load Balancer endpoint: traffic is inspected");
        }
        // A target this SDK does not name is someone's way out too: left as it is rather than bypassed.
        return new Verdict(ssmreach.contract.Route.EGRESS, target, via);
    }

    /** A subnet without an IPv4 CIDR block. */
    public static boolean ipv6Only(Subnet subnet) {
        return Boolean.TRUE.equals(subnet.ipv6Native()) || subnet.cidrBlock() == null || subnet.cidrBlock().isEmpty();
    }

    /** A public IPv4 address (auto-assigned or Elastic IP) on the instance's primary network interface. */
    public static boolean hasPublicIpv4(Instance instance) {
        return instance.publicIpAddress() != null && !instance.publicIpAddress().isEmpty();
    }

    /** Whether the agent on this instance, in a subnet with this route, reaches SSM without the VPC's endpoints. */
    public static boolean reachesSsm(ssmreach.contract.Route route, Instance instance) {
        return route == ssmreach.contract.Route.EGRESS || (route == ssmreach.contract.Route.PUBLIC && hasPublicIpv4(instance));
    }

    /**
     * An instance without a public IPv4 address in a public subnet: the internet gateway route
     * carries nothing for it, so it needs the endpoints as if its subnet were isolated.
     */
    public static boolean withoutPublicIpv4InPublicSubnet(ssmreach.contract.Route route, Instance instance) {
        return route == ssmreach.contract.Route.PUBLIC && !hasPublicIpv4(instance);
    }

    /**
     * What a person should know of an IPv6-only subnet: ssm-reach does not remediate it (yet). A
     * warning, not an error: an agent set up for dual-stack endpoints may well be Online there.
     */
    public static Finding ipv6OnlySubnet(String subnetId) {
        return new Finding("IPV6_ONLY_SUBNET", Severity.WARNING, subnetId,
                "The subnet has no IPv4 CIDR block: the SSM agent reaches SSM over IPv4 by default, and ssm-reach creates "
                        + "IPv4 endpoints only, so the subnet is not remediated",
                "Add an IPv4 CIDR block to the subnet (dual stack); or create the ssm, ssmmessages and ec2messages interface "
                        + "endpoints with IpAddressType ipv6 yourself (an IPv6-only subnet can host only those)");
    }

    private static Verdict isolated(String reason) {
        return new Verdict(ssmreach.contract.Route.ISOLATED, null, reason);
    }

    /** A route with no state (an emulator) counts as active; EC2 says "active" or "blackhole". */
    private static boolean active(Route route) {
        return !"blackhole".equalsIgnoreCase(route.stateAsString());
    }

    /** What the route leads to; an instance (NAT instance) before its network interface. */
    private static String target(Route route) {
        return Stream.of(route.gatewayId(), route.natGatewayId(), route.transitGatewayId(), route.instanceId(),
                        route.networkInterfaceId(), route.vpcPeeringConnectionId(), route.egressOnlyInternetGatewayId(),
                        route.carrierGatewayId(), route.localGatewayId(), route.coreNetworkArn(), route.odbNetworkArn())
                .filter(id -> id != null && !id.isEmpty()).findFirst().orElse(null);
    }

    private static String describe(Route route) {
        String target = target(route);
        return target == null ? "an unnamed target" : target;
    }
}
