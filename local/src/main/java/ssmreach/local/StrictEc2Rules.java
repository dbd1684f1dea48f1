package ssmreach.local;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;

/**
 * The EC2 rules for VPC endpoints that moto does not enforce and AWS does:
 * <ul>
 *   <li>{@code ClientToken} idempotency of CreateVpcEndpoint: the same token with the same parameters
 *       answers the first call's result again without creating anything; with other parameters,
 *       {@code IdempotentParameterMismatch};</li>
 *   <li>one private-DNS interface endpoint per service and VPC: another one fails with
 *       {@code InvalidParameter} "... conflicting DNS domain ...";</li>
 *   <li>one subnet per Availability Zone and endpoint, on CreateVpcEndpoint and on
 *       ModifyVpcEndpoint's AddSubnetId: {@code DuplicateSubnetsInSameZone};</li>
 *   <li>one gateway endpoint route per service and route table: a gateway endpoint given a table
 *       that another gateway of the service already routes fails with {@code RouteAlreadyExists},
 *       on CreateVpcEndpoint and on ModifyVpcEndpoint's AddRouteTableId;</li>
 *   <li>a new endpoint (and one given new subnets) is {@code pending} for a while before it is
 *       {@code available}.</li>
 * </ul>
 * Check and creation are one step: mutating endpoint calls are serialized, as AWS serializes them
 * behind its own consistency, so concurrent callers see each other's endpoints.
 */
public final class StrictEc2Rules {
    /**
     * Which rules apply.
     *
     * @param clientTokens ClientToken idempotency and IdempotentParameterMismatch
     * @param privateDnsConflicts the "conflicting DNS domain" error
     * @param oneSubnetPerZone DuplicateSubnetsInSameZone
     * @param oneGatewayRoutePerTable RouteAlreadyExists
     * @param pendingFor how long a created or extended endpoint stays {@code pending} (zero: never)
     */
    public record Config(boolean clientTokens, boolean privateDnsConflicts, boolean oneSubnetPerZone, boolean oneGatewayRoutePerTable,
                         Duration pendingFor) {
        /** As AWS behaves, with a short pending time that keeps local runs quick. */
        public static final Config AWS = new Config(true, true, true, true, Duration.ofSeconds(2));
        /** moto as it is. */
        public static final Config LENIENT = new Config(false, false, false, false, Duration.ZERO);

        public Config withPendingFor(Duration pending) {
            return new Config(clientTokens, privateDnsConflicts, oneSubnetPerZone, oneGatewayRoutePerTable, pending);
        }
    }

