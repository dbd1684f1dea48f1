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
import ssmreach.contract.SubnetClassification;
import ssmreach.core.EarlierRun;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * Decides, from what EC2 describes, what each endpoint service needs; it calls nothing. The rules:
 * an endpoint with private DNS that exists (ours or not) is used and extended, never duplicated;
 * with none, one is created in one in-scope subnet per zone the service supports; a failed or
 * rejected endpoint blocks creation with a finding rather than piling up new ones. What undoes an
 * earlier run (the stack's endpoint deleted, a zone, route table or the managed group taken off)
 * is planned like any change, with what was found ({@code found}): the change is then a repair.
 */
public final class EndpointPlanner {
    private static final Set<String> LIVE = Set.of("pendingacceptance", "pending", "available");
    private static final Set<String> BROKEN = Set.of("failed", "rejected");
    /** AWS lists a deleted endpoint for a while after DeleteVpcEndpoints, in one of these states. */
    private static final Set<String> GONE = Set.of("deleting", "deleted");

    /**
     * What the VPC offers the plan: hosts per zone, zones per subnet, the target subnets' CIDRs; and
     * the target subnets as classified, whose tags tell what the last run left ({@link EarlierRun}).
     */
    public record VpcContext(
            String vpcId,
            Map<String, String> endpointSubnets,
            List<String> endpointRouteTables,
            Map<String, String> subnetZones,
            List<String> targetCidrs,
            String managedGroupId,
            boolean dnsReady,
            String executionId,
            List<SubnetClassification> subnets) {

        public VpcContext {
            subnets = subnets == null ? List.of() : List.copyOf(subnets);
        }

        /** A VPC whose subnets are not told: nothing counts as a repair. */
        public VpcContext(String vpcId, Map<String, String> endpointSubnets, List<String> endpointRouteTables,
                          Map<String, String> subnetZones, List<String> targetCidrs, String managedGroupId, boolean dnsReady,
                          String executionId) {
            this(vpcId, endpointSubnets, endpointRouteTables, subnetZones, targetCidrs, managedGroupId, dnsReady, executionId,
                    List.of());
        }
    }

    /** What the Region offers for one service: null zones when it is not offered at all. */
    public record Offer(String serviceName, Set<String> zones) {
        boolean offered() {
            return zones != null;
        }
    }

    /**
     * The decision for one interface service. With {@code existing}: add these subnets and maybe
     * the managed group. Without: create in {@code subnetIds} (none → blocked; the findings say why).
     * {@code found}: the creation or the zones added repair this (null: first-time);
     * {@code groupFound}: adding the managed group repairs this.
     */
    public record InterfacePlan(String service, Offer offer, VpcEndpoint existing, List<String> subnetIds,
                                List<String> zones, boolean addManagedGroup, List<Finding> findings, String found,
                                String groupFound) {
        public boolean creates() {
            return existing == null && !subnetIds.isEmpty();
        }

        public boolean modifies() {
            return existing != null && (!subnetIds.isEmpty() || addManagedGroup);
        }
    }

    /** The S3 gateway: create with these route tables, or add them to {@code existing}; {@code found} as for an interface. */
    public record GatewayPlan(String serviceName, VpcEndpoint existing, List<String> routeTableIds, String found) {
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
        return new InterfacePlan(service, offer, null, subnets, zones, false, findings, gone(service, endpointsOfService, vpc),
                null);
    }

    /**
     * Why a service has no endpoint any more, if an earlier run had one: the stack's endpoint is
     * still listed as deleted, or a target subnet was served by the service at the last run.
     */
    static String gone(String service, Collection<VpcEndpoint> endpointsOfService, VpcContext vpc) {
        Optional<VpcEndpoint> deleted = endpointsOfService.stream().filter(e -> GONE.contains(state(e)) && owned(e))
                .max(Comparator.comparing((VpcEndpoint e) -> e.creationTimestamp() == null ? Instant.MIN : e.creationTimestamp())
                        .thenComparing(VpcEndpoint::vpcEndpointId));
        if (deleted.isPresent()) {
            VpcEndpoint endpoint = deleted.get();
            return "endpoint " + endpoint.vpcEndpointId() + " for " + service + " no longer exists (" + state(endpoint) + ")";
        }
        return EarlierRun.first(vpc.subnets(), s -> EarlierRun.servedBy(s, service))
                .map(subnet -> "no " + service + " endpoint any more; one served " + subnet + " " + EarlierRun.LAST_RUN)
                .orElse(null);
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
        // The stack creates its endpoints with the managed group: one of them without it lost it.
        String groupFound = !admitsAll && owned(endpoint) && vpc.managedGroupId() != null
                ? "endpoint " + endpoint.vpcEndpointId() + " for " + service + " no longer has the managed group "
                        + PrepareVpcHandler.GROUP_NAME
                : null;
        return new InterfacePlan(service, offer, endpoint, subnets, zones, !admitsAll, findings,
                lostZones(service, endpoint, zones, vpc), groupFound);
    }

    /**
     * The zones about to be added that served a target subnet at the last run: the endpoint had
     * them then (a zone an endpoint does not cover is added in the same run), so they were removed.
     */
    private static String lostZones(String service, VpcEndpoint endpoint, List<String> zones, VpcContext vpc) {
        Set<String> lost = new TreeSet<>();
        Set<String> served = new TreeSet<>();
        for (String zone : zones) {
            EarlierRun.first(vpc.subnets(), s -> zone.equals(s.availabilityZone()) && EarlierRun.servedBy(s, service))
                    .ifPresent(subnet -> {
                        lost.add(zone);
                        served.add(subnet);
                    });
        }
        return lost.isEmpty() ? null : "endpoint " + endpoint.vpcEndpointId() + " for " + service + " no longer covers "
                + String.join(", ", lost) + ", which served " + String.join(", ", served) + " " + EarlierRun.LAST_RUN;
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
        if (chosen.isEmpty()) {
            return new GatewayPlan(serviceName, null, missing, missing.isEmpty() ? null : gone("s3", gatewaysOfService, vpc));
        }
        return new GatewayPlan(serviceName, chosen.get(), missing, unrouted(chosen.get(), missing, vpc));
    }

    /**
     * The tables about to be added whose subnets the S3 gateway served at the last run. Whether the
     * table was taken off the gateway or the subnet moved to a new table, the tags cannot tell: the
     * sentence says only what is known.
     */
    private static String unrouted(VpcEndpoint gateway, List<String> tables, VpcContext vpc) {
        List<String> found = new ArrayList<>();
        for (String table : tables) {
            EarlierRun.first(vpc.subnets(), s -> table.equals(s.routeTableId()) && EarlierRun.servedBy(s, "s3"))
                    .ifPresent(subnet -> found.add("route table " + table + " of " + subnet + " is not in s3 gateway "
                            + gateway.vpcEndpointId() + ", though the subnet was served by s3 " + EarlierRun.LAST_RUN));
        }
        return found.isEmpty() ? null : String.join("; ", found);
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
        return new InterfacePlan(service, offer, null, List.of(), List.of(), false, findings, null, null);
    }

    private static Finding unsupportedZone(String service, Offer offer, String zone) {
        return new Finding("SERVICE_ZONE_UNSUPPORTED", Severity.WARNING, zone,
                offer.serviceName() + " is not offered in " + zone + ": subnets there cannot reach " + service + " privately",
                "Place instances that need SSM in a zone the service supports");
    }
}
