package ssmreach.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.GroupIdentifier;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileAssociation;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.UserIdGroupPair;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;
import ssmreach.subnet.Reachability;

/**
 * A simulated SSM fleet: answers {@code ssm:DescribeInstanceInformation}, which moto lacks, with a
 * {@code PingStatus} derived from the emulator's real state, read from moto on every look.
 *
 * <p>An instance's agent can register when all of these hold:
 * <ol>
 * <li>the instance is {@code running};
 * <li>it has an instance profile association whose profile exists and holds a role that trusts
 *     {@code ec2.amazonaws.com} and is allowed {@link #AGENT_ACTIONS} (by {@link IamPolicySimulator});
 * <li>its metadata service is not disabled ({@code HttpEndpoint != disabled});
 * <li>the network: its subnet's route table (explicit association, else the VPC's main table) gives
 *     the agent a way out by the functions' own rule ({@link Reachability}: an active {@code 0.0.0.0/0}
 *     route to an internet gateway for an instance with a public IPv4 address, or to a NAT or transit
 *     gateway, VGW, Gateway Load Balancer endpoint, ... — what lies beyond those is taken to lead out;
 *     {@code ::/0} alone and peering do not), or else, for each of {@link #ENDPOINT_SERVICES},
 *     an {@code available} Interface endpoint in the VPC with private DNS whose security groups (the
 *     VPC's default group when it has none) admit TCP 443 — or all traffic — from a CIDR containing
 *     the subnet's, or from a security group the instance is in; and both {@code enableDnsSupport}
 *     and {@code enableDnsHostnames} on the VPC.
 * </ol>
 * Like a real agent it shows up only once these have held for the registration delay (between two
 * looks, continuously as far as the looks can tell), then as {@code Online}; when they stop holding
 * after that it stays listed as {@code ConnectionLost} (until they have held for the delay again).
 * Stopped and terminated instances are not listed and start over. Every look — a
 * DescribeInstanceInformation or {@link #blockingReason} — is an observation that advances this
 * state, which lives in memory until {@link #reset()}.
 */
public final class SsmFleet {
    public static final Duration DEFAULT_REGISTRATION_DELAY = Duration.ofSeconds(3);
    /** What the agent calls with the instance's role (the core of AmazonSSMManagedInstanceCore). */
    public static final List<String> AGENT_ACTIONS = List.of("ssm:UpdateInstanceInformation",
            "ssmmessages:CreateControlChannel", "ssmmessages:OpenControlChannel", "ec2messages:GetMessages");
    /** The interface endpoints an instance without an internet route needs. */
    public static final List<String> ENDPOINT_SERVICES = List.of("ssm", "ssmmessages", "ec2messages");

    private static final String AGENT_VERSION = "3.3.1142.0";
    private static final int MAX_RESULTS = 50;
    private static final Set<String> FILTER_KEYS = Set.of("InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes",
            "ActivationIds", "IamRole", "ResourceType", "AssociationStatus");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Ec2Client ec2;
    private final IamClient iam;
    private final IamPolicySimulator simulator;
    private final String region;
    private final Duration registrationDelay;
    private final Clock clock;
    private final Map<String, Agent> agents = new HashMap<>();

    /** What the fleet remembers of an instance's agent: since when it could register, when it last pinged. */
    private record Agent(Instant readySince, Instant lastPing) {}

    private record Listing(Instance instance, String pingStatus, Instant lastPing) {}

    /**
     * @param ec2 a client straight to moto (not through the proxy)
     * @param iam a client straight to moto
     * @param simulator the roles' permissions and trust, as IAM evaluates them
     * @param region the Region whose endpoint services count ({@code com.amazonaws.REGION.ssm}, …)
     */
    public SsmFleet(Ec2Client ec2, IamClient iam, IamPolicySimulator simulator, String region, Duration registrationDelay, Clock clock) {
        if (registrationDelay.isNegative()) {
            throw new IllegalArgumentException("registration delay must not be negative: " + registrationDelay);
        }
        this.ec2 = ec2;
        this.iam = iam;
        this.simulator = simulator;
        this.region = region;
        this.registrationDelay = registrationDelay;
        this.clock = clock;
    }

    public Duration registrationDelay() {
        return registrationDelay;
    }

    /** Forgets every agent: each instance has to meet its prerequisites for the full delay again. */
    public synchronized void reset() {
        agents.clear();
    }

