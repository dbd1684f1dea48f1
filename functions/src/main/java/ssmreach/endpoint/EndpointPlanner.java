package ssmreach.endpoint;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.SecurityGroupIdentifier;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * Decides, from what EC2 describes, what each endpoint service needs; it calls nothing. The rules:
 * an endpoint with private DNS that exists (ours or not) is used and extended, never duplicated;
 * with none, one is created in one in-scope subnet per zone the service supports; a failed or
 * rejected endpoint blocks creation with a finding rather than piling up new ones.
 */
public final class EndpointPlanner {
    private static final Set<String> LIVE = Set.of("pendingacceptance", "pending", "available");
    private static final Set<String> BROKEN = Set.of("failed", "rejected");

    /** What the VPC offers the plan: hosts per zone, zones per subnet, the target subnets' CIDRs. */
    public record VpcContext(
            String vpcId,
            Map<String, String> endpointSubnets,
            List<String> endpointRouteTables,
            Map<String, String> subnetZones,
            List<String> targetCidrs,
            String managedGroupId,
            boolean dnsReady,
            String executionId) {}

    /** What the Region offers for one service: null zones when it is not offered at all. */
    public record Offer(String serviceName, Set<String> zones) {
        boolean offered() {
            return zones != null;
        }
    }

    /**
     * The decision for one interface service. With {@code existing}: add these subnets and maybe
     * the managed group. Without: create in {@code subnetIds} (none → blocked; the findings say why).
     */
    public record InterfacePlan(String service, Offer offer, VpcEndpoint existing, List<String> subnetIds,
                                List<String> zones, boolean addManagedGroup, List<Finding> findings) {
        public boolean creates() {
            return existing == null && !subnetIds.isEmpty();
        }

        public boolean modifies() {
            return existing != null && (!subnetIds.isEmpty() || addManagedGroup);
        }
    }

    /** The S3 gateway: create with these route tables, or add them to {@code existing}. */
    public record GatewayPlan(String serviceName, VpcEndpoint existing, List<String> routeTableIds) {
        public boolean creates() {
            return existing == null && !routeTableIds.isEmpty();
        }

        public boolean modifies() {
            return existing != null && !routeTableIds.isEmpty();
        }
    }

    private EndpointPlanner() {}

    public static InterfacePlan planInterface(String service, Offer offer, Collection<VpcEndpoint> endpointsOfService,
                                              Map<String, SecurityGroup> groups, VpcContext vpc) {
        List<Finding> findings = new ArrayList<>();
        List<VpcEndpoint> broken = endpointsOfService.stream().filter(e -> BROKEN.contains(state(e))).toList();
        broken.forEach(e -> findings.add(new Finding("ENDPOINT_FAILED", Severity.ERROR, e.vpcEndpointId(),
                "The " + service + " endpoint is " + state(e) + "; it serves no instance",
                "Delete " + e.vpcEndpointId() + " (ssm-reach never deletes what it finds); the next run creates a working one")));
        List<VpcEndpoint> live = endpointsOfService.stream().filter(e -> LIVE.contains(state(e))).toList();

        Optional<VpcEndpoint> withDns = live.stream().filter(e -> Boolean.TRUE.equals(e.privateDnsEnabled()))
                .min(Comparator.comparing((VpcEndpoint e) -> !owned(e))
                        .thenComparing(e -> e.creationTimestamp() == null ? Instant.MAX : e.creationTimestamp())
                        .thenComparing(VpcEndpoint::vpcEndpointId));
        if (withDns.isPresent()) {
            return extend(service, offer, withDns.get(), groups, vpc, findings);
        }
        live.forEach(e -> findings.add(new Finding("ENDPOINT_WITHOUT_PRIVATE_DNS", Severity.WARNING, e.vpcEndpointId(),
                "The " + service + " endpoint has private DNS off: the agent resolves the public name and does not use it",
                "ssm-reach adds an endpoint with private DNS beside it; enable private DNS on " + e.vpcEndpointId()
                        + " instead if you manage DNS for it yourself")));
        if (!broken.isEmpty()) {
            return blocked(service, offer, findings);
        }
        if (!offer.offered()) {
            findings.add(new Finding("SERVICE_NOT_OFFERED", Severity.INFO, offer.serviceName(),
                    offer.serviceName() + " is not offered in this Region (newer Regions have no ec2messages; the agent uses ssmmessages)",
                    "Remove " + service + " from the Services parameter"));
            return blocked(service, offer, findings);
        }
        if (!vpc.dnsReady()) {
            findings.add(new Finding("PRIVATE_DNS_UNAVAILABLE", Severity.ERROR, vpc.vpcId(),
                    "No " + service + " endpoint created: private DNS needs the VPC's DNS attributes on",
                    "Turn on enableDnsSupport and enableDnsHostnames, or deploy with DnsAttributes=fix"));
            return blocked(service, offer, findings);
        }
        List<String> subnets = new ArrayList<>();
        List<String> zones = new ArrayList<>();
        new TreeMap<>(vpc.endpointSubnets()).forEach((zone, subnet) -> {
            if (offer.zones().contains(zone)) {
                subnets.add(subnet);
                zones.add(zone);
            } else {
                findings.add(unsupportedZone(service, offer, zone));
            }
        });
        return new InterfacePlan(service, offer, null, subnets, zones, false, findings);
    }

