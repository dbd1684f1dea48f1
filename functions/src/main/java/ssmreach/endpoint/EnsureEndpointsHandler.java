package ssmreach.endpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.SecurityGroupIdentifier;
import software.amazon.awssdk.services.ec2.model.ServiceDetail;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;
import ssmreach.contract.Action;
import ssmreach.contract.Endpoint;
import ssmreach.contract.EndpointRequest;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.Finding;
import ssmreach.contract.SubnetClassification;
import ssmreach.core.AwsErrors;
import ssmreach.core.Clients;
import ssmreach.core.DryRunProbe;
import ssmreach.core.InvalidInputException;
import ssmreach.core.JsonHandler;
import ssmreach.core.ResourceGoneException;
import ssmreach.core.RetryableAwsException;
import ssmreach.core.Settings;
import ssmreach.core.Twins;
import ssmreach.endpoint.EndpointPlanner.GatewayPlan;
import ssmreach.endpoint.EndpointPlanner.InterfacePlan;
import ssmreach.endpoint.EndpointPlanner.Offer;
import ssmreach.endpoint.EndpointPlanner.VpcContext;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * Ensures the configured interface endpoints (private DNS, one subnet per zone) and the S3 gateway.
 * Reads the VPC's endpoints once, plans, acts; when AWS answers that someone else got there first
 * (another execution, a person), it reads again and plans again, a bounded number of rounds.
 * A call that still fails once the SDK has retried it (throttled for a minute: the endpoint
 * buckets hold 4 requests, refilled at 0.3 a second, for the whole account) after this invocation
 * already changed something is waited out here, a bounded number of times: the workflow's retry
 * would start over and, finding those changes made, report them as someone else's.
 */
public class EnsureEndpointsHandler extends JsonHandler<EndpointRequest, EndpointsReport> {
    private static final int ROUNDS = 3;
    /** Waits for a failed call after changes, seconds: then the workflow's retry takes over. */
    static final List<Integer> WAITS_AFTER_CHANGES = List.of(10, 20);
    private static final Set<String> CONVERGING = Set.of(
            "IdempotentParameterMismatch", "DuplicateSubnetsInSameZone", "RouteAlreadyExists");

    private final Settings settings;
    private final Ec2Client ec2;
    private final Sleeper sleeper;

    /** How the handler waits; a test gives one that records instead of sleeping. */
    interface Sleeper {
        void sleep(int seconds) throws InterruptedException;
    }

    public EnsureEndpointsHandler() {
        this(Settings.fromEnvironment());
    }

    private EnsureEndpointsHandler(Settings settings) {
        this(settings, Clients.ec2(settings));
        primeBeforeSnapshot(settings);
    }

    public EnsureEndpointsHandler(Settings settings, Ec2Client ec2) {
        this(settings, ec2, seconds -> Thread.sleep(seconds * 1000L));
    }