    /**
     * The first prerequisite the instance does not meet, in the order of the class comment; empty
     * when all are met (it is then Online, or will be once the registration delay has passed).
     */
    public Optional<String> blockingReason(String instanceId) {
        List<Instance> found = instances(Set.of(instanceId));
        if (found.isEmpty()) {
            return Optional.of("instance " + instanceId + " does not exist");
        }
        Instance instance = found.getFirst();
        Optional<String> reason = new Survey().blockingReason(instance);
        observe(instance, reason, clock.instant());
        return reason;
    }

    /** Answers DescribeInstanceInformation (JSON 1.1 body). */
    AwsReply describeInstanceInformation(byte[] body) {
        JsonNode request;
        try {
            request = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            return error("SerializationException", "the request body is not JSON");
        }
        JsonNode filters = request.path("Filters");
        JsonNode legacy = request.path("InstanceInformationFilterList");
        if (filters.size() > 0 && legacy.size() > 0) {
            return error("ValidationException", "InstanceInformationFilterList and Filters cannot be used in the same request.");
        }
        Map<String, Set<String>> conditions = new HashMap<>();
        for (JsonNode filter : filters) {
            String key = filter.path("Key").asText();
            if (!FILTER_KEYS.contains(key) && !key.startsWith("tag:") && !key.equals("tag-key")) {
                return error("InvalidFilterKey", "The filter key " + key + " is not valid.");
            }
            conditions.computeIfAbsent(key, k -> new LinkedHashSet<>()).addAll(texts(filter.path("Values")));
        }
        for (JsonNode filter : legacy) {
            String key = filter.path("key").asText();
            if (!FILTER_KEYS.contains(key)) {
                return error("InvalidFilterKey", "The filter key " + key + " is not valid.");
            }
            conditions.computeIfAbsent(key, k -> new LinkedHashSet<>()).addAll(texts(filter.path("valueSet")));
        }
        int maxResults = request.path("MaxResults").asInt(MAX_RESULTS);
        if (maxResults < 5 || maxResults > MAX_RESULTS) {
            return error("ValidationException", "1 validation error detected: Value '" + maxResults
                    + "' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and " + MAX_RESULTS);
        }
        int offset = 0;
        if (request.hasNonNull("NextToken")) {
            try {
                offset = Integer.parseInt(new String(Base64.getDecoder().decode(request.get("NextToken").asText()), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                return error("InvalidNextToken", "The specified token is not valid.");
            }
        }

        List<Listing> listed = listing(conditions.get("InstanceIds")).stream().filter(matching(conditions)).toList();
        ObjectNode response = JSON.createObjectNode();
        ArrayNode list = response.putArray("InstanceInformationList");
        Instant now = clock.instant();
        for (Listing item : listed.subList(Math.min(offset, listed.size()), Math.min(offset + maxResults, listed.size()))) {
            list.add(information(item, now));
        }
        if (offset + maxResults < listed.size()) {
            response.put("NextToken", Base64.getEncoder().encodeToString(String.valueOf(offset + maxResults).getBytes(StandardCharsets.UTF_8)));
        }
        return AwsReply.json(200, response.toString());
    }

    private List<Listing> listing(Set<String> instanceIds) {
        Survey survey = new Survey();
        Instant now = clock.instant();
        List<Listing> listed = new ArrayList<>();
        for (Instance instance : instances(instanceIds)) {
            observe(instance, survey.blockingReason(instance), now).ifPresent(listed::add);
        }
        return listed;
    }

    /** Advances the instance's agent to what it would be now; what DescribeInstanceInformation lists, if anything. */
    private synchronized Optional<Listing> observe(Instance instance, Optional<String> blocking, Instant now) {
        String id = instance.instanceId();
        if (!"running".equals(instance.state().nameAsString())) {
            agents.remove(id);
            return Optional.empty();
        }
        Agent before = agents.get(id);
        Instant lastPing = before == null ? null : before.lastPing();
        if (blocking.isPresent()) {
            if (lastPing == null) {
                agents.remove(id);
                return Optional.empty();
            }
            agents.put(id, new Agent(null, lastPing));
            return Optional.of(new Listing(instance, "ConnectionLost", lastPing));
        }
        Instant readySince = before == null || before.readySince() == null ? now : before.readySince();
        if (!now.isBefore(readySince.plus(registrationDelay))) {
            agents.put(id, new Agent(readySince, now));
            return Optional.of(new Listing(instance, "Online", now));
        }
        agents.put(id, new Agent(readySince, lastPing));
        return lastPing == null ? Optional.empty() : Optional.of(new Listing(instance, "ConnectionLost", lastPing));
    }

    private static Predicate<Listing> matching(Map<String, Set<String>> conditions) {
        return item -> conditions.entrySet().stream().allMatch(condition -> {
            Set<String> values = condition.getValue();
            String key = condition.getKey();
            return switch (key) {
                case "InstanceIds" -> values.contains(item.instance().instanceId());
                case "PingStatus" -> values.contains(item.pingStatus());
                case "PlatformTypes" -> values.contains("Linux");
                case "ResourceType" -> values.contains("EC2Instance");
                case "AgentVersion" -> values.contains(AGENT_VERSION);
                case "tag-key" -> item.instance().tags().stream().anyMatch(t -> values.contains(t.key()));
                // Activations, on-premises IAM roles and associations concern no EC2 instance here.
                case "ActivationIds", "IamRole", "AssociationStatus" -> false;
                default -> item.instance().tags().stream()
                        .anyMatch(t -> key.equals("tag:" + t.key()) && values.contains(t.value()));
            };
        });
    }

    private ObjectNode information(Listing item, Instant now) {
        Instance instance = item.instance();
        ObjectNode info = JSON.createObjectNode();
        info.put("InstanceId", instance.instanceId());
        info.put("PingStatus", item.pingStatus());
        info.put("LastPingDateTime", epochSeconds(item.lastPing()));
        info.put("AgentVersion", AGENT_VERSION);
        info.put("IsLatestVersion", false);
        info.put("PlatformType", "Linux");
        info.put("PlatformName", "Amazon Linux");
        info.put("PlatformVersion", "2023");
        info.put("ResourceType", "EC2Instance");
        if (instance.privateIpAddress() != null) {
            info.put("IPAddress", instance.privateIpAddress());
        }
        if (instance.privateDnsName() != null && !instance.privateDnsName().isEmpty()) {
            info.put("ComputerName", instance.privateDnsName());
        }
        info.put("SourceId", instance.instanceId());
        info.put("SourceType", "AWS::EC2::Instance");
        return info;
    }

    private static BigDecimal epochSeconds(Instant instant) {
        return BigDecimal.valueOf(instant.toEpochMilli()).movePointLeft(3);
    }

    /** The instances named, or every instance when {@code ids} is null; unknown ids are skipped. */
    private List<Instance> instances(Collection<String> ids) {
        if (ids != null && ids.isEmpty()) {
            return List.of();
        }
        return ec2.describeInstancesPaginator(r -> {
            if (ids != null) {
                r.filters(Filter.builder().name("instance-id").values(ids).build());
            }
        }).reservations().stream().flatMap(reservation -> reservation.instances().stream()).toList();
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static AwsReply error(String type, String message) {
        return AwsReply.jsonError(400, type, message);
    }

    /** One look at the emulator's state, memoised per role and VPC for the instances it covers. */
    private final class Survey {
        private final Map<String, Optional<String>> roles = new HashMap<>();
        private final Map<String, List<VpcEndpoint>> endpoints = new HashMap<>();
        private final Map<String, SecurityGroup> groups = new HashMap<>();
        private final Map<String, Optional<String>> dns = new HashMap<>();

        Optional<String> blockingReason(Instance instance) {
            String id = instance.instanceId();
            String state = instance.state().nameAsString();
            if (!"running".equals(state)) {
                return Optional.of("instance " + id + " is " + state + ", not running");
            }
            Optional<String> profile = profile(instance);
            if (profile.isPresent()) {
                return profile;
            }
            if (instance.metadataOptions() != null && "disabled".equalsIgnoreCase(instance.metadataOptions().httpEndpointAsString())) {
                return Optional.of("instance " + id + " has its metadata service disabled (HttpEndpoint=disabled): "
                        + "the agent cannot get the role's credentials");
            }
            return network(instance);
        }

        private Optional<String> profile(Instance instance) {
            List<IamInstanceProfileAssociation> associations = ec2.describeIamInstanceProfileAssociations(r -> r.filters(
                    Filter.builder().name("instance-id").values(instance.instanceId()).build(),
                    Filter.builder().name("state").values("associated").build())).iamInstanceProfileAssociations();
            if (associations.isEmpty()) {
                return Optional.of("instance " + instance.instanceId() + " has no IAM instance profile");
            }
            String arn = associations.getFirst().iamInstanceProfile().arn();
            String name = arn.substring(arn.lastIndexOf('/') + 1);
            InstanceProfile profile;
            try {
                profile = iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile();
            } catch (NoSuchEntityException e) {
                return Optional.of("instance profile " + arn + " of instance " + instance.instanceId() + " does not exist");
            }
            if (profile.roles().isEmpty()) {
                return Optional.of("instance profile " + name + " of instance " + instance.instanceId() + " has no role");
            }
            return roles.computeIfAbsent(profile.roles().getFirst().roleName(), this::role);
        }

        private Optional<String> role(String roleName) {
            Role role;
            try {
                role = iam.getRole(r -> r.roleName(roleName)).role();
            } catch (NoSuchEntityException e) {
                return Optional.of("role " + roleName + " does not exist");
            }
            if (!simulator.trusts(role, "ec2.amazonaws.com")) {
                return Optional.of("role " + roleName + " does not let ec2.amazonaws.com assume it (sts:AssumeRole): "
                        + "the instance gets no credentials");
            }
            Map<String, IamPolicySimulator.Decision> decisions = simulator.simulateRole(roleName, AGENT_ACTIONS);
            String denied = decisions.entrySet().stream().filter(e -> e.getValue() != IamPolicySimulator.Decision.ALLOWED)
                    .map(e -> e.getKey() + " (" + e.getValue().wire() + ")").collect(Collectors.joining(", "));
            return denied.isEmpty() ? Optional.empty()
                    : Optional.of("role " + roleName + " does not allow the agent's actions: " + denied);
        }

        private Optional<String> network(Instance instance) {
            Subnet subnet = ec2.describeSubnets(r -> r.subnetIds(instance.subnetId())).subnets().getFirst();
            RouteTable table = routeTable(subnet);
            Reachability.Verdict route = Reachability.of(subnet, table);
            if (Reachability.reachesSsm(route.route(), instance)) {
                return Optional.empty();
            }
            Set<String> instanceGroups = instance.securityGroups().stream().map(GroupIdentifier::groupId).collect(Collectors.toSet());
            List<String> problems = new ArrayList<>();
            for (String service : ENDPOINT_SERVICES) {
                endpointProblem(subnet, service, instanceGroups).ifPresent(problems::add);
            }
            dns.computeIfAbsent(subnet.vpcId(), this::dnsProblem).ifPresent(problems::add);
            if (problems.isEmpty()) {
                return Optional.empty();
            }
            String path = Reachability.withoutPublicIpv4InPublicSubnet(route.route(), instance)
                    ? "instance " + instance.instanceId() + " has no public IPv4 address for the internet gateway route of subnet "
                            + subnet.subnetId()
                    : "subnet " + subnet.subnetId() + " has no IPv4 way out (" + route.reason() + ")";
            return Optional.of(path + (table == null ? "" : " (route table " + table.routeTableId() + ")") + ", and "
                    + String.join("; ", problems));
        }

        private RouteTable routeTable(Subnet subnet) {
            List<RouteTable> explicit = ec2.describeRouteTables(r -> r.filters(
                    Filter.builder().name("association.subnet-id").values(subnet.subnetId()).build())).routeTables();
            if (!explicit.isEmpty()) {
                return explicit.getFirst();
            }
            return ec2.describeRouteTables(r -> r.filters(Filter.builder().name("vpc-id").values(subnet.vpcId()).build(),
                    Filter.builder().name("association.main").values("true").build())).routeTables().stream().findFirst().orElse(null);
        }

        private Optional<String> endpointProblem(Subnet subnet, String service, Set<String> instanceGroups) {
            String serviceName = "com.amazonaws." + region + "." + service;
            List<VpcEndpoint> candidates = endpoints.computeIfAbsent(subnet.vpcId(), vpc -> ec2.describeVpcEndpointsPaginator(r -> r.filters(
                    Filter.builder().name("vpc-id").values(vpc).build())).vpcEndpoints().stream().toList()).stream()
                    .filter(e -> serviceName.equals(e.serviceName()) && "Interface".equalsIgnoreCase(e.vpcEndpointTypeAsString()))
                    .toList();
            if (candidates.isEmpty()) {
                return Optional.of("no Interface endpoint for " + serviceName + " in " + subnet.vpcId());
            }
            List<VpcEndpoint> privateDns = candidates.stream().filter(e -> Boolean.TRUE.equals(e.privateDnsEnabled())).toList();
            if (privateDns.isEmpty()) {
                return Optional.of("endpoint " + ids(candidates) + " for " + serviceName + " has private DNS off");
            }
            List<VpcEndpoint> available = privateDns.stream().filter(e -> "available".equalsIgnoreCase(e.stateAsString())).toList();
            if (available.isEmpty()) {
                return Optional.of("endpoint " + ids(privateDns) + " for " + serviceName + " is "
                        + privateDns.stream().map(VpcEndpoint::stateAsString).distinct().collect(Collectors.joining("/")) + ", not available");
            }
            for (VpcEndpoint endpoint : available) {
                if (endpointGroups(endpoint, subnet.vpcId()).stream().anyMatch(g -> admitsHttps(g, subnet.cidrBlock(), instanceGroups))) {
                    return Optional.empty();
                }
            }
            return Optional.of("the security groups of endpoint " + ids(available) + " (" + service + ") admit no TCP 443 from "
                    + subnet.cidrBlock() + " (subnet " + subnet.subnetId() + ")");
        }

        /** The endpoint's groups; the VPC's default group when it names none. */
        private List<SecurityGroup> endpointGroups(VpcEndpoint endpoint, String vpcId) {
            List<String> ids = endpoint.groups().stream().map(g -> g.groupId()).toList();
            if (ids.isEmpty()) {
                return ec2.describeSecurityGroups(r -> r.filters(Filter.builder().name("vpc-id").values(vpcId).build(),
                        Filter.builder().name("group-name").values("default").build())).securityGroups();
            }
            List<String> missing = ids.stream().filter(id -> !groups.containsKey(id)).toList();
            if (!missing.isEmpty()) {
                ec2.describeSecurityGroups(r -> r.filters(Filter.builder().name("group-id").values(missing).build()))
                        .securityGroups().forEach(g -> groups.put(g.groupId(), g));
            }
            return ids.stream().map(groups::get).filter(Objects::nonNull).toList();
        }

        private Optional<String> dnsProblem(String vpcId) {
            List<String> off = new ArrayList<>();
            if (!Boolean.TRUE.equals(ec2.describeVpcAttribute(r -> r.vpcId(vpcId).attribute(VpcAttributeName.ENABLE_DNS_SUPPORT))
                    .enableDnsSupport().value())) {
                off.add("enableDnsSupport");
            }
            if (!Boolean.TRUE.equals(ec2.describeVpcAttribute(r -> r.vpcId(vpcId).attribute(VpcAttributeName.ENABLE_DNS_HOSTNAMES))
                    .enableDnsHostnames().value())) {
                off.add("enableDnsHostnames");
            }
            return off.isEmpty() ? Optional.empty()
                    : Optional.of(vpcId + " has " + String.join(" and ", off) + " off: private DNS of the endpoints does not resolve");
        }
    }

    private static String ids(List<VpcEndpoint> endpoints) {
        return endpoints.stream().map(VpcEndpoint::vpcEndpointId).collect(Collectors.joining(", "));
    }

    /** Whether a rule of the group admits TCP 443 (or all traffic) from the subnet's CIDR or from a group of the instance. */
    static boolean admitsHttps(SecurityGroup group, String subnetCidr, Set<String> instanceGroups) {
        for (IpPermission rule : group.ipPermissions()) {
            String protocol = rule.ipProtocol();
            boolean https = "-1".equals(protocol) || (("tcp".equalsIgnoreCase(protocol) || "6".equals(protocol))
                    && (rule.fromPort() == null || rule.fromPort() == -1 || (rule.fromPort() <= 443 && rule.toPort() >= 443)));
            if (!https) {
                continue;
            }
            for (IpRange range : rule.ipRanges()) {
                if (cidrContains(range.cidrIp(), subnetCidr)) {
                    return true;
                }
            }
            for (UserIdGroupPair pair : rule.userIdGroupPairs()) {
                if (instanceGroups.contains(pair.groupId())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether IPv4 block {@code outer} contains block {@code inner}. */
    static boolean cidrContains(String outer, String inner) {
        if (outer == null || inner == null) {
            return false;
        }
        long[] o = cidr(outer);
        long[] i = cidr(inner);
        if (o == null || i == null || o[1] > i[1]) {
            return false;
        }
        long mask = o[1] == 0 ? 0 : (0xFFFFFFFFL << (32 - o[1])) & 0xFFFFFFFFL;
        return (o[0] & mask) == (i[0] & mask);
    }

    private static long[] cidr(String block) {
        String[] parts = block.split("/");
        String[] octets = parts[0].split("\\.");
        if (parts.length != 2 || octets.length != 4) {
            return null;
        }
        try {
            long address = 0;
            for (String octet : octets) {
                address = (address << 8) | Integer.parseInt(octet);
            }
            return new long[] {address, Integer.parseInt(parts[1])};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