    private static InterfacePlan extend(String service, Offer offer, VpcEndpoint endpoint, Map<String, SecurityGroup> groups,
                                        VpcContext vpc, List<Finding> findings) {
        Set<String> covered = new TreeSet<>();
        endpoint.subnetIds().forEach(id -> Optional.ofNullable(vpc.subnetZones().get(id)).ifPresent(covered::add));
        List<String> subnets = new ArrayList<>();
        List<String> zones = new ArrayList<>();
        new TreeMap<>(vpc.endpointSubnets()).forEach((zone, subnet) -> {
            if (covered.contains(zone)) {
                return;
            }
            if (offer.offered() && offer.zones().contains(zone)) {
                subnets.add(subnet);
                zones.add(zone);
            } else {
                findings.add(unsupportedZone(service, offer, zone));
            }
        });
        List<String> groupIds = endpoint.groups().stream().map(SecurityGroupIdentifier::groupId).toList();
        boolean hasManaged = vpc.managedGroupId() != null && groupIds.contains(vpc.managedGroupId());
        List<SecurityGroup> attached = groupIds.stream().map(groups::get).filter(g -> g != null).toList();
        boolean admitsAll = hasManaged || vpc.targetCidrs().stream().allMatch(c -> SecurityGroupRules.admitsHttpsFrom(attached, c));
        return new InterfacePlan(service, offer, endpoint, subnets, zones, !admitsAll, findings);
    }

    public static GatewayPlan planGateway(String serviceName, Collection<VpcEndpoint> gatewaysOfService, VpcContext vpc) {
        List<VpcEndpoint> live = gatewaysOfService.stream().filter(e -> LIVE.contains(state(e))).toList();
        Set<String> alreadyRouted = new TreeSet<>();
        live.forEach(e -> alreadyRouted.addAll(e.routeTableIds()));
        List<String> missing = vpc.endpointRouteTables().stream().filter(t -> t != null && !alreadyRouted.contains(t)).toList();
        // A route table can be in one S3 gateway endpoint only: add the missing ones to the oldest, ours first.
        Optional<VpcEndpoint> chosen = live.stream()
                .min(Comparator.comparing((VpcEndpoint e) -> !owned(e))
                        .thenComparing(e -> e.creationTimestamp() == null ? Instant.MAX : e.creationTimestamp())
                        .thenComparing(VpcEndpoint::vpcEndpointId));
        return new GatewayPlan(serviceName, chosen.orElse(null), missing);
    }

    /** The zones an endpoint serves, from its subnets. */
    public static List<String> zonesOf(VpcEndpoint endpoint, Map<String, String> subnetZones) {
        Set<String> zones = new LinkedHashSet<>();
        endpoint.subnetIds().forEach(id -> Optional.ofNullable(subnetZones.get(id)).ifPresent(zones::add));
        return List.copyOf(new TreeSet<>(zones));
    }

    /** Endpoint states arrive lowercase on the wire; the SDK enum is PascalCase, so compare strings. */
    public static String state(VpcEndpoint endpoint) {
        return endpoint.stateAsString() == null ? "" : endpoint.stateAsString().toLowerCase();
    }

    public static boolean owned(VpcEndpoint endpoint) {
        return endpoint.tags().stream().anyMatch(t -> PrepareVpcHandler.MANAGED_TAG.equals(t.key()) && "true".equals(t.value()));
    }

    private static InterfacePlan blocked(String service, Offer offer, List<Finding> findings) {
        return new InterfacePlan(service, offer, null, List.of(), List.of(), false, findings);
    }

    private static Finding unsupportedZone(String service, Offer offer, String zone) {
        return new Finding("SERVICE_ZONE_UNSUPPORTED", Severity.WARNING, zone,
                offer.serviceName() + " is not offered in " + zone + ": subnets there cannot reach " + service + " privately",
                "Place instances that need SSM in a zone the service supports");
    }
}