    EnsureEndpointsHandler(Settings settings, Ec2Client ec2, Sleeper sleeper) {
        super(EndpointRequest.class);
        this.settings = settings;
        this.ec2 = ec2;
        this.sleeper = sleeper;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new EnsureEndpointsHandler(settings, twins.ec2()), twins);
    }

    /** Someone else changed the endpoints meanwhile: read again. */
    private static final class ConcurrentChange extends RuntimeException {
        ConcurrentChange(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public EndpointsReport handle(EndpointRequest request) {
        if (request.classification() == null || request.vpc() == null || request.classification().vpcId() == null) {
            throw new InvalidInputException("EnsureEndpoints needs the VPC's classification and preparation");
        }
        VpcContext vpc = context(request);
        List<Action> actions = new ArrayList<>();
        String lastConflict = "";
        int conflicts = 0;
        int waits = 0;
        while (conflicts < ROUNDS) {
            try {
                return ensure(vpc, request.dryRun(), actions);
            } catch (ConcurrentChange change) {
                lastConflict = change.getMessage();
                conflicts++;
            } catch (SdkException e) {
                if (AwsErrors.hasCode(e, "InvalidVpcID.NotFound")) {
                    throw new ResourceGoneException("VPC " + vpc.vpcId() + " no longer exists");
                }
                boolean changed = actions.stream().anyMatch(a -> !a.planned());
                if (!changed || !AwsErrors.isRetryable(e) || waits == WAITS_AFTER_CHANGES.size()) {
                    throw e;
                }
                waitOut(WAITS_AFTER_CHANGES.get(waits++));
            }
        }
        throw new RetryableAwsException("Endpoints of " + vpc.vpcId() + " still changing after " + ROUNDS + " rounds: " + lastConflict);
    }

    private void waitOut(int seconds) {
        try {
            sleeper.sleep(seconds);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableAwsException("interrupted while waiting for EC2", e);
        }
    }

    private EndpointsReport ensure(VpcContext classified, boolean dryRun, List<Action> actions) {
        Map<String, Offer> offers = offers();
        List<VpcEndpoint> existing = ec2.describeVpcEndpointsPaginator(r -> r.filters(filter("vpc-id", classified.vpcId())))
                .vpcEndpoints().stream().toList();
        VpcContext vpc = withZonesOfNewerSubnets(classified, existing);
        Map<String, SecurityGroup> groups = groupsOf(existing, vpc);

        List<Endpoint> endpoints = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        for (String service : settings.services()) {
            String serviceName = settings.serviceName(service);
            List<VpcEndpoint> ofService = existing.stream()
                    .filter(e -> serviceName.equals(e.serviceName()) && e.vpcEndpointType() == VpcEndpointType.INTERFACE).toList();
            InterfacePlan plan = EndpointPlanner.planInterface(service, offers.get(serviceName), ofService, groups, vpc);
            findings.addAll(plan.findings());
            if (plan.creates()) {
                attempt(() -> create(vpc, plan, dryRun, actions, findings), endpoints, conflicts);
            } else if (plan.existing() != null) {
                attempt(() -> extend(vpc, plan, dryRun, actions, findings), endpoints, conflicts);
            }
        }
        if (settings.s3Gateway()) {
            String s3 = settings.serviceName("s3");
            List<VpcEndpoint> gateways = existing.stream()
                    .filter(e -> s3.equals(e.serviceName()) && e.vpcEndpointType() == VpcEndpointType.GATEWAY).toList();
            GatewayPlan plan = EndpointPlanner.planGateway(s3, gateways, vpc);
            if (plan.creates() || plan.existing() != null) {
                attempt(() -> gateway(vpc, plan, dryRun, actions, findings), endpoints, conflicts);
            }
        }
        if (!conflicts.isEmpty()) {
            throw new ConcurrentChange(String.join("; ", conflicts));
        }
        return new EndpointsReport(endpoints, actions, findings,
                endpoints.stream().allMatch(Endpoint::available), endpoints.stream().noneMatch(Endpoint::pending));
    }

    /**
     * One endpoint's step. A conflict is noted and the other endpoints go on: the round re-reads
     * once at its end, so conflicts on several services need one round, not one each.
     */
    private static void attempt(Supplier<Endpoint> step, List<Endpoint> endpoints, List<String> conflicts) {
        try {
            endpoints.add(step.get());
        } catch (ConcurrentChange change) {
            conflicts.add(change.getMessage());
        }
    }

    private Endpoint create(VpcContext vpc, InterfacePlan plan, boolean dryRun, List<Action> actions, List<Finding> findings) {
        String detail = plan.service() + " with private DNS in " + String.join(", ", plan.zones());
        if (dryRun) {
            String permission = DryRunProbe.probe("CreateVpcEndpoint", plan.offer().serviceName(),
                    () -> createInterface(vpc, plan, true), findings);
            actions.add(new Action("CreateVpcEndpoint", plan.offer().serviceName(), detail, true, plan.zones().size(), permission,
                    plan.found()));
            return new Endpoint(null, plan.service(), "Interface", "planned", true, plan.zones(), List.of(), true);
        }
        VpcEndpoint created;
        try {
            created = createInterface(vpc, plan, false);
        } catch (SdkException e) {
            if (AwsErrors.hasCode(e, "InvalidParameter") && String.valueOf(e.getMessage()).contains("conflicting DNS domain")) {
                // Another endpoint with private DNS appeared (or a private hosted zone owns the name): re-read.
                throw new ConcurrentChange(plan.service() + ": conflicting DNS domain (a private hosted zone for "
                        + plan.offer().serviceName() + " would also cause this)");
            }
            throw converging(e, plan.service());
        }
        record(actions, new Action("CreateVpcEndpoint", created.vpcEndpointId(), detail, false, plan.zones().size())
                .repairing(plan.found()));
        return new Endpoint(created.vpcEndpointId(), plan.service(), "Interface", EndpointPlanner.state(created), true,
                plan.zones(), List.of(), true);
    }

    private VpcEndpoint createInterface(VpcContext vpc, InterfacePlan plan, boolean dryRun) {
        List<String> groups = vpc.managedGroupId() == null ? List.of() : List.of(vpc.managedGroupId());
        return ec2.createVpcEndpoint(r -> r.vpcId(vpc.vpcId()).serviceName(plan.offer().serviceName())
                .vpcEndpointType(VpcEndpointType.INTERFACE).privateDnsEnabled(true)
                .subnetIds(plan.subnetIds()).securityGroupIds(groups)
                .clientToken(clientToken(tokenScope(vpc), plan.offer().serviceName(), plan.subnetIds(), groups))
                .tagSpecifications(tags("ssm-reach-" + plan.service()))
                .dryRun(dryRun)).vpcEndpoint();
    }

    private Endpoint extend(VpcContext vpc, InterfacePlan plan, boolean dryRun, List<Action> actions, List<Finding> findings) {
        VpcEndpoint endpoint = plan.existing();
        List<String> zones = new ArrayList<>(EndpointPlanner.zonesOf(endpoint, vpc.subnetZones()));
        if (plan.modifies()) {
            boolean addGroup = plan.addManagedGroup() && vpc.managedGroupId() != null;
            String permission = null;
            if (!plan.subnetIds().isEmpty() || addGroup) {
                permission = modify(endpoint.vpcEndpointId(), plan.subnetIds(), addGroup ? List.of(vpc.managedGroupId()) : List.of(),
                        List.of(), dryRun, plan.service(), findings);
            }
            if (!plan.subnetIds().isEmpty()) {
                actions.add(proven(new Action("ModifyVpcEndpoint", endpoint.vpcEndpointId(),
                        plan.service() + ": add " + String.join(", ", plan.zones()), dryRun, plan.zones().size())
                        .repairing(plan.found()), permission));
                zones.addAll(plan.zones());
            }
            if (plan.addManagedGroup()) {
                actions.add(proven(Action.of("ModifyVpcEndpoint", endpoint.vpcEndpointId(), plan.service()
                        + ": add security group " + (vpc.managedGroupId() == null ? PrepareVpcHandler.GROUP_NAME : vpc.managedGroupId())
                        + " (no group admitted 443 from the subnet)", dryRun).repairing(plan.groupFound()), permission));
            }
        }
        return new Endpoint(endpoint.vpcEndpointId(), plan.service(), "Interface", EndpointPlanner.state(endpoint), true,
                List.copyOf(new TreeSet<>(zones)), List.of(), EndpointPlanner.owned(endpoint));
    }

    private Endpoint gateway(VpcContext vpc, GatewayPlan plan, boolean dryRun, List<Action> actions, List<Finding> findings) {
        String detail = "s3 gateway for " + String.join(", ", plan.routeTableIds());
        if (plan.creates()) {
            if (dryRun) {
                String permission = DryRunProbe.probe("CreateVpcEndpoint", plan.serviceName(), () -> createGateway(vpc, plan, true),
                        findings);
                actions.add(Action.of("CreateVpcEndpoint", plan.serviceName(), detail, true).withPermission(permission)
                        .repairing(plan.found()));
                return new Endpoint(null, "s3", "Gateway", "planned", false, List.of(), plan.routeTableIds(), true);
            }
            VpcEndpoint created;
            try {
                created = createGateway(vpc, plan, false);
            } catch (SdkException e) {
                throw converging(e, "s3");
            }
            record(actions, Action.of("CreateVpcEndpoint", created.vpcEndpointId(), detail, false).repairing(plan.found()));
            return new Endpoint(created.vpcEndpointId(), "s3", "Gateway", EndpointPlanner.state(created), false, List.of(),
                    plan.routeTableIds(), true);
        }
        VpcEndpoint endpoint = plan.existing();
        List<String> tables = new ArrayList<>(endpoint.routeTableIds());
        if (plan.modifies()) {
            String permission = modify(endpoint.vpcEndpointId(), List.of(), List.of(), plan.routeTableIds(), dryRun, "s3", findings);
            actions.add(proven(Action.of("ModifyVpcEndpoint", endpoint.vpcEndpointId(),
                    "s3 gateway: add " + String.join(", ", plan.routeTableIds()), dryRun).repairing(plan.found()), permission));
            tables.addAll(plan.routeTableIds());
        }
        return new Endpoint(endpoint.vpcEndpointId(), "s3", "Gateway", EndpointPlanner.state(endpoint), false, List.of(),
                List.copyOf(new TreeSet<>(tables)), EndpointPlanner.owned(endpoint));
    }

    private VpcEndpoint createGateway(VpcContext vpc, GatewayPlan plan, boolean dryRun) {
        return ec2.createVpcEndpoint(r -> r.vpcId(vpc.vpcId()).serviceName(plan.serviceName())
                .vpcEndpointType(VpcEndpointType.GATEWAY).routeTableIds(plan.routeTableIds())
                .clientToken(clientToken(tokenScope(vpc), plan.serviceName(), plan.routeTableIds(), List.of()))
                .tagSpecifications(tags("ssm-reach-s3"))
                .dryRun(dryRun)).vpcEndpoint();
    }

    /** In a dry run, what its DryRun answered ({@link Action#ALLOWED} or {@link Action#DENIED}); else null. */
    private String modify(String endpointId, List<String> subnets, List<String> groups, List<String> routeTables, boolean dryRun,
                          String service, List<Finding> findings) {
        Runnable call = () -> ec2.modifyVpcEndpoint(r -> r.vpcEndpointId(endpointId).dryRun(dryRun)
                .addSubnetIds(subnets.isEmpty() ? null : subnets)
                .addSecurityGroupIds(groups.isEmpty() ? null : groups)
                .addRouteTableIds(routeTables.isEmpty() ? null : routeTables));
        if (dryRun) {
            return DryRunProbe.probe("ModifyVpcEndpoint", endpointId, call, findings);
        }
        try {
            call.run();
        } catch (SdkException e) {
            throw converging(e, service);
        }
        return null;
    }

    /** A planned change with what its DryRun proved (null: none was sent, the action keeps its own). */
    private static Action proven(Action action, String permission) {
        return permission == null ? action : action.withPermission(permission);
    }

    /**
     * Actions are kept across rounds (they happened); an endpoint created again with the same token
     * in a later round (its creation not visible yet) is the same endpoint, recorded once.
     */
    private static void record(List<Action> actions, Action action) {
        if (!actions.contains(action)) {
            actions.add(action);
        }
    }

    /** The errors that mean "someone else got there first" become a re-read; others pass through. */
    private static RuntimeException converging(SdkException e, String service) {
        if (CONVERGING.contains(AwsErrors.code(e))) {
            return new ConcurrentChange(service + ": " + AwsErrors.code(e));
        }
        return e;
    }

    /**
     * Endpoints may sit in subnets created after the classification (a concurrent execution chose
     * them): their zones are read, so that a zone they cover is not added a second time.
     */
    private VpcContext withZonesOfNewerSubnets(VpcContext vpc, List<VpcEndpoint> endpoints) {
        List<String> unknown = endpoints.stream().flatMap(e -> e.subnetIds().stream())
                .filter(id -> !vpc.subnetZones().containsKey(id)).distinct().sorted().toList();
        if (unknown.isEmpty()) {
            return vpc;
        }
        Map<String, String> zones = new java.util.HashMap<>(vpc.subnetZones());
        ec2.describeSubnets(r -> r.filters(filter("subnet-id", unknown))).subnets()
                .forEach(subnet -> zones.put(subnet.subnetId(), subnet.availabilityZone()));
        return new VpcContext(vpc.vpcId(), vpc.endpointSubnets(), vpc.endpointRouteTables(), Map.copyOf(zones),
                vpc.targetCidrs(), vpc.managedGroupId(), vpc.dnsReady(), vpc.executionId(), vpc.subnets());
    }

    /** Zones per service, from one filtered call (a filter, so a service the Region lacks is no error). */
    private Map<String, Offer> offers() {
        List<String> names = Stream.concat(settings.services().stream(), Stream.of("s3")).map(settings::serviceName).toList();
        Map<String, Set<String>> zones = ec2.describeVpcEndpointServices(r -> r.filters(filter("service-name", names)))
                .serviceDetails().stream()
                .collect(Collectors.toMap(ServiceDetail::serviceName, d -> Set.copyOf(d.availabilityZones()), (a, b) -> a));
        return names.stream().collect(Collectors.toMap(Function.identity(), n -> new Offer(n, zones.get(n))));
    }

    /** The groups of the private-DNS endpoints that may be reused, unless ours is already on them. */
    private Map<String, SecurityGroup> groupsOf(List<VpcEndpoint> existing, VpcContext vpc) {
        Set<String> ids = existing.stream().filter(e -> Boolean.TRUE.equals(e.privateDnsEnabled()))
                .filter(e -> e.groups().stream().map(SecurityGroupIdentifier::groupId).noneMatch(id -> id.equals(vpc.managedGroupId())))
                .flatMap(e -> e.groups().stream().map(SecurityGroupIdentifier::groupId))
                .collect(Collectors.toCollection(TreeSet::new));
        if (ids.isEmpty()) {
            return Map.of();
        }
        return ec2.describeSecurityGroups(r -> r.filters(filter("group-id", List.copyOf(ids)))).securityGroups().stream()
                .collect(Collectors.toMap(SecurityGroup::groupId, Function.identity()));
    }

    private static VpcContext context(EndpointRequest request) {
        var classification = request.classification();
        // The subnets the endpoints serve: those in scope, and those of instances without a public IPv4 address.
        Set<String> served = classification.instancesWithoutPublicIpv4().stream().map(i -> i.subnetId()).collect(Collectors.toSet());
        List<String> targetCidrs = classification.subnets().stream().filter(s -> s.inScope() || served.contains(s.subnetId()))
                .map(SubnetClassification::cidrBlock).filter(c -> c != null).toList();
        return new VpcContext(classification.vpcId(), classification.endpointSubnets(), classification.endpointRouteTables(),
                classification.subnetZones(), targetCidrs, request.vpc().securityGroupId(), request.vpc().dnsReady(),
                request.executionId(), classification.subnets());
    }

    /** What a token is unique to: this execution and this VPC. */
    private static String tokenScope(VpcContext vpc) {
        return vpc.executionId() + "|" + vpc.vpcId();
    }

    /**
     * The idempotency token: the same request gives the same token, so a retry after a timeout
     * cannot create a second endpoint. The token also names the execution: another execution that
     * asks for the same endpoint is refused by AWS (the private-DNS conflict for an interface
     * endpoint, RouteAlreadyExists for a gateway on a table already routed to S3), re-reads and
     * reuses it, rather than getting a replayed answer that it would report as its own creation.
     * At most 64 ASCII characters.
     */
    static String clientToken(String scope, String serviceName, List<String> placement, List<String> groups) {
        String key = scope + "|" + serviceName + "|" + String.join(",", new TreeSet<>(placement)) + "|" + String.join(",", groups);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return "ssm-reach-" + HexFormat.of().formatHex(digest).substring(0, 48);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TagSpecification tags(String name) {
        return TagSpecification.builder().resourceType(ResourceType.VPC_ENDPOINT).tags(
                Tag.builder().key("Name").value(name).build(),
                Tag.builder().key(PrepareVpcHandler.MANAGED_TAG).value("true").build()).build();
    }

    private static Filter filter(String name, String value) {
        return Filter.builder().name(name).values(value).build();
    }

    private static Filter filter(String name, List<String> values) {
        return Filter.builder().name(name).values(values).build();
    }
}
