package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.PolicyEvaluationDecisionType;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationFilterKey;
import software.amazon.awssdk.services.ssm.model.PingStatus;
import software.amazon.awssdk.services.ssm.model.PlatformType;
import software.amazon.awssdk.services.ssm.model.ResourceType;
import software.amazon.awssdk.services.ssm.model.SsmException;
import ssmreach.testing.LocalAwsExtension;

/**
 * The simulated SSM fleet through the SDK: PingStatus follows the emulator's state — profile and
 * role, internet route or private-DNS endpoints behind a security group that admits 443, VPC DNS
 * attributes — and appears only after the registration delay.
 */
@ExtendWith(LocalAwsExtension.class)
class SsmFleetIT {
    private static final Duration DELAY = Duration.ofMillis(1200);
    private static final String CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    private static final String EC2_TRUST = """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}""";

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private final IamClient iam;
    private final StrictAwsProxy proxy;
    private final SsmClient ssm;
    private final IamClient proxiedIam;

    SsmFleetIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
        this.iam = iamClient(aws.motoEndpoint());
        // A proxy of its own with a short delay, in front of the same moto, so each test starts with no agents.
        this.proxy = new StrictAwsProxy(aws.motoEndpoint(), DELAY);
        this.ssm = SsmClient.builder().httpClient(UrlConnectionHttpClient.create()).region(LocalAws.REGION)
                .endpointOverride(proxy.endpoint()).credentialsProvider(credentials()).build();
        this.proxiedIam = iamClient(proxy.endpoint());
    }

    @AfterEach
    void tearDown() {
        proxy.close();
    }

    @Test
    void goodRoleAndInternetRouteComeOnlineAfterTheDelay() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        world.internetRoute(vpc, world.ownRouteTable(vpc, subnet));
        String instance = publicInstance(subnet, profile(role("core", CORE)));

        Instant firstLook = Instant.now();
        assertEquals(List.of(), listed(instance), "not registered before the delay");
        assertEquals(Optional.empty(), proxy.fleet().blockingReason(instance));
        assertEquals(List.of(), listed(instance), "still registering");

        sleepUntil(firstLook.plus(DELAY));
        InstanceInformation info = listed(instance).getFirst();
        assertEquals(PingStatus.ONLINE, info.pingStatus());
        assertEquals(PlatformType.LINUX, info.platformType());
        assertEquals(ResourceType.EC2_INSTANCE, info.resourceType());
        assertNotNull(info.agentVersion());
        assertTrue(Duration.between(info.lastPingDateTime(), Instant.now()).abs().toSeconds() < 5, "pinged just now");
    }

    @Test
    void natGatewayRouteIsEnoughToo() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String publicSubnet = world.subnet(vpc, "10.0.2.0/24", "us-east-1a");
        String allocation = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
        String nat = ec2.createNatGateway(r -> r.subnetId(publicSubnet).allocationId(allocation)).natGateway().natGatewayId();
        String table = world.ownRouteTable(vpc, subnet);
        ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0").natGatewayId(nat));

        assertOnlineAfterDelay(instance(subnet, profile(role("core", CORE))));
    }

    @Test
    void instanceWithoutProfileIsNeverListed() {
        String subnet = publicSubnet();
        String instance = publicInstance(subnet, null);

        assertNeverListed(instance);
        assertTrue(reason(instance).contains("no IAM instance profile"), reason(instance));
    }

    @Test
    void roleWithoutSsmPermissionsIsNotListedAndTheSimulatorSaysImplicitDeny() {
        String subnet = publicSubnet();
        String role = role("s3-only", null);
        iam.putRolePolicy(r -> r.roleName(role).policyName("read").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"""));
        String instance = publicInstance(subnet, profile(role));

        assertEquals(Set.of(PolicyEvaluationDecisionType.IMPLICIT_DENY), Set.copyOf(simulate(role).values()));
        assertNeverListed(instance);
        assertTrue(reason(instance).contains("ssm:UpdateInstanceInformation (implicitDeny)"), reason(instance));
    }

    @Test
    void explicitDenyWinsOverTheManagedPolicy() {
        String subnet = publicSubnet();
        String role = role("denied", CORE);
        iam.putRolePolicy(r -> r.roleName(role).policyName("no-ssm").policyDocument("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "ssm:*", "Resource": "*"}]}"""));
        String instance = publicInstance(subnet, profile(role));

        var decisions = simulate(role);
        assertEquals(PolicyEvaluationDecisionType.EXPLICIT_DENY, decisions.get("ssm:UpdateInstanceInformation"));
        assertEquals(PolicyEvaluationDecisionType.ALLOWED, decisions.get("ec2messages:GetMessages"));
        assertNeverListed(instance);
        assertTrue(reason(instance).contains("ssm:UpdateInstanceInformation (explicitDeny)"), reason(instance));
    }

    @Test
    void roleThatEc2CannotAssumeGivesNoCredentials() {
        String subnet = publicSubnet();
        String role = iam.createRole(r -> r.roleName("lambda-only").assumeRolePolicyDocument(EC2_TRUST.replace("ec2.", "lambda.")))
                .role().roleName();
        iam.attachRolePolicy(r -> r.roleName(role).policyArn(CORE));
        String instance = publicInstance(subnet, profile(role));

        assertNeverListed(instance);
        assertTrue(reason(instance).contains("does not let ec2.amazonaws.com assume it"), reason(instance));
    }

    @Test
    void disabledMetadataServiceBlocksTheAgent() {
        String subnet = publicSubnet();
        String instance = publicInstance(subnet, profile(role("core", CORE)));
        ec2.modifyInstanceMetadataOptions(r -> r.instanceId(instance).httpEndpoint(InstanceMetadataEndpointState.DISABLED)
                .httpTokens(HttpTokensState.REQUIRED));

        assertNeverListed(instance);
        assertTrue(reason(instance).contains("HttpEndpoint=disabled"), reason(instance));
    }

    @Test
    void internetGatewayRouteCarriesNothingForAnInstanceWithoutAPublicIpv4Address() {
        String instance = instance(publicSubnet(), profile(role("core", CORE)));

        assertNeverListed(instance);
        String reason = reason(instance);
        assertTrue(reason.contains("instance " + instance + " has no public IPv4 address for the internet gateway route"), reason);
        assertTrue(reason.contains("no Interface endpoint for com.amazonaws.us-east-1.ssm"), reason);
    }

    @Test
    void peeringDefaultRouteLeadsNowhere() {
        String vpc = world.vpc("10.0.0.0/16");
        String peer = world.vpc("192.168.0.0/16");
        String peering = ec2.createVpcPeeringConnection(r -> r.vpcId(vpc).peerVpcId(peer)).vpcPeeringConnection().vpcPeeringConnectionId();
        ec2.acceptVpcPeeringConnection(r -> r.vpcPeeringConnectionId(peering));

        String reason = reasonWithRoute(vpc, table -> ec2.createRoute(r -> r.routeTableId(table).destinationCidrBlock("0.0.0.0/0")
                .vpcPeeringConnectionId(peering)));

        assertTrue(reason.contains("0.0.0.0/0 via " + peering + ": peering does not route to the internet"), reason);
    }

    @Test
    void ipv6DefaultRouteAloneCarriesNoIpv4Agent() {
        String vpc = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16").amazonProvidedIpv6CidrBlock(true)).vpc().vpcId();
        String eigw = ec2.createEgressOnlyInternetGateway(r -> r.vpcId(vpc)).egressOnlyInternetGateway().egressOnlyInternetGatewayId();

        String reason = reasonWithRoute(vpc, table -> ec2.createRoute(r -> r.routeTableId(table).destinationIpv6CidrBlock("::/0")
                .egressOnlyInternetGatewayId(eigw)));

        assertTrue(reason.contains("only ::/0 via " + eigw + "; no IPv4 path"), reason);
    }

    /**
     * Why a good instance with a public IPv4 address is never listed when its subnet's own route
     * table holds only what {@code route} adds (and the VPC has no endpoints).
     */
    private String reasonWithRoute(String vpc, java.util.function.Consumer<String> route) {
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        route.accept(world.ownRouteTable(vpc, subnet));
        String instance = publicInstance(subnet, profile(role("core", CORE)));
        assertNeverListed(instance);
        return reason(instance);
    }

    @Test
    void isolatedSubnetWithPrivateDnsEndpointsComesOnline() {
        Isolated isolated = isolatedWithEndpoints(List.of("ssm", "ssmmessages", "ec2messages"), 443, true);

        assertOnlineAfterDelay(isolated.instance());
    }

    @Test
    void isolatedSubnetMissingOneEndpointIsNotListed() {
        Isolated isolated = isolatedWithEndpoints(List.of("ssm", "ec2messages"), 443, true);

        assertNeverListed(isolated.instance());
        String reason = reason(isolated.instance());
        assertTrue(reason.contains("has no IPv4 way out (no 0.0.0.0/0 route)"), reason);
        assertTrue(reason.contains("no Interface endpoint for com.amazonaws.us-east-1.ssmmessages"), reason);
    }

    @Test
    void endpointGroupWithout443IsNotListed() {
        Isolated isolated = isolatedWithEndpoints(List.of("ssm", "ssmmessages", "ec2messages"), 22, true);

        assertNeverListed(isolated.instance());
        String reason = reason(isolated.instance());
        assertTrue(reason.contains("admit no TCP 443 from 10.0.1.0/24"), reason);
    }

    @Test
    void dnsHostnamesOffIsNotListed() {
        Isolated isolated = isolatedWithEndpoints(List.of("ssm", "ssmmessages", "ec2messages"), 443, false);

        assertNeverListed(isolated.instance());
        String reason = reason(isolated.instance());
        assertTrue(reason.contains(isolated.vpc() + " has enableDnsHostnames off"), reason);
    }

    @Test
    void endpointWithoutPrivateDnsDoesNotCount() {
        Isolated isolated = isolatedWithEndpoints(List.of("ssm", "ec2messages"), 443, true);
        ec2.createVpcEndpoint(r -> r.vpcId(isolated.vpc()).serviceName("com.amazonaws.us-east-1.ssmmessages")
                .vpcEndpointType(VpcEndpointType.INTERFACE).subnetIds(isolated.subnet()).securityGroupIds(isolated.group())
                .privateDnsEnabled(false));

        assertNeverListed(isolated.instance());
        assertTrue(reason(isolated.instance()).contains("com.amazonaws.us-east-1.ssmmessages has private DNS off"), reason(isolated.instance()));
    }

    @Test
    void revokingTheRuleAfterOnlineGivesConnectionLost() {
        Isolated isolated = isolatedWithEndpoints(List.of("ssm", "ssmmessages", "ec2messages"), 443, true);
        InstanceInformation online = assertOnlineAfterDelay(isolated.instance());

        ec2.revokeSecurityGroupIngress(r -> r.groupId(isolated.group()).ipPermissions(p -> p.ipProtocol("tcp").fromPort(443).toPort(443)
                .ipRanges(ip -> ip.cidrIp("10.0.0.0/16"))));

        InstanceInformation lost = listed(isolated.instance()).getFirst();
        assertEquals(PingStatus.CONNECTION_LOST, lost.pingStatus());
        assertEquals(online.lastPingDateTime(), lost.lastPingDateTime(), "last ping is the last time it was Online");
        assertTrue(reason(isolated.instance()).contains("admit no TCP 443"), reason(isolated.instance()));
    }

    @Test
    void stoppedInstanceIsNoLongerListed() {
        String instance = publicInstance(publicSubnet(), profile(role("core", CORE)));
        assertOnlineAfterDelay(instance);

        ec2.stopInstances(r -> r.instanceIds(instance));

        assertEquals(List.of(), listed(instance));
        assertTrue(reason(instance).contains("is stopped"), reason(instance));
    }

    @Test
    void filtersByInstanceIdsAreHonoured() {
        String subnet = publicSubnet();
        String profile = profile(role("core", CORE));
        String first = publicInstance(subnet, profile);
        String second = publicInstance(subnet, profile);
        String bare = publicInstance(subnet, null);
        ssm.describeInstanceInformation(r -> {});
        sleep(DELAY);

        assertEquals(Set.of(first, second), ids(ssm.describeInstanceInformation(r -> {}).instanceInformationList()));
        assertEquals(Set.of(first), ids(ssm.describeInstanceInformation(r -> r.filters(f -> f.key("InstanceIds").values(first)))
                .instanceInformationList()));
        assertEquals(Set.of(second), ids(ssm.describeInstanceInformation(r -> r.instanceInformationFilterList(
                f -> f.key(InstanceInformationFilterKey.INSTANCE_IDS).valueSet(second, bare))).instanceInformationList()));
        assertEquals(Set.of(), ids(ssm.describeInstanceInformation(r -> r.filters(f -> f.key("InstanceIds").values("i-0123456789abcdef0")))
                .instanceInformationList()));
        assertEquals(Set.of(first, second), ids(ssm.describeInstanceInformation(r -> r.filters(f -> f.key("PingStatus").values("Online")))
                .instanceInformationList()));

        var page = ssm.describeInstanceInformation(r -> r.maxResults(5).filters(f -> f.key("InstanceIds").values(first, second)));
        assertEquals(2, page.instanceInformationList().size());
        assertEquals(null, page.nextToken());

        SsmException both = assertThrows(SsmException.class, () -> ssm.describeInstanceInformation(r -> r
                .filters(f -> f.key("InstanceIds").values(first))
                .instanceInformationFilterList(f -> f.key(InstanceInformationFilterKey.INSTANCE_IDS).valueSet(second))));
        assertEquals(400, both.statusCode());
        SsmException unknownKey = assertThrows(SsmException.class,
                () -> ssm.describeInstanceInformation(r -> r.filters(f -> f.key("Colour").values("blue"))));
        assertEquals("InvalidFilterKey", unknownKey.awsErrorDetails().errorCode());
    }

    @Test
    void pagesFollowNextToken() {
        String subnet = publicSubnet();
        String profile = profile(role("core", CORE));
        List<String> instances = ec2.runInstances(r -> r.imageId("ami-12c6146b").instanceType("t3.micro").minCount(7).maxCount(7)
                .subnetId(subnet)).instances().stream().map(i -> i.instanceId()).toList();
        instances.forEach(id -> ec2.associateIamInstanceProfile(r -> r.instanceId(id).iamInstanceProfile(p -> p.name(profile))));
        instances.forEach(world::elasticIp);
        ssm.describeInstanceInformation(r -> {});
        sleep(DELAY.plusMillis(150));

        var first = ssm.describeInstanceInformation(r -> r.maxResults(5));
        assertEquals(5, first.instanceInformationList().size());
        assertNotNull(first.nextToken());
        assertEquals(Set.copyOf(instances), ssm.describeInstanceInformationPaginator(r -> r.maxResults(5)).instanceInformationList()
                .stream().map(InstanceInformation::instanceId).collect(Collectors.toSet()));
        SsmException tooMany = assertThrows(SsmException.class, () -> ssm.describeInstanceInformation(r -> r.maxResults(51)));
        assertEquals(400, tooMany.statusCode());
    }

    @Test
    void localAwsServesTheFleetAndTheSimulatorOnItsEndpoint() {
        String instance = publicInstance(publicSubnet(), profile(role("core", CORE)));
        SsmClient viaLocalAws = SsmClient.builder().httpClient(UrlConnectionHttpClient.create()).region(LocalAws.REGION)
                .endpointOverride(aws.endpoint()).credentialsProvider(credentials()).build();
        IamClient iamViaLocalAws = iamClient(aws.endpoint());

        var decision = iamViaLocalAws.simulatePrincipalPolicy(r -> r.policySourceArn("arn:aws:iam::123456789012:role/core")
                .actionNames("ssm:UpdateInstanceInformation")).evaluationResults().getFirst().evalDecision();
        assertEquals(PolicyEvaluationDecisionType.ALLOWED, decision);
        Instant firstLook = Instant.now();
        assertEquals(List.of(), viaLocalAws.describeInstanceInformation(r -> r.filters(f -> f.key("InstanceIds").values(instance)))
                .instanceInformationList());
        sleepUntil(firstLook.plus(SsmFleet.DEFAULT_REGISTRATION_DELAY));
        assertEquals(PingStatus.ONLINE, viaLocalAws.describeInstanceInformation(r -> r.filters(f -> f.key("InstanceIds").values(instance)))
                .instanceInformationList().getFirst().pingStatus());
    }

    // --- the world ---

    private record Isolated(String vpc, String subnet, String group, String instance) {}

    /** An isolated subnet (route table without a default route), endpoints for {@code services} behind a group admitting {@code port}. */
    private Isolated isolatedWithEndpoints(List<String> services, int port, boolean dnsHostnames) {
        String vpc = world.vpc("10.0.0.0/16");
        if (dnsHostnames) {
            ec2.modifyVpcAttribute(r -> r.vpcId(vpc).enableDnsHostnames(v -> v.value(true)));
        }
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        world.ownRouteTable(vpc, subnet);
        String group = ec2.createSecurityGroup(r -> r.vpcId(vpc).groupName("endpoints").description("endpoints")).groupId();
        ec2.authorizeSecurityGroupIngress(r -> r.groupId(group).ipPermissions(p -> p.ipProtocol("tcp").fromPort(port).toPort(port)
                .ipRanges(ip -> ip.cidrIp("10.0.0.0/16"))));
        for (String service : services) {
            ec2.createVpcEndpoint(r -> r.vpcId(vpc).serviceName("com.amazonaws.us-east-1." + service).vpcEndpointType(VpcEndpointType.INTERFACE)
                    .subnetIds(subnet).securityGroupIds(group).privateDnsEnabled(true));
        }
        return new Isolated(vpc, subnet, group, instance(subnet, profile(role("core", CORE))));
    }

    private String publicSubnet() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        world.internetRoute(vpc, world.ownRouteTable(vpc, subnet));
        return subnet;
    }

    private String role(String name, String managedPolicyArn) {
        iam.createRole(r -> r.roleName(name).assumeRolePolicyDocument(EC2_TRUST));
        if (managedPolicyArn != null) {
            iam.attachRolePolicy(r -> r.roleName(name).policyArn(managedPolicyArn));
        }
        return name;
    }

    private String profile(String role) {
        String name = role + "-profile";
        iam.createInstanceProfile(r -> r.instanceProfileName(name));
        iam.addRoleToInstanceProfile(r -> r.instanceProfileName(name).roleName(role));
        return name;
    }

    /** A running instance with a public IPv4 address (an Elastic IP), as an internet gateway route needs. */
    private String publicInstance(String subnet, String profile) {
        String id = instance(subnet, profile);
        world.elasticIp(id);
        return id;
    }

    /** A running instance in the subnet (no public IPv4 address), with the profile associated when one is given. */
    private String instance(String subnet, String profile) {
        String id = ec2.runInstances(r -> r.imageId("ami-12c6146b").instanceType("t3.micro").minCount(1).maxCount(1).subnetId(subnet))
                .instances().getFirst().instanceId();
        if (profile != null) {
            ec2.associateIamInstanceProfile(r -> r.instanceId(id).iamInstanceProfile(p -> p.name(profile)));
        }
        return id;
    }

    // --- looking ---

    private List<InstanceInformation> listed(String instance) {
        return ssm.describeInstanceInformation(r -> r.filters(f -> f.key("InstanceIds").values(instance))).instanceInformationList();
    }

    private java.util.Map<String, PolicyEvaluationDecisionType> simulate(String role) {
        return proxiedIam.simulatePrincipalPolicy(r -> r.policySourceArn("arn:aws:iam::123456789012:role/" + role)
                        .actionNames(SsmFleet.AGENT_ACTIONS)).evaluationResults().stream()
                .collect(Collectors.toMap(e -> e.evalActionName(), e -> e.evalDecision()));
    }

    private String reason(String instance) {
        return proxy.fleet().blockingReason(instance).orElse("(none)");
    }

    private InstanceInformation assertOnlineAfterDelay(String instance) {
        assertEquals(List.of(), listed(instance), "not registered before the delay");
        // The fleet starts counting when that first look has seen the prerequisites: at the latest, now.
        Instant firstLook = Instant.now();
        sleepUntil(firstLook.plus(DELAY));
        List<InstanceInformation> listed = listed(instance);
        assertEquals(1, listed.size(), () -> "listed after the delay; blocked by: " + reason(instance));
        assertEquals(PingStatus.ONLINE, listed.getFirst().pingStatus());
        return listed.getFirst();
    }

    private void assertNeverListed(String instance) {
        assertEquals(List.of(), listed(instance));
        sleep(DELAY.plusMillis(200));
        assertEquals(List.of(), listed(instance), "not listed, even after the delay");
    }

    private static Set<String> ids(List<InstanceInformation> list) {
        return list.stream().map(InstanceInformation::instanceId).collect(Collectors.toSet());
    }

    private static IamClient iamClient(java.net.URI endpoint) {
        return IamClient.builder().httpClient(UrlConnectionHttpClient.create()).region(LocalAws.REGION).endpointOverride(endpoint)
                .credentialsProvider(credentials()).build();
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    }

    private static void sleepUntil(Instant when) {
        Duration left = Duration.between(Instant.now(), when);
        if (!left.isNegative()) {
            sleep(left.plusMillis(150));
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
