package ssmreach.subnet;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ec2.model.Route;
import software.amazon.awssdk.services.ec2.model.RouteTable;

/**
 * Where a route table's default route leads. Only active routes count: a blackhole route to a
 * deleted NAT gateway carries no traffic.
 */
public final class RouteClassifier {
    /** The verdict and the target of the default route that decided it (null when isolated). */
    public record Verdict(ssmreach.contract.Route route, String target) {}

    private RouteClassifier() {}

    public static Verdict classify(RouteTable table) {
        List<Route> defaults = table.routes().stream().filter(RouteClassifier::isActiveDefault).toList();
        Optional<String> internetGateway = defaults.stream().map(Route::gatewayId)
                .filter(id -> id != null && id.startsWith("igw-")).findFirst();
        if (internetGateway.isPresent()) {
            return new Verdict(ssmreach.contract.Route.PUBLIC, internetGateway.get());
        }
        return defaults.stream().map(RouteClassifier::egressTarget).flatMap(Optional::stream).findFirst()
                .map(target -> new Verdict(ssmreach.contract.Route.EGRESS, target))
                .orElse(new Verdict(ssmreach.contract.Route.ISOLATED, null));
    }

    private static boolean isActiveDefault(Route route) {
        boolean isDefault = "0.0.0.0/0".equals(route.destinationCidrBlock()) || "::/0".equals(route.destinationIpv6CidrBlock());
        return isDefault && !"blackhole".equalsIgnoreCase(route.stateAsString());
    }

    /** NAT, transit gateway, instance, ENI, peering, virtual private gateway, egress-only IGW, ... */
    private static Optional<String> egressTarget(Route route) {
        return Stream.of(route.natGatewayId(), route.transitGatewayId(), route.instanceId(), route.networkInterfaceId(),
                        route.vpcPeeringConnectionId(), route.egressOnlyInternetGatewayId(), route.carrierGatewayId(),
                        route.localGatewayId(), route.coreNetworkArn(), route.gatewayId())
                .filter(id -> id != null && !id.isEmpty() && !"local".equals(id) && !id.startsWith("vpce-"))
                .findFirst();
    }
}