    /** An answer from the emulator. */
    record Upstream(int status, byte[] body) {
        boolean ok() {
            return status / 100 == 2;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    @FunctionalInterface
    interface Forward {
        Upstream send() throws Exception;
    }

    @FunctionalInterface
    private interface Step {
        AwsReply run() throws Exception;
    }

    static final Set<String> ACTIONS = Set.of("CreateVpcEndpoint", "ModifyVpcEndpoint", "DescribeVpcEndpoints");

    private static final Set<String> GONE_STATES = Set.of("deleted", "deleting", "failed", "rejected");
    private static final Set<String> NOT_PARAMETERS = Set.of("Action", "Version", "ClientToken", "DryRun");
    private static final Pattern ENDPOINT_ID = Pattern.compile("<vpcEndpointId>(vpce-[0-9a-z]+)</vpcEndpointId>");

    private record Issued(Map<String, String> parameters, String endpointId, byte[] body) {}

    private final Config config;
    private final Ec2Client moto;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Map<String, Issued> tokens = new ConcurrentHashMap<>();
    private final Map<String, Instant> pendingUntil = new ConcurrentHashMap<>();

    StrictEc2Rules(Config config, Ec2Client moto, Clock clock) {
        this.config = config;
        this.moto = moto;
        this.clock = clock;
    }

    Config config() {
        return config;
    }

    /** Forgets tokens and pending times, e.g. after the emulator was reset. */
    void reset() {
        tokens.clear();
        pendingUntil.clear();
    }

    /** The answer to an EC2 endpoint call, the rules applied around the emulator's answer. */
    AwsReply apply(Map<String, String> form, Forward forward) throws Exception {
        String action = form.get("Action");
        return switch (action) {
            case "CreateVpcEndpoint" -> locked(() -> create(form, forward));
            case "ModifyVpcEndpoint" -> locked(() -> modify(form, forward));
            default -> relay(forward.send());
        };
    }

    private AwsReply locked(Step body) throws Exception {
        lock.lock();
        try {
            return body.run();
        } finally {
            lock.unlock();
        }
    }

    private AwsReply create(Map<String, String> form, Forward forward) throws Exception {
        String token = form.get("ClientToken");
        Map<String, String> parameters = parameters(form);
        if (config.clientTokens() && token != null) {
            Issued issued = tokens.get(token);
            if (issued != null && stillExists(issued.endpointId())) {
                if (!issued.parameters().equals(parameters)) {
                    return error(400, "IdempotentParameterMismatch", "The client token '" + token
                            + "' was already used with different parameters.");
                }
                return AwsReply.xml(200, pendingStates(new String(issued.body(), StandardCharsets.UTF_8)).replaceFirst("^<\\?xml[^>]*>", ""));
            }
        }
        List<String> subnets = indexed(form, "SubnetId.");
        if (config.oneSubnetPerZone() && subnets.size() > 1) {
            String duplicate = sameZone(List.of(), subnets);
            if (duplicate != null) {
                return duplicateZone(duplicate);
            }
        }
        boolean iface = "Interface".equalsIgnoreCase(form.getOrDefault("VpcEndpointType", "Gateway"));
        if (config.oneGatewayRoutePerTable() && !iface) {
            String routed = routedAlready(form.get("VpcId"), form.get("ServiceName"), null, indexed(form, "RouteTableId."));
            if (routed != null) {
                return routeExists(routed);
            }
        }
        if (config.privateDnsConflicts() && iface && "true".equalsIgnoreCase(form.get("PrivateDnsEnabled"))) {
            String service = form.get("ServiceName");
            String vpc = form.get("VpcId");
            boolean conflict = endpointsOf(vpc).stream().anyMatch(e -> String.valueOf(service).equals(e.serviceName())
                    && "Interface".equalsIgnoreCase(e.vpcEndpointTypeAsString()) && Boolean.TRUE.equals(e.privateDnsEnabled())
                    && live(e));
            if (conflict) {
                return error(400, "InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting "
                        + "DNS domain for " + service + " in the VPC " + vpc);
            }
        }
        Upstream answer = forward.send();
        if (!answer.ok()) {
            return relay(answer);
        }
        Matcher id = ENDPOINT_ID.matcher(answer.text());
        if (id.find()) {
            String endpointId = id.group(1);
            if (!config.pendingFor().isZero()) {
                pendingUntil.put(endpointId, clock.instant().plus(config.pendingFor()));
            }
            if (config.clientTokens() && token != null) {
                tokens.put(token, new Issued(parameters, endpointId, answer.body()));
            }
        }
        return AwsReply.xml(200, pendingStates(answer.text()).replaceFirst("^<\\?xml[^>]*>", ""));
    }

    private AwsReply modify(Map<String, String> form, Forward forward) throws Exception {
        List<String> added = indexed(form, "AddSubnetId.");
        String endpointId = form.get("VpcEndpointId");
        if (config.oneSubnetPerZone() && !added.isEmpty() && endpointId != null) {
            List<String> current;
            try {
                current = moto.describeVpcEndpoints(r -> r.vpcEndpointIds(endpointId)).vpcEndpoints().stream()
                        .flatMap(e -> e.subnetIds().stream()).toList();
            } catch (SdkException e) {
                current = null; // the emulator gives its own answer below
            }
            if (current != null) {
                String duplicate = sameZone(current, added);
                if (duplicate != null) {
                    return duplicateZone(duplicate);
                }
            }
        }
        List<String> addedTables = indexed(form, "AddRouteTableId.");
        if (config.oneGatewayRoutePerTable() && !addedTables.isEmpty() && endpointId != null) {
            VpcEndpoint endpoint = endpoint(endpointId);
            String routed = endpoint == null ? null : routedAlready(endpoint.vpcId(), endpoint.serviceName(), endpointId, addedTables);
            if (routed != null) {
                return routeExists(routed);
            }
        }
        Upstream answer = forward.send();
        if (answer.ok() && !added.isEmpty() && endpointId != null && !config.pendingFor().isZero()) {
            pendingUntil.put(endpointId, clock.instant().plus(config.pendingFor()));
        }
        return relay(answer);
    }

    /** The emulator's answer, endpoint states rewritten while pending. */
    private AwsReply relay(Upstream answer) {
        if (!answer.ok() || pendingUntil.isEmpty()) {
            return new AwsReply(answer.status(), "text/xml", answer.body());
        }
        return new AwsReply(answer.status(), "text/xml", pendingStates(answer.text()).getBytes(StandardCharsets.UTF_8));
    }

    /** In each endpoint item still pending, {@code <state>available</state>} becomes {@code pending}. */
    String pendingStates(String xml) {
        if (pendingUntil.isEmpty()) {
            return xml;
        }
        Instant now = clock.instant();
        Matcher id = ENDPOINT_ID.matcher(xml);
        List<int[]> starts = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        while (id.find()) {
            starts.add(new int[] {id.start()});
            ids.add(id.group(1));
        }
        if (ids.isEmpty()) {
            return xml;
        }
        StringBuilder out = new StringBuilder(xml.length());
        out.append(xml, 0, starts.getFirst()[0]);
        for (int i = 0; i < ids.size(); i++) {
            int from = starts.get(i)[0];
            int to = i + 1 < ids.size() ? starts.get(i + 1)[0] : xml.length();
            String segment = xml.substring(from, to);
            Instant until = pendingUntil.get(ids.get(i));
            if (until != null && now.isBefore(until)) {
                segment = segment.replaceFirst("<state>available</state>", "<state>pending</state>");
            } else if (until != null) {
                pendingUntil.remove(ids.get(i), until);
            }
            out.append(segment);
        }
        return out.toString();
    }

    private boolean stillExists(String endpointId) {
        try {
            return moto.describeVpcEndpoints(r -> r.vpcEndpointIds(endpointId)).vpcEndpoints().stream()
                    .anyMatch(StrictEc2Rules::live);
        } catch (SdkException e) {
            return false;
        }
    }

    private static boolean live(VpcEndpoint endpoint) {
        return !GONE_STATES.contains(String.valueOf(endpoint.stateAsString()).toLowerCase());
    }

    private VpcEndpoint endpoint(String endpointId) {
        try {
            return moto.describeVpcEndpoints(r -> r.vpcEndpointIds(endpointId)).vpcEndpoints().stream().findFirst().orElse(null);
        } catch (SdkException e) {
            return null; // the emulator gives its own answer
        }
    }

    /**
     * The first of {@code tables} that a live gateway endpoint of {@code service} in the VPC (other
     * than {@code except}) already routes; null if none.
     */
    private String routedAlready(String vpcId, String service, String except, List<String> tables) {
        Set<String> routed = new java.util.HashSet<>();
        endpointsOf(vpcId).stream()
                .filter(e -> "Gateway".equalsIgnoreCase(e.vpcEndpointTypeAsString()) && String.valueOf(service).equals(e.serviceName()))
                .filter(e -> !e.vpcEndpointId().equals(except) && live(e))
                .forEach(e -> routed.addAll(e.routeTableIds()));
        return tables.stream().filter(routed::contains).findFirst().orElse(null);
    }

    private List<VpcEndpoint> endpointsOf(String vpcId) {
        if (vpcId == null) {
            return List.of();
        }
        return moto.describeVpcEndpoints(r -> r.filters(Filter.builder().name("vpc-id").values(vpcId).build())).vpcEndpoints();
    }

    /** The first subnet of {@code added} whose zone is already taken (by {@code current} or an earlier one); null if none. */
    private String sameZone(List<String> current, List<String> added) {
        List<String> all = new ArrayList<>(current);
        all.addAll(added);
        Map<String, String> zones = new HashMap<>();
        try {
            for (Subnet subnet : moto.describeSubnets(r -> r.subnetIds(all.stream().distinct().toList())).subnets()) {
                zones.put(subnet.subnetId(), subnet.availabilityZone());
            }
        } catch (SdkException e) {
            return null; // an unknown subnet: the emulator answers InvalidSubnetID.NotFound itself
        }
        Set<String> taken = new java.util.HashSet<>();
        for (String subnet : current) {
            taken.add(zones.get(subnet));
        }
        for (String subnet : added) {
            String zone = zones.get(subnet);
            if (zone != null && !taken.add(zone)) {
                return subnet;
            }
        }
        return null;
    }

    private static AwsReply duplicateZone(String subnet) {
        return error(400, "DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of " + subnet
                + ". VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.");
    }

    private static AwsReply routeExists(String routeTable) {
        return error(400, "RouteAlreadyExists", "route table " + routeTable
                + " already has a route with destination-prefix-list-id of the gateway endpoint's service");
    }

    private static AwsReply error(int status, String code, String message) {
        return FaultInjector.ec2(status, code, message);
    }

    /** The request's parameters that must match for an idempotent retry. */
    private static Map<String, String> parameters(Map<String, String> form) {
        Map<String, String> parameters = new TreeMap<>(form);
        NOT_PARAMETERS.forEach(parameters::remove);
        return parameters;
    }

    /** Values of {@code Prefix.1}, {@code Prefix.2}, ... in index order. */
    private static List<String> indexed(Map<String, String> form, String prefix) {
        Map<Integer, String> values = new TreeMap<>();
        form.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                try {
                    values.put(Integer.parseInt(key.substring(prefix.length())), value);
                } catch (NumberFormatException e) {
                    // not an index: not ours
                }
            }
        });
        return List.copyOf(values.values());
    }
}
