package ssmreach.diagnosis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ssmreach.diagnosis.DiagnosisFixtures.ACL;
import static ssmreach.diagnosis.DiagnosisFixtures.ENDPOINT_SG;
import static ssmreach.diagnosis.DiagnosisFixtures.INSTANCE;
import static ssmreach.diagnosis.DiagnosisFixtures.SUBNET_B;
import static ssmreach.diagnosis.DiagnosisFixtures.SUBNET_CIDR;
import static ssmreach.diagnosis.DiagnosisFixtures.VPC;
import static ssmreach.diagnosis.DiagnosisFixtures.VPC_CIDR;
import static ssmreach.diagnosis.DiagnosisFixtures.ZONE;
import static ssmreach.diagnosis.DiagnosisFixtures.allTraffic;
import static ssmreach.diagnosis.DiagnosisFixtures.allowAll;
import static ssmreach.diagnosis.DiagnosisFixtures.defaultDenies;
import static ssmreach.diagnosis.DiagnosisFixtures.defaultRoute;
import static ssmreach.diagnosis.DiagnosisFixtures.endpoint;
import static ssmreach.diagnosis.DiagnosisFixtures.endpointGroup;
import static ssmreach.diagnosis.DiagnosisFixtures.endpointId;
import static ssmreach.diagnosis.DiagnosisFixtures.entry;
import static ssmreach.diagnosis.DiagnosisFixtures.instance;
import static ssmreach.diagnosis.DiagnosisFixtures.instanceGroup;
import static ssmreach.diagnosis.DiagnosisFixtures.routeTable;
import static ssmreach.diagnosis.DiagnosisFixtures.tcp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataOptionsResponse;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.NetworkAclEntry;
import software.amazon.awssdk.services.ec2.model.Route;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;
import ssmreach.contract.Diagnosis.InstanceDiagnosis;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;
import ssmreach.diagnosis.DiagnosisFixtures.Facts;

class DiagnosticianTest {
    private static final List<String> ALL_PASSED = List.of("instance-running", "metadata-service", "instance-profile",
            "profile-exists", "profile-role", "role-permissions", "route: no 0.0.0.0/0 route",
            "endpoint-ssm", "endpoint-ssm-available", "endpoint-ssm-sg", "endpoint-ssm-zone",
            "endpoint-ssmmessages", "endpoint-ssmmessages-available", "endpoint-ssmmessages-sg", "endpoint-ssmmessages-zone",
            "endpoint-ec2messages", "endpoint-ec2messages-available", "endpoint-ec2messages-sg", "endpoint-ec2messages-zone",
            "vpc-dns-support", "vpc-dns-hostnames", "instance-sg-egress", "nacl-https-out", "nacl-ephemeral-in", "dhcp-dns", "ssm-ping");

    private static InstanceDiagnosis diagnose(Facts facts) {
        return Diagnostician.diagnose(INSTANCE, facts.build());
    }

    private static List<String> codes(InstanceDiagnosis d) {
        return d.findings().stream().map(Finding::code).toList();
    }

    /** The one finding of the diagnosis, checked for code, severity and resource; every other check passed. */
    private static Finding onlyFinding(InstanceDiagnosis d, String code, Severity severity, String resource) {
        assertEquals(List.of(code), codes(d), d.findings().toString());
        Finding finding = d.findings().getFirst();
        assertEquals(severity, finding.severity(), finding.toString());
        assertEquals(resource, finding.resource(), finding.toString());
        assertFalse(finding.message().isBlank());
        assertFalse(finding.fix().isBlank());
        return finding;
    }

    private static void passes(InstanceDiagnosis d, String check) {
        assertTrue(d.passed().contains(check), check + " not in " + d.passed());
        assertEquals(List.of(), d.findings());
    }

    // ---------------------------------------------------------------- healthy and gone

    @Test
    void healthyIsolatedInstancePassesEveryCheck() {
        InstanceDiagnosis d = diagnose(new Facts());

        assertEquals(List.of(), d.findings());
        assertEquals(ALL_PASSED, d.passed());
        assertEquals(INSTANCE, d.instanceId());
        assertEquals("Online", d.pingStatus());
    }

    @Test
    void instanceGoneIsTheOnlyFinding() {
        InstanceDiagnosis d = diagnose(new Facts().instance(null).ping(null));

        onlyFinding(d, "INSTANCE_GONE", Severity.ERROR, INSTANCE);
        assertEquals(List.of(), d.passed());
    }

