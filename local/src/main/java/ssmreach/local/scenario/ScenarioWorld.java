package ssmreach.local.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import ssmreach.core.Settings;
import ssmreach.endpoint.EndpointPlanner;
import ssmreach.local.LambdaInvokeServer;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * A scenario's world in the emulator: seeded straight to moto (EC2 and IAM, not recorded, not
 * through the strictness proxy), with every name of the scenario mapped to the id moto gave it.
 * Also what the runner needs afterwards: the actions between executions, the trigger inputs with
 * the ids filled in, and the reads that check the scenario's expectations.
 */
public final class ScenarioWorld {
    static final Pattern SUBNET_ID = Pattern.compile("\\bsubnet-(?:[0-9a-f]{17}|[0-9a-f]{8})\\b");
    static final Pattern VPC_ID = Pattern.compile("\\bvpc-(?:[0-9a-f]{17}|[0-9a-f]{8})\\b");
    static final Pattern INSTANCE_ID = Pattern.compile("\\bi-(?:[0-9a-f]{17}|[0-9a-f]{8})\\b");
    static final Pattern ROUTE_TABLE_ID = Pattern.compile("\\brtb-(?:[0-9a-f]{17}|[0-9a-f]{8})\\b");
    private static final String ASSUME_ROLE_EC2 = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},\
            "Action":"sts:AssumeRole"}]}""";
    private static final List<String> PEER_CIDRS = List.of("192.168.0.0/16", "172.31.0.0/16", "100.64.0.0/16");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final Scenario.World world;
    private final String stackProfileArn;
    private final Map<String, String> ids = new LinkedHashMap<>();
    private final Map<String, String> routeTables = new HashMap<>();
    private final Map<String, String> internetGateways = new HashMap<>();
    private final Map<String, String> natGateways = new HashMap<>();
    private final Map<String, String> egressOnlyGateways = new HashMap<>();
    private final Map<String, String> loadBalancerEndpoints = new HashMap<>();
    private String transitGateway;
    private String image;
    private SsmClient ssm;
    /** Actions waiting for an invocation ("when": "after FUNCTION"), and what went wrong with those that ran. */
    private final List<Scenario.Action> deferred = new CopyOnWriteArrayList<>();
    private final List<String> deferredFailures = new CopyOnWriteArrayList<>();

    private ScenarioWorld(LocalAws aws, Scenario.World world, Settings settings) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = world;
        this.stackProfileArn = settings.instanceProfileArn();
    }

    /** Seeds {@code world} into the (empty) emulator, with the stack's own instance profile. */
    public static ScenarioWorld seed(LocalAws aws, Scenario.World world, Settings settings) {
        ScenarioWorld seeded = new ScenarioWorld(aws, world, settings);
        seeded.seed();
        return seeded;
    }

    /** Name to id (ARN for roles and instance profiles), in the scenario's order. */
    public Map<String, String> ids() {
        return Collections.unmodifiableMap(ids);
    }

    public String id(String name) {
        String id = ids.get(name);
        if (id == null) {
            throw new IllegalArgumentException("nothing named " + name + " was seeded");
        }
        return id;
    }

    /** The scenario's name for an id, or the id itself. */
    public String nameOf(String id) {
        return ids.entrySet().stream().filter(e -> e.getValue().equals(id)).map(Map.Entry::getKey).findFirst().orElse(id);
    }

    public Scenario.World world() {
        return world;
    }

    public String stackProfileArn() {
        return stackProfileArn;
    }

    /** The CIDR blocks of the scenario's VPCs, primary and secondary, and the IPv6 blocks the emulator gave them. */
    public java.util.Set<String> vpcBlocks() {
        java.util.Set<String> blocks = new java.util.TreeSet<>();
        world.vpcs().forEach(vpc -> {
            blocks.add(vpc.cidr());
            blocks.addAll(vpc.secondaryCidrs());
        });
        List<String> ipv6 = world.vpcs().stream().filter(Scenario.Vpc::ipv6).map(vpc -> ids.get(vpc.name())).toList();
        if (!ipv6.isEmpty()) {
            ec2.describeVpcs(r -> r.vpcIds(ipv6)).vpcs().forEach(vpc -> vpc.ipv6CidrBlockAssociationSet()
                    .forEach(a -> blocks.add(a.ipv6CidrBlock())));
        }
        return blocks;
    }

    // ---------------------------------------------------------------- seeding

    private void seed() {
        IamClient iam = aws.inspectIam();
        ensureStackProfile(iam);
        for (Scenario.Vpc vpc : world.vpcs()) {
            String id = ec2.createVpc(r -> r.cidrBlock(vpc.cidr()).amazonProvidedIpv6CidrBlock(vpc.ipv6())
                    .tagSpecifications(tags(ResourceType.VPC, vpc.name(), vpc.tags()))).vpc().vpcId();
            ids.put(vpc.name(), id);
            vpc.secondaryCidrs().forEach(cidr -> ec2.associateVpcCidrBlock(r -> r.vpcId(id).cidrBlock(cidr)));
            ec2.modifyVpcAttribute(r -> r.vpcId(id).enableDnsSupport(v -> v.value(vpc.dnsSupport())));
            ec2.modifyVpcAttribute(r -> r.vpcId(id).enableDnsHostnames(v -> v.value(vpc.dnsHostnames())));
        }
        for (Scenario.Subnet subnet : world.subnets()) {
            if (!subnet.later()) {
                createSubnet(subnet);
            }
        }
        for (Scenario.SecurityGroup group : world.securityGroups()) {
            String id = ec2.createSecurityGroup(r -> r.vpcId(ids.get(group.vpc())).groupName(group.name())
                    .description("seeded by the scenario")).groupId();
            ids.put(group.name(), id);
            for (String cidr : group.httpsFrom()) {
                ec2.authorizeSecurityGroupIngress(r -> r.groupId(id).ipPermissions(IpPermission.builder().ipProtocol("tcp")
                        .fromPort(443).toPort(443).ipRanges(IpRange.builder().cidrIp(cidr).build()).build()));
            }
        }
        for (Scenario.Endpoint endpoint : world.endpoints()) {
            boolean gateway = endpoint.type().equals("Gateway");
            String id = ec2.createVpcEndpoint(r -> {
                r.vpcId(ids.get(endpoint.vpc())).serviceName(serviceName(endpoint.service()))
                        .tagSpecifications(tags(ResourceType.VPC_ENDPOINT, endpoint.name(), endpoint.tags()));
                if (gateway) {
                    r.vpcEndpointType(VpcEndpointType.GATEWAY)
                            .routeTableIds(endpoint.subnets().stream().map(routeTables::get).distinct().toList());
                } else {
                    r.vpcEndpointType(VpcEndpointType.INTERFACE).privateDnsEnabled(endpoint.privateDns())
                            .subnetIds(endpoint.subnets().stream().map(ids::get).toList())
                            .securityGroupIds(endpoint.securityGroups().stream().map(ids::get).toList());
                }
            }).vpcEndpoint().vpcEndpointId();
            ids.put(endpoint.name(), id);
        }
        for (Scenario.Role role : world.roles()) {
            ids.put(role.name(), iam.createRole(r -> r.roleName(role.name()).assumeRolePolicyDocument(ASSUME_ROLE_EC2)).role().arn());
            role.managedPolicies().forEach(policy -> iam.attachRolePolicy(r -> r.roleName(role.name()).policyArn(policy)));
        }
        for (Scenario.InstanceProfile profile : world.instanceProfiles()) {
            ids.put(profile.name(), iam.createInstanceProfile(r -> r.instanceProfileName(profile.name())).instanceProfile().arn());
            iam.addRoleToInstanceProfile(r -> r.instanceProfileName(profile.name()).roleName(profile.role()));
        }
        for (Scenario.Instance instance : world.instances()) {
            if (!instance.later()) {
                launch(instance);
            }
        }
    }

    /** Runs the instance (and stops it when it is seeded stopped). */
    private void launch(Scenario.Instance instance) {
        if (image == null) {
            image = image();
        }
        String profileArn = switch (instance.profile()) {
            case "none" -> null;
            case "stack" -> stackProfileArn;
            default -> ids.get(instance.profile());
        };
        String id = ec2.runInstances(r -> {
            r.imageId(image).instanceType("t3.micro").minCount(1).maxCount(1).subnetId(ids.get(instance.subnet()))
                    .metadataOptions(m -> m.httpEndpoint(instance.metadata().equals("enabled")
                            ? InstanceMetadataEndpointState.ENABLED : InstanceMetadataEndpointState.DISABLED)
                            .httpTokens(HttpTokensState.REQUIRED))
                    .tagSpecifications(tags(ResourceType.INSTANCE, instance.name(), instance.tags()));
            if (profileArn != null) {
                r.iamInstanceProfile(p -> p.arn(profileArn));
            }
        }).instances().getFirst().instanceId();
        ids.put(instance.name(), id);
        if (instance.publicIp()) {
            new ssmreach.local.World(ec2).elasticIp(id);
        }
        if (instance.state().equals("stopped")) {
            ec2.stopInstances(r -> r.instanceIds(id));
        }
    }

    /** The subnet, and its route table for its kind of route. */
    private void createSubnet(Scenario.Subnet subnet) {
        String vpcId = ids.get(subnet.vpc());
        String subnetId = ec2.createSubnet(r -> r.vpcId(vpcId).cidrBlock(subnet.cidr()).availabilityZone(subnet.zone())
                .tagSpecifications(tags(ResourceType.SUBNET, subnet.name(), subnet.tags()))).subnet().subnetId();
        ids.put(subnet.name(), subnetId);
        if (subnet.route().equals("isolated")) {
            routeTables.put(subnet.name(), mainRouteTable(vpcId));
            return;
        }
        String table = ec2.createRouteTable(r -> r.vpcId(vpcId)
                .tagSpecifications(tags(ResourceType.ROUTE_TABLE, subnet.name() + "-routes", Map.of()))).routeTable().routeTableId();
        ec2.associateRouteTable(r -> r.routeTableId(table).subnetId(subnetId));
        routeTables.put(subnet.name(), table);
        switch (subnet.route()) {
            case "public" -> {
                String igw = internetGateways.computeIfAbsent(vpcId, this::internetGateway);
                ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").gatewayId(igw));
            }
            case "nat" -> {
                String nat = natGateways.computeIfAbsent(vpcId, v -> natGateway(subnet.vpc()));
                ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").natGatewayId(nat));
            }
            case "tgw" -> {
                if (transitGateway == null) {
                    transitGateway = ec2.createTransitGateway(r -> r.description("scenario transit gateway"))
                            .transitGateway().transitGatewayId();
                }
                ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").transitGatewayId(transitGateway));
            }
            case "peering" -> {
                String peering = peering(vpcId);
                ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").vpcPeeringConnectionId(peering));
            }
            case "gwlb" -> {
                String endpoint = loadBalancerEndpoints.computeIfAbsent(vpcId, v -> loadBalancerEndpoint(v, subnetId));
                ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").vpcEndpointId(endpoint));
            }
            case "ipv6-egress-only" -> {
                String eigw = egressOnlyGateways.computeIfAbsent(vpcId, v -> ec2.createEgressOnlyInternetGateway(r -> r.vpcId(v))
                        .egressOnlyInternetGateway().egressOnlyInternetGatewayId());
                ec2.createRoute(r -> r.routeTableId(table).destinationIpv6CidrBlock("::/0").egressOnlyInternetGatewayId(eigw));
            }
            case "ipv6-internet" -> {
                String igw = internetGateways.computeIfAbsent(vpcId, this::internetGateway);
                ec2.createRoute(r -> r.routeTableId(table).destinationIpv6CidrBlock("::/0").gatewayId(igw));
            }
            default -> throw new IllegalStateException("route " + subnet.route());
        }
    }

    /** The stack's own instance profile, as template.yaml deploys it (once per emulator account). */
    private void ensureStackProfile(IamClient iam) {
        try {
            iam.getInstanceProfile(r -> r.instanceProfileName(LocalFunctions.INSTANCE_PROFILE));
        } catch (NoSuchEntityException e) {
            LocalFunctions.createInstanceProfile(iam);
        }
    }

    private String internetGateway(String vpcId) {
        String igw = ec2.createInternetGateway(r -> {}).internetGateway().internetGatewayId();
        ec2.attachInternetGateway(r -> r.internetGatewayId(igw).vpcId(vpcId));
        return igw;
    }

    /** A NAT gateway in the VPC's first public subnet (validated to exist). */
    private String natGateway(String vpcName) {
        Scenario.Subnet publicSubnet = world.subnets().stream()
                .filter(s -> s.vpc().equals(vpcName) && s.route().equals("public")).findFirst().orElseThrow();
        String allocation = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
        return ec2.createNatGateway(r -> r.subnetId(ids.get(publicSubnet.name())).allocationId(allocation))
                .natGateway().natGatewayId();
    }

    /**
     * A Gateway Load Balancer endpoint (centralized inspection) for the VPC, in the first subnet that routes to it; the
     * appliances behind it are not modelled.
     */
    private String loadBalancerEndpoint(String vpcId, String subnetId) {
        return ec2.createVpcEndpoint(r -> r.vpcId(vpcId).vpcEndpointType(VpcEndpointType.GATEWAY_LOAD_BALANCER)
                .serviceName("com.amazonaws.vpce." + LocalAws.REGION.id() + ".vpce-svc-0a1b2c3d4e5f60718")
                .subnetIds(subnetId)).vpcEndpoint().vpcEndpointId();
    }

    /** A peering connection to a VPC outside the scenario, with a block none of its VPCs uses. */
    private String peering(String vpcId) {
        String cidr = PEER_CIDRS.stream()
                .filter(c -> world.vpcs().stream().noneMatch(v -> v.cidr().startsWith(c.substring(0, c.indexOf('.', 4)))))
                .findFirst().orElseThrow();
        String peer = ec2.createVpc(r -> r.cidrBlock(cidr).tagSpecifications(tags(ResourceType.VPC, "peer", Map.of()))).vpc().vpcId();
        String connection = ec2.createVpcPeeringConnection(r -> r.vpcId(vpcId).peerVpcId(peer))
                .vpcPeeringConnection().vpcPeeringConnectionId();
        ec2.acceptVpcPeeringConnection(r -> r.vpcPeeringConnectionId(connection));
        return connection;
    }

    private String mainRouteTable(String vpcId) {
        return ec2.describeRouteTables(r -> r.filters(filter("vpc-id", vpcId), filter("association.main", "true")))
                .routeTables().getFirst().routeTableId();
    }

    /** An Amazon Linux image moto knows, so instances look like the real thing. */
    private String image() {
        return ec2.describeImages(r -> r.owners("amazon").filters(filter("name", "amzn2-ami-hvm-*"))).images().stream()
                .map(i -> i.imageId()).sorted().findFirst()
                .orElseGet(() -> ec2.describeImages(r -> r.owners("amazon")).images().getFirst().imageId());
    }

    private static TagSpecification tags(ResourceType type, String name, Map<String, String> tags) {
        List<Tag> all = new ArrayList<>();
        all.add(Tag.builder().key("Name").value(name).build());
        tags.forEach((k, v) -> all.add(Tag.builder().key(k).value(v).build()));
        return TagSpecification.builder().resourceType(type).tags(all).build();
    }

    static Filter filter(String name, String... values) {
        return Filter.builder().name(name).values(values).build();
    }

    // ---------------------------------------------------------------- actions and inputs

    /**
     * Performs an action between executions; one with {@code after} is performed once, right after the next
     * invocation of that function on {@code lambda} (before the workflow gets its answer).
     */
    public void perform(Scenario.Action action, LambdaInvokeServer lambda) {
        if (action.after() != null) {
            deferred.add(action);
            AtomicBoolean done = new AtomicBoolean();
            lambda.onInvocation(invocation -> {
                if (invocation.functionName().equals(action.after()) && done.compareAndSet(false, true)) {
                    deferred.remove(action);
                    try {
                        performNow(action, lambda);
                    } catch (RuntimeException e) {
                        deferredFailures.add(action.label() + ": failed: " + e.getMessage());
                    }
                }
            });
            return;
        }
        performNow(action, lambda);
    }

    /** The actions with {@code after} that did not happen (their function was not invoked) or failed; empty when all did. */
    public List<String> deferredFailures() {
        List<String> all = new ArrayList<>(deferredFailures);
        deferred.forEach(action -> all.add(action.label() + ": did not happen, " + action.after() + " was not invoked after it"));
        return all;
    }

    private void performNow(Scenario.Action action, LambdaInvokeServer lambda) {
        switch (action.kind()) {
            case "create-subnet" -> createSubnet(world.subnets().stream().filter(s -> s.name().equals(action.subnet())).findFirst()
                    .orElseThrow());
            case "delete-subnet" -> ec2.deleteSubnet(r -> r.subnetId(id(action.subnet())));
            case "terminate-instance" -> ec2.terminateInstances(r -> r.instanceIds(id(action.instance())));
            case "launch-instance" -> launch(world.instances().stream().filter(i -> i.name().equals(action.instance())).findFirst()
                    .orElseThrow());
            case "revoke-https" -> {
                SecurityGroup group = action.group().equals("managed") ? managedGroups(id(action.vpc())).stream().findFirst()
                        .orElseThrow(() -> new ScenarioException("revoke-https: VPC " + action.vpc()
                                + " has no managed security group yet"))
                        : ec2.describeSecurityGroups(r -> r.groupIds(id(action.group()))).securityGroups().getFirst();
                List<IpPermission> https = group.ipPermissions().stream()
                        .filter(p -> "tcp".equals(p.ipProtocol()) && Integer.valueOf(443).equals(p.fromPort())).toList();
                if (!https.isEmpty()) {
                    ec2.revokeSecurityGroupIngress(r -> r.groupId(group.groupId()).ipPermissions(https));
                }
            }
            case "fail-next" -> lambda.failNext(action.function(), action.times(), Faults.supplier(action.error(), action.message()));
            case "delete-endpoint" -> {
                List<String> ours = endpoints(id(action.vpc())).stream()
                        .filter(e -> serviceName(action.service()).equals(e.serviceName()) && EndpointPlanner.owned(e))
                        .map(VpcEndpoint::vpcEndpointId).toList();
                if (ours.isEmpty()) {
                    throw new ScenarioException(action.label() + ": VPC " + action.vpc() + " has no " + action.service()
                            + " endpoint of the stack yet");
                }
                ec2.deleteVpcEndpoints(r -> r.vpcEndpointIds(ours));
            }
            case "remove-endpoint-zone" -> {
                String vpcId = id(vpcOf(action.subnet()));
                Map<String, String> zones = zones(vpcId);
                String zone = zones.get(id(action.subnet()));
                int removed = 0;
                for (VpcEndpoint endpoint : endpoints(vpcId)) {
                    List<String> inZone = endpoint.subnetIds().stream().filter(s -> zone.equals(zones.get(s))).toList();
                    if (serviceName(action.service()).equals(endpoint.serviceName()) && !inZone.isEmpty()) {
                        ec2.modifyVpcEndpoint(r -> r.vpcEndpointId(endpoint.vpcEndpointId()).removeSubnetIds(inZone));
                        removed++;
                    }
                }
                if (removed == 0) {
                    throw new ScenarioException(action.label() + ": no " + action.service() + " endpoint serves " + zone);
                }
            }
            case "disable-dns-attribute" -> ec2.modifyVpcAttribute(r -> {
                r.vpcId(id(action.vpc()));
                if (action.attribute().equals("enableDnsSupport")) {
                    r.enableDnsSupport(v -> v.value(false));
                } else {
                    r.enableDnsHostnames(v -> v.value(false));
                }
            });
            case "drop-gateway-route-table" -> {
                String table = routeTable(action.subnet());
                List<VpcEndpoint> holding = endpoints(id(vpcOf(action.subnet()))).stream()
                        .filter(e -> serviceName("s3").equals(e.serviceName()) && e.routeTableIds().contains(table)).toList();
                if (holding.isEmpty()) {
                    throw new ScenarioException(action.label() + ": no S3 gateway endpoint holds " + table);
                }
                holding.forEach(e -> ec2.modifyVpcEndpoint(r -> r.vpcEndpointId(e.vpcEndpointId()).removeRouteTableIds(table)));
            }
            case "delete-default-route" -> ec2.deleteRoute(r -> r.routeTableId(routeTable(action.subnet())).destinationCidrBlock("0.0.0.0/0"));
            case "remove-instance-profile" -> {
                String instanceId = id(action.instance());
                List<String> associations = ec2.describeIamInstanceProfileAssociations(r -> r.filters(filter("instance-id", instanceId)))
                        .iamInstanceProfileAssociations().stream().filter(a -> "associated".equalsIgnoreCase(a.stateAsString()))
                        .map(a -> a.associationId()).toList();
                if (associations.isEmpty()) {
                    throw new ScenarioException(action.label() + ": the instance has no profile");
                }
                associations.forEach(a -> ec2.disassociateIamInstanceProfile(r -> r.associationId(a)));
            }
            default -> throw new IllegalStateException("action " + action.kind());
        }
    }

    /** The endpoint service name of a service in the emulator's Region. */
    static String serviceName(String service) {
        return "com.amazonaws." + LocalAws.REGION.id() + "." + service;
    }

    private String vpcOf(String subnetName) {
        return world.subnets().stream().filter(s -> s.name().equals(subnetName)).findFirst().orElseThrow().vpc();
    }

    /** The execution input: the event file with the seeded ids, or the inline input with its placeholders resolved. */
    public String input(Scenario.Trigger trigger) {
        if (trigger.eventFile() == null) {
            return resolve(trigger.input()).toString();
        }
        String text;
        try {
            text = Files.readString(LocalWorkflow.repositoryRoot().resolve(trigger.eventFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode event = parse(text);
        if (trigger.subnet() != null) {
            text = replaceSample(event, text, SUBNET_ID, id(trigger.subnet()));
            text = replaceSample(event, text, VPC_ID, id(vpcOf(trigger.subnet())));
            text = replaceSample(event, text, ROUTE_TABLE_ID, routeTable(trigger.subnet()));
        }
        if (trigger.instance() != null) {
            text = replaceSample(event, text, INSTANCE_ID, id(trigger.instance()));
        }
        JsonNode filled = parse(text);
        trigger.set().forEach((path, value) -> set(filled, path, resolve(value)));
        return filled.toString();
    }

    /** The one id of a kind that a sample event holds (ARNs included); empty if none. */
    static Optional<String> sampleId(JsonNode event, Pattern pattern) {
        Set<String> found = new LinkedHashSet<>();
        Matcher matcher = pattern.matcher(event.toString());
        while (matcher.find()) {
            found.add(matcher.group());
        }
        if (found.size() > 1) {
            throw new ScenarioException("the event holds several ids of one kind " + found + ": which one to replace is unclear");
        }
        return found.stream().findFirst();
    }

    private static String replaceSample(JsonNode event, String text, Pattern pattern, String id) {
        return sampleId(event, pattern).map(sample -> text.replace(sample, id)).orElse(text);
    }

    /** Replaces each {@code ${name}} in strings (values and keys) by the seeded id. */
    public JsonNode resolve(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return MAPPER.getNodeFactory().textNode(resolve(node.asText()));
        }
        if (node.isArray()) {
            ArrayNode copy = MAPPER.createArrayNode();
            node.forEach(item -> copy.add(resolve(item)));
            return copy;
        }
        if (node.isObject()) {
            ObjectNode copy = MAPPER.createObjectNode();
            node.properties().forEach(e -> copy.set(resolve(e.getKey()), resolve(e.getValue())));
            return copy;
        }
        return node;
    }

    public String resolve(String text) {
        return Scenario.PLACEHOLDER.matcher(text).replaceAll(m -> Matcher.quoteReplacement(id(m.group(1))));
    }

    private static void set(JsonNode root, String path, JsonNode value) {
        String[] segments = path.split("\\.");
        JsonNode parent = root;
        for (int i = 0; i < segments.length - 1; i++) {
            JsonNode next = parent.isArray() ? parent.get(Integer.parseInt(segments[i])) : parent.get(segments[i]);
            if (next == null || !next.isContainerNode()) {
                if (!parent.isObject()) {
                    throw new ScenarioException("set " + path + ": no " + segments[i] + " in the event");
                }
                next = ((ObjectNode) parent).putObject(segments[i]);
            }
            parent = next;
        }
        String last = segments[segments.length - 1];
        if (parent.isObject()) {
            ((ObjectNode) parent).set(last, value);
        } else if (parent.isArray() && last.matches("\\d+") && Integer.parseInt(last) < parent.size()) {
            ((ArrayNode) parent).set(Integer.parseInt(last), value);
        } else {
            throw new ScenarioException("set " + path + ": cannot set " + last + " in the event");
        }
    }

    private static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- reads of the emulator

    /** The VPC's endpoints that are not deleted, oldest first. */
    public List<VpcEndpoint> endpoints(String vpcId) {
        return ec2.describeVpcEndpoints(r -> r.filters(filter("vpc-id", vpcId))).vpcEndpoints().stream()
                .filter(e -> !List.of("deleted", "deleting").contains(String.valueOf(e.stateAsString()).toLowerCase()))
                .toList();
    }

    /** The route table of a subnet of the scenario (its own, or the VPC's main table for an isolated one). */
    public String routeTable(String subnetName) {
        String table = routeTables.get(subnetName);
        if (table == null) {
            throw new IllegalArgumentException("subnet " + subnetName + " was not created");
        }
        return table;
    }

    /** Subnet id to zone, for every subnet of the VPC. */
    public Map<String, String> zones(String vpcId) {
        return ec2.describeSubnets(r -> r.filters(filter("vpc-id", vpcId))).subnets().stream()
                .collect(Collectors.toMap(Subnet::subnetId, Subnet::availabilityZone, (a, b) -> a, TreeMap::new));
    }

    public List<SecurityGroup> managedGroups(String vpcId) {
        return ec2.describeSecurityGroups(r -> r.filters(filter("vpc-id", vpcId),
                filter("tag:" + PrepareVpcHandler.MANAGED_TAG, "true"))).securityGroups();
    }

    public boolean dnsAttribute(String vpcId, VpcAttributeName name) {
        var answer = ec2.describeVpcAttribute(r -> r.vpcId(vpcId).attribute(name));
        var value = name == VpcAttributeName.ENABLE_DNS_SUPPORT ? answer.enableDnsSupport() : answer.enableDnsHostnames();
        return value != null && Boolean.TRUE.equals(value.value());
    }

    /** The subnet's tags; empty when the subnet no longer exists. */
    public Optional<Map<String, String>> subnetTags(String subnetId) {
        return ec2.describeSubnets(r -> r.filters(filter("subnet-id", subnetId))).subnets().stream().findFirst()
                .map(s -> s.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> a, TreeMap::new)));
    }

    public Optional<Instance> instance(String instanceId) {
        return ec2.describeInstances(r -> r.filters(filter("instance-id", instanceId))).reservations().stream()
                .flatMap(r -> r.instances().stream()).findFirst();
    }

    /** The ARN of the instance's associated profile; empty for none. */
    public Optional<String> profileArn(String instanceId) {
        return ec2.describeIamInstanceProfileAssociations(r -> r.filters(filter("instance-id", instanceId)))
                .iamInstanceProfileAssociations().stream().filter(a -> "associated".equalsIgnoreCase(a.stateAsString()))
                .map(a -> a.iamInstanceProfile().arn()).findFirst();
    }

    /** "none", "stack" or the scenario's name for a profile ARN. */
    public String profileName(String arn) {
        if (arn == null) {
            return "none";
        }
        if (arn.equals(stackProfileArn)) {
            return "stack";
        }
        return nameOf(arn);
    }

    /** The instance's PingStatus as Systems Manager reports it (the local fleet), or "none" when it is not registered. */
    public String pingStatus(String instanceId) {
        if (ssm == null) {
            ssm = aws.ssm();
        }
        return ssm.describeInstanceInformation(r -> r.filters(f -> f.key("InstanceIds").values(instanceId)))
                .instanceInformationList().stream().findFirst().map(InstanceInformation::pingStatusAsString).orElse("none");
    }
}