    // ---------------------------------------------------------------- instance

    @Test
    void runningInstancePasses() {
        passes(diagnose(new Facts()), "instance-running");
    }

    @Test
    void stoppedInstanceIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().instance(instance("stopped").build()));

        Finding f = onlyFinding(d, "INSTANCE_NOT_RUNNING", Severity.ERROR, INSTANCE);
        assertTrue(f.message().contains("stopped"), f.message());
        assertFalse(d.passed().contains("instance-running"));
    }

    @Test
    void metadataEnabledPasses() {
        passes(diagnose(new Facts()), "metadata-service");
    }

    @Test
    void metadataOptionsAbsentCountAsEnabled() {
        passes(diagnose(new Facts().instance(instance("running").metadataOptions((InstanceMetadataOptionsResponse) null).build())),
                "metadata-service");
    }

    @Test
    void metadataDisabledIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().instance(instance("running")
                .metadataOptions(m -> m.httpEndpoint(InstanceMetadataEndpointState.DISABLED)).build()));

        Finding f = onlyFinding(d, "METADATA_SERVICE_DISABLED", Severity.ERROR, INSTANCE);
        assertTrue(f.fix().contains("--http-endpoint enabled"), f.fix());
        assertFalse(d.passed().contains("metadata-service"));
    }

    // ---------------------------------------------------------------- profile and role

    @Test
    void noProfileIsAFindingAndTheRoleChecksAreNotMade() {
        InstanceDiagnosis d = diagnose(new Facts().profile(false, false, null));

        onlyFinding(d, "NO_INSTANCE_PROFILE", Severity.ERROR, INSTANCE);
        assertFalse(d.passed().contains("instance-profile"));
        assertFalse(d.passed().contains("profile-role"));
        assertFalse(d.passed().contains("role-permissions"));
    }

    @Test
    void profileDeletedWhileAssociatedIsAFindingAndTheRoleChecksAreNotMade() {
        InstanceDiagnosis d = diagnose(new Facts().profileGone());

        onlyFinding(d, "PROFILE_NOT_FOUND", Severity.ERROR, INSTANCE);
        assertTrue(d.passed().contains("instance-profile"));
        assertFalse(d.passed().contains("profile-role") || d.passed().contains("role-permissions"));
    }

    @Test
    void profileWithoutRoleIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().profile(true, false, null));

        onlyFinding(d, "PROFILE_WITHOUT_ROLE", Severity.ERROR, INSTANCE);
        assertTrue(d.passed().contains("instance-profile"));
        assertFalse(d.passed().contains("role-permissions"));
    }

    @Test
    void roleWithDeniedActionsIsAFindingNamingThem() {
        InstanceDiagnosis d = diagnose(new Facts().profile(true, true, List.of("ssm:UpdateInstanceInformation", "ec2messages:GetMessages")));

        Finding f = onlyFinding(d, "ROLE_LACKS_SSM_PERMISSIONS", Severity.ERROR, INSTANCE);
        assertTrue(f.message().contains("ssm:UpdateInstanceInformation") && f.message().contains("ec2messages:GetMessages"), f.message());
        assertTrue(f.fix().contains("AmazonSSMManagedInstanceCore"), f.fix());
        assertTrue(d.passed().contains("profile-role"));
    }

    @Test
    void roleAllowingEverythingPasses() {
        InstanceDiagnosis d = diagnose(new Facts().profile(true, true, List.of()));

        passes(d, "role-permissions");
        assertTrue(d.passed().containsAll(List.of("instance-profile", "profile-role")));
    }

    // ---------------------------------------------------------------- route

    private static final String PUBLIC_IP = "198.51.100.7";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"igw-0123456789abcdef0", "nat-0123456789abcdef0", "tgw-0123456789abcdef0", "vpce-0123456789abcdef0"})
    void aWayOutSkipsTheEndpointAndDnsChecks(String target) {
        Facts facts = new Facts().instance(instance("running").publicIpAddress(PUBLIC_IP).build())
                .routeTable(routeTable(defaultRoute(target))).endpoints(List.of()).dns(false, false);

        InstanceDiagnosis d = diagnose(facts);

        assertTrue(d.passed().stream().anyMatch(p -> p.startsWith("route: 0.0.0.0/0 via " + target)), d.passed().toString());
        assertTrue(d.passed().stream().noneMatch(p -> p.startsWith("endpoint") || p.startsWith("vpc-dns-")), d.passed().toString());
        assertEquals(List.of(), codes(d));
    }

    @Test
    void isolatedRouteChecksTheEndpoints() {
        InstanceDiagnosis d = diagnose(new Facts().endpoints(List.of()));

        assertTrue(d.passed().contains("route: no 0.0.0.0/0 route"), d.passed().toString());
        assertEquals(List.of("ENDPOINT_MISSING", "ENDPOINT_MISSING", "ENDPOINT_MISSING"), codes(d));
    }

    @Test
    void blackholeNatRouteIsIsolatedAndChecksTheEndpoints() {
        Route blackhole = defaultRoute("nat-0123456789abcdef0").toBuilder().state("blackhole").build();

        InstanceDiagnosis d = diagnose(new Facts().routeTable(routeTable(blackhole)).endpoints(List.of()));

        assertTrue(d.passed().contains("route: 0.0.0.0/0 via nat-0123456789abcdef0 is a blackhole: its target no longer exists"),
                d.passed().toString());
        assertEquals(3, codes(d).stream().filter("ENDPOINT_MISSING"::equals).count());
    }

    @Test
    void peeringDefaultRouteIsNoWayOutAndChecksTheEndpoints() {
        Route peering = Route.builder().destinationCidrBlock("0.0.0.0/0").vpcPeeringConnectionId("pcx-0123").state("active").build();

        InstanceDiagnosis d = diagnose(new Facts().routeTable(routeTable(peering)).endpoints(List.of()));

        assertTrue(d.passed().contains("route: 0.0.0.0/0 via pcx-0123: peering does not route to the internet"), d.passed().toString());
        assertEquals(List.of("ENDPOINT_MISSING", "ENDPOINT_MISSING", "ENDPOINT_MISSING"), codes(d));
    }

    @Test
    void ipv6DefaultRouteAloneIsNoWayOutAndChecksTheEndpoints() {
        Route ipv6 = Route.builder().destinationIpv6CidrBlock("::/0").egressOnlyInternetGatewayId("eigw-0123").state("active").build();

        InstanceDiagnosis d = diagnose(new Facts().routeTable(routeTable(ipv6)));

        assertEquals(ALL_PASSED.stream().map(p -> p.startsWith("route: ") ? "route: only ::/0 via eigw-0123; no IPv4 path" : p).toList(),
                d.passed());
        assertEquals(List.of(), codes(d));
    }

    @Test
    void withoutPublicIpv4InAPublicSubnetTheEndpointsServeIt() {
        InstanceDiagnosis d = diagnose(new Facts().routeTable(routeTable(defaultRoute("igw-0123456789abcdef0"))));

        assertTrue(d.passed().contains("endpoints-instead-of-public-ipv4"), d.passed().toString());
        assertTrue(d.passed().contains("endpoint-ssm"), d.passed().toString());
        assertEquals(List.of(), codes(d));
    }

    @Test
    void withoutPublicIpv4InAPublicSubnetAndWithoutEndpointsTheAddressIsMissing() {
        InstanceDiagnosis d = diagnose(new Facts().routeTable(routeTable(defaultRoute("igw-0123456789abcdef0"))).endpoints(List.of()));

        assertEquals(List.of("ENDPOINT_MISSING", "ENDPOINT_MISSING", "ENDPOINT_MISSING", "NO_PUBLIC_IPV4"), codes(d));
        Finding finding = d.findings().get(3);
        assertEquals(Severity.ERROR, finding.severity());
        assertEquals(INSTANCE, finding.resource());
        assertTrue(finding.message().contains("public IPv4") && finding.message().contains(DiagnosisFixtures.SUBNET), finding.message());
        assertTrue(finding.fix().contains("Elastic IP") && finding.fix().contains(INSTANCE), finding.fix());
    }

    @Test
    void withoutPublicIpv4InAPublicSubnetDnsOffIsNoServiceEither() {
        InstanceDiagnosis d = diagnose(new Facts().routeTable(routeTable(defaultRoute("igw-0123456789abcdef0"))).dns(true, false));

        assertEquals(List.of("VPC_DNS_ATTRIBUTE_OFF", "NO_PUBLIC_IPV4"), codes(d));
    }

    @Test
    void ipv6OnlySubnetIsAWarningAndNothingIPv4IsJudged() {
        Facts facts = new Facts().subnet(DiagnosisFixtures.subnet().toBuilder().cidrBlock(null).ipv6Native(true).build())
                .endpoints(List.of());

        InstanceDiagnosis d = diagnose(facts);

        Finding finding = onlyFinding(d, "IPV6_ONLY_SUBNET", Severity.WARNING, DiagnosisFixtures.SUBNET);
        assertTrue(finding.fix().contains("IPv4 CIDR block"), finding.fix());
        assertTrue(d.passed().stream().noneMatch(p -> p.startsWith("route") || p.startsWith("endpoint")), d.passed().toString());
    }

    @Test
    void missingSubnetOrRouteTableIsAFinding() {
        onlyFinding(diagnose(new Facts().subnet(null)), "SUBNET_UNKNOWN", Severity.ERROR, INSTANCE);
        onlyFinding(diagnose(new Facts().routeTable(null)), "SUBNET_UNKNOWN", Severity.ERROR, INSTANCE);
    }

    // ---------------------------------------------------------------- endpoints

    @Test
    void presentEndpointsPass() {
        InstanceDiagnosis d = diagnose(new Facts());

        assertTrue(d.passed().containsAll(List.of("endpoint-ssm", "endpoint-ssmmessages", "endpoint-ec2messages")), d.passed().toString());
    }

    @Test
    void missingEndpointIsAFindingOnTheVpc() {
        InstanceDiagnosis d = diagnose(new Facts().endpoint("ssmmessages", null));

        Finding f = onlyFinding(d, "ENDPOINT_MISSING", Severity.ERROR, VPC);
        assertTrue(f.message().contains("ssmmessages"), f.message());
        assertTrue(d.passed().stream().noneMatch(p -> p.startsWith("endpoint-ssmmessages")), d.passed().toString());
        assertTrue(d.passed().contains("endpoint-ssm"));
    }

    @Test
    void missingEc2messagesBesideSsmmessagesOnlyWarnsForOlderAgents() {
        InstanceDiagnosis d = diagnose(new Facts().endpoint("ec2messages", null));

        Finding f = onlyFinding(d, "ENDPOINT_MISSING", Severity.WARNING, VPC);
        assertTrue(f.message().contains("ec2messages") && f.message().contains("3.3.40.0"), f.message());
    }

    @Test
    void missingEc2messagesWithoutSsmmessagesIsAnError() {
        InstanceDiagnosis d = diagnose(new Facts().endpoint("ec2messages", null).endpoint("ssmmessages", null));

        assertEquals(List.of("ENDPOINT_MISSING", "ENDPOINT_MISSING"), codes(d));
        assertTrue(d.findings().stream().allMatch(f -> f.severity() == Severity.ERROR), d.findings().toString());
    }

    @Test
    void endpointOfAnotherRegionOrAGatewayDoesNotCount() {
        InstanceDiagnosis otherRegion = diagnose(new Facts().endpoint("ssm",
                endpoint("ssm").serviceName("com.amazonaws.eu-west-1.ssm").build()));
        InstanceDiagnosis gateway = diagnose(new Facts().endpoint("ssm", endpoint("ssm").vpcEndpointType(VpcEndpointType.GATEWAY).build()));

        onlyFinding(otherRegion, "ENDPOINT_MISSING", Severity.ERROR, VPC);
        onlyFinding(gateway, "ENDPOINT_MISSING", Severity.ERROR, VPC);
    }

    @Test
    void endpointWithoutPrivateDnsIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().endpoint("ssm", endpoint("ssm").privateDnsEnabled(false).build()));

        Finding f = onlyFinding(d, "ENDPOINT_WITHOUT_PRIVATE_DNS", Severity.ERROR, VPC);
        assertTrue(f.message().contains("ssm"), f.message());
        assertFalse(d.passed().contains("endpoint-ssm"));
    }

    @Test
    void endpointWithPrivateDnsBesideOneWithoutPasses() {
        Facts facts = new Facts();
        List<software.amazon.awssdk.services.ec2.model.VpcEndpoint> endpoints = new ArrayList<>(facts.endpoints);
        endpoints.add(endpoint("ssm").vpcEndpointId("vpce-0nodns").privateDnsEnabled(false).build());

        passes(diagnose(facts.endpoints(endpoints)), "endpoint-ssm");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pending", "pendingAcceptance", "failed", "rejected", "deleting"})
    void endpointNotAvailableIsAFindingOnTheEndpoint(String state) {
        InstanceDiagnosis d = diagnose(new Facts().endpoint("ssm", endpoint("ssm").state(state).build()));

        Finding f = onlyFinding(d, "ENDPOINT_NOT_AVAILABLE", Severity.ERROR, endpointId("ssm"));
        assertTrue(f.message().contains(state), f.message());
        assertTrue(d.passed().contains("endpoint-ssm"));
        assertFalse(d.passed().contains("endpoint-ssm-available"));
    }

    @Test
    void availableEndpointIsPreferredOverAFailedOne() {
        Facts facts = new Facts();
        List<software.amazon.awssdk.services.ec2.model.VpcEndpoint> endpoints = new ArrayList<>();
        endpoints.add(endpoint("ssm").vpcEndpointId("vpce-0failed").state("failed").build());
        endpoints.addAll(facts.endpoints);

        passes(diagnose(facts.endpoints(endpoints)), "endpoint-ssm-available");
    }

    @Test
    void endpointGroupAdmittingTheVpcPasses() {
        passes(diagnose(new Facts()), "endpoint-ssm-sg");
    }

    @Test
    void endpointGroupNotAdmittingTheSubnetIsAFindingPerEndpoint() {
        InstanceDiagnosis d = diagnose(new Facts().group(endpointGroup(tcp(443, 443, "10.0.9.0/24"), tcp(80, 80, VPC_CIDR))));

        assertEquals(List.of("ENDPOINT_SG_BLOCKS_HTTPS", "ENDPOINT_SG_BLOCKS_HTTPS", "ENDPOINT_SG_BLOCKS_HTTPS"), codes(d));
        assertEquals(List.of(endpointId("ssm"), endpointId("ssmmessages"), endpointId("ec2messages")),
                d.findings().stream().map(Finding::resource).toList());
        assertTrue(d.findings().stream().allMatch(f -> f.severity() == Severity.ERROR));
        assertTrue(d.findings().getFirst().message().contains(SUBNET_CIDR), d.findings().getFirst().message());
    }

    @Test
    void endpointGroupAdmittingTheSubnetThroughAWiderBlockPasses() {
        passes(diagnose(new Facts().group(endpointGroup(tcp(443, 443, "10.0.0.0/8")))), "endpoint-ssm-sg");
    }

    @Test
    void endpointGroupAdmittingAllTrafficFromTheSubnetPasses() {
        passes(diagnose(new Facts().group(endpointGroup(allTraffic(SUBNET_CIDR)))), "endpoint-ssm-sg");
    }

    @Test
    void endpointGroupAdmittingAPortRangeWith443Passes() {
        passes(diagnose(new Facts().group(endpointGroup(tcp(0, 65535, VPC_CIDR)))), "endpoint-ssm-sg");
    }

    @Test
    void endpointGroupNotReadIsAFinding() {
        Facts facts = new Facts();
        facts.groups.remove(ENDPOINT_SG);

        assertEquals(List.of("ENDPOINT_SG_BLOCKS_HTTPS", "ENDPOINT_SG_BLOCKS_HTTPS", "ENDPOINT_SG_BLOCKS_HTTPS"), codes(diagnose(facts)));
    }

    @Test
    void endpointInTheInstancesZonePasses() {
        passes(diagnose(new Facts()), "endpoint-ssm-zone");
    }

    @Test
    void endpointNotInTheInstancesZoneIsInfo() {
        InstanceDiagnosis d = diagnose(new Facts().endpoint("ssm", endpoint("ssm").subnetIds(SUBNET_B).build()));

        Finding f = onlyFinding(d, "ENDPOINT_ZONE_NOT_COVERED", Severity.INFO, endpointId("ssm"));
        assertTrue(f.message().contains(ZONE), f.message());
    }

    // ---------------------------------------------------------------- VPC DNS

    @Test
    void vpcDnsAttributesOnPass() {
        InstanceDiagnosis d = diagnose(new Facts());

        assertTrue(d.passed().containsAll(List.of("vpc-dns-support", "vpc-dns-hostnames")), d.passed().toString());
    }

    @Test
    void dnsSupportOffIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().dns(false, true));

        Finding f = onlyFinding(d, "VPC_DNS_ATTRIBUTE_OFF", Severity.ERROR, VPC);
        assertTrue(f.message().contains("enableDnsSupport"), f.message());
        assertTrue(f.fix().contains("--enable-dns-support"), f.fix());
        assertTrue(d.passed().contains("vpc-dns-hostnames"));
    }

    @Test
    void dnsHostnamesOffIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().dns(true, false));

        Finding f = onlyFinding(d, "VPC_DNS_ATTRIBUTE_OFF", Severity.ERROR, VPC);
        assertTrue(f.message().contains("enableDnsHostnames"), f.message());
        assertTrue(d.passed().contains("vpc-dns-support"));
    }

    // ---------------------------------------------------------------- instance security group

    @Test
    void instanceGroupWithout443EgressIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().group(instanceGroup(tcp(22, 22, "0.0.0.0/0"), tcp(80, 80, "0.0.0.0/0"))));

        onlyFinding(d, "INSTANCE_SG_BLOCKS_HTTPS_OUT", Severity.ERROR, INSTANCE);
        assertFalse(d.passed().contains("instance-sg-egress"));
    }

    @Test
    void instanceGroupWithoutAnyEgressIsAFinding() {
        onlyFinding(diagnose(new Facts().group(instanceGroup())), "INSTANCE_SG_BLOCKS_HTTPS_OUT", Severity.ERROR, INSTANCE);
    }

    @Test
    void instanceGroupWith443ToAnywherePasses() {
        passes(diagnose(new Facts().group(instanceGroup(tcp(443, 443, "0.0.0.0/0")))), "instance-sg-egress");
    }

    @Test
    void instanceGroupWithAllTrafficEgressPasses() {
        passes(diagnose(new Facts().group(instanceGroup(allTraffic("0.0.0.0/0")))), "instance-sg-egress");
    }

    @Test
    void instanceGroupWith443ToTheVpcPassesBehindEndpoints() {
        passes(diagnose(new Facts().group(instanceGroup(tcp(443, 443, VPC_CIDR)))), "instance-sg-egress");
    }

    @Test
    void instanceGroupWith443OnlyToTheVpcIsAFindingBehindAnInternetRoute() {
        Facts facts = new Facts().routeTable(routeTable(defaultRoute("nat-0123456789abcdef0")))
                .group(instanceGroup(tcp(443, 443, VPC_CIDR)));

        Finding f = onlyFinding(diagnose(facts), "INSTANCE_SG_BLOCKS_HTTPS_OUT", Severity.ERROR, INSTANCE);
        assertTrue(f.message().contains("0.0.0.0/0"), f.message());
    }

    @Test
    void instanceGroupReferencingTheEndpointGroupPassesBehindEndpoints() {
        passes(diagnose(new Facts().group(instanceGroup(toGroup(DiagnosisFixtures.ENDPOINT_SG)))), "instance-sg-egress");
    }

    @Test
    void instanceGroupReferencingAnUnrelatedGroupIsAFinding() {
        onlyFinding(diagnose(new Facts().group(instanceGroup(toGroup("sg-0999999999999999f")))),
                "INSTANCE_SG_BLOCKS_HTTPS_OUT", Severity.ERROR, INSTANCE);
    }

    @Test
    void instanceGroupReferencingAGroupDoesNotReachTheInternet() {
        Facts facts = new Facts().routeTable(routeTable(defaultRoute("nat-0123456789abcdef0")))
                .group(instanceGroup(toGroup(DiagnosisFixtures.ENDPOINT_SG)));

        onlyFinding(diagnose(facts), "INSTANCE_SG_BLOCKS_HTTPS_OUT", Severity.ERROR, INSTANCE);
    }

    private static IpPermission toGroup(String groupId) {
        return IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443)
                .userIdGroupPairs(software.amazon.awssdk.services.ec2.model.UserIdGroupPair.builder().groupId(groupId).build()).build();
    }

    @Test
    void instanceGroupsAreAllConsidered() {
        IpPermission ssh = tcp(22, 22, "0.0.0.0/0");
        Facts facts = new Facts().instance(instance("running").securityGroups(
                        software.amazon.awssdk.services.ec2.model.GroupIdentifier.builder().groupId(DiagnosisFixtures.INSTANCE_SG).build(),
                        software.amazon.awssdk.services.ec2.model.GroupIdentifier.builder().groupId("sg-0333333333333333c").build()).build())
                .group(instanceGroup(ssh))
                .group(software.amazon.awssdk.services.ec2.model.SecurityGroup.builder().groupId("sg-0333333333333333c")
                        .ipPermissionsEgress(tcp(443, 443, "0.0.0.0/0")).build());

        passes(diagnose(facts), "instance-sg-egress");
    }

    // ---------------------------------------------------------------- network ACL

    private static List<NetworkAclEntry> with(List<NetworkAclEntry> tail, NetworkAclEntry... head) {
        List<NetworkAclEntry> entries = new ArrayList<>(List.of(head));
        entries.addAll(tail);
        return entries;
    }

    @Test
    void aclAllowing443OutAndEphemeralInPasses() {
        List<NetworkAclEntry> entries = with(defaultDenies(),
                entry(100, true, "6", 443, 443, "0.0.0.0/0", "allow"),
                entry(100, false, "6", 1024, 65535, "0.0.0.0/0", "allow"));

        InstanceDiagnosis d = diagnose(new Facts().acl(entries));

        assertEquals(List.of(), d.findings());
        assertTrue(d.passed().containsAll(List.of("nacl-https-out", "nacl-ephemeral-in")), d.passed().toString());
    }

    @Test
    void lowerNumberedDenyOf443OutIsAFinding() {
        InstanceDiagnosis d = diagnose(new Facts().acl(with(allowAll(), entry(50, true, "6", 443, 443, "0.0.0.0/0", "deny"))));

        Finding f = onlyFinding(d, "NACL_BLOCKS_HTTPS_OUT", Severity.ERROR, ACL);
        assertTrue(f.fix().contains("443"), f.fix());
        assertTrue(d.passed().contains("nacl-ephemeral-in"));
    }

    @Test
    void higherNumberedDenyOf443OutIsShadowedByTheAllow() {
        passes(diagnose(new Facts().acl(with(allowAll(), entry(200, true, "6", 443, 443, "0.0.0.0/0", "deny")))), "nacl-https-out");
    }

    @Test
    void onlyTheDefaultDenyBlocksBothWays() {
        InstanceDiagnosis d = diagnose(new Facts().acl(defaultDenies()));

        assertEquals(List.of("NACL_BLOCKS_HTTPS_OUT", "NACL_BLOCKS_EPHEMERAL_IN"), codes(d));
        assertTrue(d.findings().stream().allMatch(f -> f.resource().equals(ACL) && f.severity() == Severity.ERROR));
    }

    @Test
    void inboundOnly443LeavesTheReturnTrafficBlocked() {
        List<NetworkAclEntry> entries = with(defaultDenies(),
                entry(100, true, "-1", null, null, "0.0.0.0/0", "allow"),
                entry(100, false, "6", 443, 443, "0.0.0.0/0", "allow"));

        InstanceDiagnosis d = diagnose(new Facts().acl(entries));

        onlyFinding(d, "NACL_BLOCKS_EPHEMERAL_IN", Severity.ERROR, ACL);
        assertTrue(d.passed().contains("nacl-https-out"));
    }

    @Test
    void ephemeralPortsInFromTheVpcPassBehindEndpoints() {
        List<NetworkAclEntry> entries = with(defaultDenies(),
                entry(100, true, "6", 443, 443, VPC_CIDR, "allow"),
                entry(100, false, "6", 1024, 65535, VPC_CIDR, "allow"));

        passes(diagnose(new Facts().acl(entries)), "nacl-ephemeral-in");
    }

    @Test
    void ephemeralRangeOfLinuxAndWindowsIsEnoughAndALinuxOnlyRangeIsNot() {
        List<NetworkAclEntry> out = List.of(entry(100, true, "6", 443, 443, "0.0.0.0/0", "allow"));
        List<NetworkAclEntry> both = with(with(defaultDenies(), entry(110, false, "6", 32768, 65535, "0.0.0.0/0", "allow")),
                out.toArray(NetworkAclEntry[]::new));
        List<NetworkAclEntry> linuxOnly = with(with(defaultDenies(), entry(110, false, "6", 32768, 60999, "0.0.0.0/0", "allow")),
                out.toArray(NetworkAclEntry[]::new));

        passes(diagnose(new Facts().acl(both)), "nacl-ephemeral-in");
        onlyFinding(diagnose(new Facts().acl(linuxOnly)), "NACL_BLOCKS_EPHEMERAL_IN", Severity.ERROR, ACL);
    }

    @Test
    void noAclReadMeansNoAclChecks() {
        InstanceDiagnosis d = diagnose(new Facts().acl(null));

        assertEquals(List.of(), d.findings());
        assertTrue(d.passed().stream().noneMatch(p -> p.startsWith("nacl-")), d.passed().toString());
    }

    @Test
    void aclRulesApplyInNumberOrderWhateverTheirListOrder() {
        List<NetworkAclEntry> entries = with(allowAll(), entry(50, true, "6", 443, 443, "0.0.0.0/0", "deny"));
        Collections.reverse(entries);

        assertFalse(Diagnostician.naclAllows(entries, true, VPC_CIDR, 443));
        assertTrue(Diagnostician.naclAllows(entries, true, VPC_CIDR, 444));
        assertTrue(Diagnostician.naclAllows(entries, false, VPC_CIDR, 443), "the deny is outbound only");
        assertFalse(Diagnostician.naclAllows(List.of(), true, VPC_CIDR, 443), "no rule at all denies");
    }

    // ---------------------------------------------------------------- DHCP options and SSM

    @Test
    void amazonProvidedDnsPasses() {
        passes(diagnose(new Facts()), "dhcp-dns");
    }

    @Test
    void customDnsServersAreAWarning() {
        InstanceDiagnosis d = diagnose(new Facts().dnsServers("10.0.0.53", "10.0.1.53"));

        Finding f = onlyFinding(d, "CUSTOM_DNS_SERVERS", Severity.WARNING, VPC);
        assertTrue(f.message().contains("10.0.0.53"), f.message());
        assertFalse(d.passed().contains("dhcp-dns"));
    }

    @Test
    void onlineInstancePassesThePing() {
        passes(diagnose(new Facts()), "ssm-ping");
    }

    @Test
    void connectionLostIsAWarning() {
        InstanceDiagnosis d = diagnose(new Facts().ping("ConnectionLost"));

        Finding f = onlyFinding(d, "NOT_ONLINE", Severity.WARNING, INSTANCE);
        assertTrue(f.message().contains("ConnectionLost"), f.message());
        assertEquals("ConnectionLost", d.pingStatus());
    }

    @Test
    void notRegisteredIsAWarning() {
        Finding f = onlyFinding(diagnose(new Facts().ping(null)), "NOT_ONLINE", Severity.WARNING, INSTANCE);

        assertTrue(f.message().contains("no registration"), f.message());
    }

    // ---------------------------------------------------------------- all at once

    @Test
    void everythingWrongGivesEveryFindingOnce() {
        Facts facts = new Facts().instance(instance("stopped").metadataOptions(m -> m.httpEndpoint(InstanceMetadataEndpointState.DISABLED)).build())
                .profile(false, false, null).endpoints(List.of()).dns(false, false).group(instanceGroup())
                .acl(defaultDenies()).dnsServers("10.0.0.53").ping(null);

        InstanceDiagnosis d = diagnose(facts);

        assertEquals(List.of("INSTANCE_NOT_RUNNING", "METADATA_SERVICE_DISABLED", "NO_INSTANCE_PROFILE",
                "ENDPOINT_MISSING", "ENDPOINT_MISSING", "ENDPOINT_MISSING", "VPC_DNS_ATTRIBUTE_OFF", "VPC_DNS_ATTRIBUTE_OFF",
                "INSTANCE_SG_BLOCKS_HTTPS_OUT", "NACL_BLOCKS_HTTPS_OUT", "NACL_BLOCKS_EPHEMERAL_IN", "CUSTOM_DNS_SERVERS", "NOT_ONLINE"),
                codes(d));
        assertEquals(List.of("route: no 0.0.0.0/0 route"), d.passed());
        assertTrue(d.findings().stream().noneMatch(f -> f.fix() == null || f.fix().isBlank()));
    }

    @Test
    void findingsNameTheVpcOfTheSubnet() {
        Map<String, String> resources = new java.util.HashMap<>();
        diagnose(new Facts().endpoints(List.of()).dns(false, false).dnsServers("10.0.0.53")).findings()
                .forEach(f -> resources.put(f.code(), f.resource()));

        assertEquals(Map.of("ENDPOINT_MISSING", VPC, "VPC_DNS_ATTRIBUTE_OFF", VPC, "CUSTOM_DNS_SERVERS", VPC), resources);
    }
}
