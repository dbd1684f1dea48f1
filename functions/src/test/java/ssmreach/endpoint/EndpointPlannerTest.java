package ssmreach.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ssmreach.endpoint.EndpointFixtures.FOREIGN_SG;
import static ssmreach.endpoint.EndpointFixtures.HOST_A;
import static ssmreach.endpoint.EndpointFixtures.HOST_B;
import static ssmreach.endpoint.EndpointFixtures.MANAGED_SG;
import static ssmreach.endpoint.EndpointFixtures.OTHER_A;
import static ssmreach.endpoint.EndpointFixtures.S3;
import static ssmreach.endpoint.EndpointFixtures.SSM;
import static ssmreach.endpoint.EndpointFixtures.VPC;
import static ssmreach.endpoint.EndpointFixtures.ZONE_A;
import static ssmreach.endpoint.EndpointFixtures.ZONE_B;
import static ssmreach.endpoint.EndpointFixtures.ZONE_C;
import static ssmreach.endpoint.EndpointFixtures.context;
import static ssmreach.endpoint.EndpointFixtures.gatewayEndpoint;
import static ssmreach.endpoint.EndpointFixtures.group;
import static ssmreach.endpoint.EndpointFixtures.groupRef;
import static ssmreach.endpoint.EndpointFixtures.interfaceEndpoint;
import static ssmreach.endpoint.EndpointFixtures.managedTag;
import static ssmreach.endpoint.EndpointFixtures.offer;
import static ssmreach.endpoint.EndpointFixtures.servedBefore;
import static ssmreach.endpoint.EndpointFixtures.tcp;
import static ssmreach.endpoint.EndpointFixtures.untagged;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.UserIdGroupPair;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.contract.Finding;
import ssmreach.endpoint.EndpointPlanner.GatewayPlan;
import ssmreach.endpoint.EndpointPlanner.InterfacePlan;
import ssmreach.endpoint.EndpointPlanner.VpcContext;

class EndpointPlannerTest {
    private static final EndpointPlanner.Offer SSM_EVERYWHERE = offer(SSM, ZONE_A, ZONE_B, ZONE_C);

    private static List<String> codes(List<Finding> findings) {
        return findings.stream().map(Finding::code).toList();
    }

    /** Zone to subnet, as planned: the order of the lists follows the order of VpcContext.endpointSubnets. */
    private static Map<String, String> placement(InterfacePlan plan) {
        assertEquals(plan.zones().size(), plan.subnetIds().size());
        Map<String, String> placement = new java.util.TreeMap<>();
        for (int i = 0; i < plan.zones().size(); i++) {
            placement.put(plan.zones().get(i), plan.subnetIds().get(i));
        }
        return placement;
    }

    private static InterfacePlan plan(List<VpcEndpoint> existing) {
        return EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, existing, Map.of(), context());
    }

    @Test
    void noEndpointCreatesOneInOneSubnetPerZone() {
        InterfacePlan plan = plan(List.of());

        assertTrue(plan.creates());
        assertFalse(plan.modifies());
        assertNull(plan.existing());
        assertEquals(Map.of(ZONE_A, HOST_A, ZONE_B, HOST_B), placement(plan));
        assertEquals(List.of(), plan.findings());
    }

    @Test
    void plannedZonesAreInZoneOrderWhateverTheMapOrder() {
        VpcContext base = context();
        Map<String, String> reversed = new java.util.LinkedHashMap<>();
        reversed.put(ZONE_B, HOST_B);
        reversed.put(ZONE_A, HOST_A);
        VpcContext reversedContext = new VpcContext(base.vpcId(), reversed, base.endpointRouteTables(), base.subnetZones(),
                base.targetCidrs(), base.managedGroupId(), true, base.executionId());

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(), Map.of(), reversedContext);

        assertEquals(List.of(ZONE_A, ZONE_B), plan.zones());
        assertEquals(List.of(HOST_A, HOST_B), plan.subnetIds());
    }

    @Test
    void privateDnsEndpointInAnotherZoneIsExtendedNotDuplicated() {
        VpcEndpoint theirs = interfaceEndpoint("vpce-0theirs", SSM, "available", true, OTHER_A)
                .groups(groupRef(MANAGED_SG)).build();

        InterfacePlan plan = plan(List.of(theirs));

        assertFalse(plan.creates());
        assertTrue(plan.modifies());
        assertSame(theirs, plan.existing());
        assertEquals(List.of(HOST_B), plan.subnetIds(), "zone a is covered by " + OTHER_A);
        assertEquals(List.of(ZONE_B), plan.zones());
        assertFalse(plan.addManagedGroup());
    }

    @Test
    void endpointCoveringEveryZoneNeedsNothing() {
        VpcEndpoint full = interfaceEndpoint("vpce-0full", SSM, "available", true, OTHER_A, HOST_B)
                .groups(groupRef(MANAGED_SG)).build();

        InterfacePlan plan = plan(List.of(full));

        assertFalse(plan.creates());
        assertFalse(plan.modifies());
        assertEquals(List.of(), plan.subnetIds());
        assertEquals(List.of(), plan.findings());
    }

    @Test
    void pendingEndpointWithPrivateDnsIsUsedToo() {
        VpcEndpoint pending = interfaceEndpoint("vpce-0pending", SSM, "pendingAcceptance", true, HOST_A)
                .groups(groupRef(MANAGED_SG)).build();

        InterfacePlan plan = plan(List.of(pending));

        assertSame(pending, plan.existing());
        assertEquals(List.of(HOST_B), plan.subnetIds());
    }

    @Test
    void oursIsPreferredOverAnOlderForeignOne() {
        VpcEndpoint foreignOlder = interfaceEndpoint("vpce-0aaaa", SSM, "available", true, HOST_A)
                .creationTimestamp(Instant.parse("2020-01-01T00:00:00Z")).groups(groupRef(MANAGED_SG)).build();
        VpcEndpoint oursNewer = interfaceEndpoint("vpce-0bbbb", SSM, "available", true, HOST_B)
                .creationTimestamp(Instant.parse("2026-01-01T00:00:00Z")).tags(managedTag()).groups(groupRef(MANAGED_SG)).build();

        InterfacePlan plan = plan(List.of(foreignOlder, oursNewer));

        assertSame(oursNewer, plan.existing());
        assertEquals(List.of(HOST_A), plan.subnetIds());
    }

    @Test
    void amongForeignOnesTheOldestIsUsed() {
        VpcEndpoint newer = interfaceEndpoint("vpce-0aaaa", SSM, "available", true, HOST_A)
                .creationTimestamp(Instant.parse("2026-01-01T00:00:00Z")).groups(groupRef(MANAGED_SG)).build();
        VpcEndpoint older = interfaceEndpoint("vpce-0bbbb", SSM, "available", true, HOST_B)
                .creationTimestamp(Instant.parse("2021-01-01T00:00:00Z")).groups(groupRef(MANAGED_SG)).build();

        assertSame(older, plan(List.of(newer, older)).existing());
    }

    @Test
    void endpointsWithoutPrivateDnsOnlyLeadToOursBesideThemWithAFinding() {
        VpcEndpoint noDns = interfaceEndpoint("vpce-0nodns", SSM, "available", false, HOST_A, HOST_B).build();

        InterfacePlan plan = plan(List.of(noDns));

        assertTrue(plan.creates());
        assertNull(plan.existing());
        assertEquals(Map.of(ZONE_A, HOST_A, ZONE_B, HOST_B), placement(plan));
        assertEquals(List.of("ENDPOINT_WITHOUT_PRIVATE_DNS"), codes(plan.findings()));
        assertEquals("vpce-0nodns", plan.findings().getFirst().resource());
    }

    @Test
    void zoneTheServiceDoesNotSupportIsSkippedWithAFinding() {
        InterfacePlan plan = EndpointPlanner.planInterface("ssm", offer(SSM, ZONE_A), List.of(), Map.of(), context());

        assertTrue(plan.creates());
        assertEquals(List.of(HOST_A), plan.subnetIds());
        assertEquals(List.of(ZONE_A), plan.zones());
        assertEquals(List.of("SERVICE_ZONE_UNSUPPORTED"), codes(plan.findings()));
        assertEquals(ZONE_B, plan.findings().getFirst().resource());
    }

    @Test
    void unsupportedZoneIsNotAddedToAnExistingEndpointEither() {
        VpcEndpoint existing = interfaceEndpoint("vpce-0a", SSM, "available", true, HOST_A).groups(groupRef(MANAGED_SG)).build();

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", offer(SSM, ZONE_A), List.of(existing), Map.of(), context());

        assertFalse(plan.modifies());
        assertEquals(List.of("SERVICE_ZONE_UNSUPPORTED"), codes(plan.findings()));
    }

    @Test
    void serviceNotOfferedCreatesNothing() {
        EndpointPlanner.Offer none = new EndpointPlanner.Offer("com.amazonaws.us-east-1.ec2messages", null);

        InterfacePlan plan = EndpointPlanner.planInterface("ec2messages", none, List.of(), Map.of(), context());

        assertFalse(plan.creates());
        assertFalse(plan.modifies());
        assertEquals(List.of("SERVICE_NOT_OFFERED"), codes(plan.findings()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"failed", "rejected", "Failed"})
    void brokenEndpointBlocksCreationWithAFinding(String state) {
        VpcEndpoint broken = interfaceEndpoint("vpce-0broken", SSM, state, true, HOST_A).build();

        InterfacePlan plan = plan(List.of(broken));

        assertFalse(plan.creates());
        assertFalse(plan.modifies());
        assertEquals(List.of("ENDPOINT_FAILED"), codes(plan.findings()));
        assertEquals("vpce-0broken", plan.findings().getFirst().resource());
    }

    @Test
    void brokenEndpointBesideAWorkingOneStillReportsButUsesTheWorkingOne() {
        VpcEndpoint broken = interfaceEndpoint("vpce-0broken", SSM, "failed", true, HOST_B).build();
        VpcEndpoint working = interfaceEndpoint("vpce-0working", SSM, "available", true, HOST_A).groups(groupRef(MANAGED_SG)).build();

        InterfacePlan plan = plan(List.of(broken, working));

        assertSame(working, plan.existing());
        assertEquals(List.of(HOST_B), plan.subnetIds());
        assertEquals(List.of("ENDPOINT_FAILED"), codes(plan.findings()));
    }

    @Test
    void deletedEndpointsAreIgnored() {
        VpcEndpoint deleted = interfaceEndpoint("vpce-0deleted", SSM, "deleted", true, HOST_A).build();

        InterfacePlan plan = plan(List.of(deleted));

        assertTrue(plan.creates());
        assertEquals(List.of(), plan.findings());
    }

    @Test
    void dnsNotReadyCreatesNothing() {
        VpcContext base = context();
        VpcContext noDns = new VpcContext(base.vpcId(), base.endpointSubnets(), base.endpointRouteTables(), base.subnetZones(),
                base.targetCidrs(), base.managedGroupId(), false, base.executionId());

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(), Map.of(), noDns);

        assertFalse(plan.creates());
        assertEquals(List.of("PRIVATE_DNS_UNAVAILABLE"), codes(plan.findings()));
        assertEquals(VPC, plan.findings().getFirst().resource());
    }

    // ---------------------------------------------------------------- security groups of a reused endpoint

    static Stream<Arguments> groupsThatDoNotAdmit() {
        return Stream.of(
                Arguments.of("ssh only", group(FOREIGN_SG, tcp(22, 22, "10.0.0.0/16"))),
                Arguments.of("443 from another block", group(FOREIGN_SG, tcp(443, 443, "192.168.0.0/16"))),
                Arguments.of("443 from a narrower block", group(FOREIGN_SG, tcp(443, 443, "10.0.1.0/25"))),
                Arguments.of("udp 443", group(FOREIGN_SG, IpPermission.builder().ipProtocol("udp").fromPort(443).toPort(443)
                        .ipRanges(IpRange.builder().cidrIp("10.0.0.0/16").build()).build())),
                Arguments.of("ports below 443", group(FOREIGN_SG, tcp(80, 442, "10.0.0.0/16"))),
                Arguments.of("group reference only", group(FOREIGN_SG, IpPermission.builder().ipProtocol("-1")
                        .userIdGroupPairs(UserIdGroupPair.builder().groupId(FOREIGN_SG).build()).build())),
                Arguments.of("no rules", group(FOREIGN_SG)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("groupsThatDoNotAdmit")
    void foreignEndpointWhoseGroupsDoNotAdmitHttpsGetsTheManagedGroup(String name, SecurityGroup group) {
        VpcEndpoint foreign = interfaceEndpoint("vpce-0foreign", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build();

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(foreign), Map.of(FOREIGN_SG, group), context());

        assertTrue(plan.addManagedGroup());
        assertTrue(plan.modifies());
        assertEquals(List.of(), plan.subnetIds());
    }

    @Test
    void groupThatWasNotDescribedDoesNotCount() {
        VpcEndpoint foreign = interfaceEndpoint("vpce-0foreign", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build();

        InterfacePlan plan = plan(List.of(foreign));

        assertTrue(plan.addManagedGroup());
    }

    static Stream<Arguments> groupsThatAdmit() {
        return Stream.of(
                Arguments.of("tcp 443 from the VPC", group(FOREIGN_SG, tcp(443, 443, "10.0.0.0/16"))),
                Arguments.of("tcp 443 from the subnet itself", group(FOREIGN_SG, tcp(443, 443, "10.0.1.0/24"))),
                Arguments.of("tcp all ports", group(FOREIGN_SG, tcp(0, 65535, "10.0.0.0/16"))),
                Arguments.of("protocol 6", group(FOREIGN_SG, IpPermission.builder().ipProtocol("6").fromPort(443).toPort(443)
                        .ipRanges(IpRange.builder().cidrIp("10.0.0.0/16").build()).build())),
                Arguments.of("all traffic (-1)", group(FOREIGN_SG, IpPermission.builder().ipProtocol("-1")
                        .ipRanges(IpRange.builder().cidrIp("10.0.0.0/16").build()).build())),
                Arguments.of("a wider block", group(FOREIGN_SG, tcp(443, 443, "10.0.0.0/8"))),
                Arguments.of("anywhere", group(FOREIGN_SG, tcp(443, 443, "0.0.0.0/0"))),
                Arguments.of("second rule admits", group(FOREIGN_SG, tcp(22, 22, "10.0.0.0/16"), tcp(443, 443, "10.0.0.0/16"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("groupsThatAdmit")
    void foreignEndpointWhoseGroupsAdmitHttpsIsLeftAlone(String name, SecurityGroup group) {
        VpcEndpoint foreign = interfaceEndpoint("vpce-0foreign", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build();

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(foreign), Map.of(FOREIGN_SG, group), context());

        assertFalse(plan.addManagedGroup());
        assertFalse(plan.modifies());
    }

    @Test
    void anyOfSeveralGroupsMayAdmit() {
        SecurityGroup closed = group("sg-0closed", tcp(22, 22, "10.0.0.0/16"));
        SecurityGroup open = group(FOREIGN_SG, tcp(443, 443, "10.0.0.0/16"));
        VpcEndpoint foreign = interfaceEndpoint("vpce-0foreign", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef("sg-0closed"), groupRef(FOREIGN_SG)).build();

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(foreign),
                Map.of("sg-0closed", closed, FOREIGN_SG, open), context());

        assertFalse(plan.addManagedGroup());
    }

    @Test
    void everyTargetCidrMustBeAdmitted() {
        VpcContext base = context();
        VpcContext twoTargets = new VpcContext(base.vpcId(), base.endpointSubnets(), base.endpointRouteTables(), base.subnetZones(),
                List.of("10.0.1.0/24", "10.1.1.0/24"), base.managedGroupId(), true, base.executionId());
        VpcEndpoint foreign = interfaceEndpoint("vpce-0foreign", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build();

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(foreign),
                Map.of(FOREIGN_SG, group(FOREIGN_SG, tcp(443, 443, "10.0.0.0/16"))), twoTargets);

        assertTrue(plan.addManagedGroup());
    }

    @Test
    void ipv6RuleAdmitsAnIpv6Target() {
        VpcContext base = context();
        VpcContext ipv6Target = new VpcContext(base.vpcId(), base.endpointSubnets(), base.endpointRouteTables(), base.subnetZones(),
                List.of("2600:1f18:abc:de01::/64"), base.managedGroupId(), true, base.executionId());
        VpcEndpoint foreign = interfaceEndpoint("vpce-0foreign", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build();

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(foreign),
                Map.of(FOREIGN_SG, group(FOREIGN_SG, tcp(443, 443, "2600:1f18:abc:de00::/56"))), ipv6Target);

        assertFalse(plan.addManagedGroup());
    }

    // ---------------------------------------------------------------- S3 gateway

    @Test
    void noGatewayCreatesOneWithTheInScopeRouteTables() {
        GatewayPlan plan = EndpointPlanner.planGateway(S3, List.of(), context());

        assertTrue(plan.creates());
        assertNull(plan.existing());
        assertEquals(List.of("rtb-0a", "rtb-0b"), plan.routeTableIds());
    }

    @Test
    void existingGatewayGetsOnlyTheMissingTables() {
        VpcEndpoint gateway = gatewayEndpoint("vpce-0s3", "available", "rtb-0a", "rtb-0other").build();

        GatewayPlan plan = EndpointPlanner.planGateway(S3, List.of(gateway), context());

        assertFalse(plan.creates());
        assertTrue(plan.modifies());
        assertSame(gateway, plan.existing());
        assertEquals(List.of("rtb-0b"), plan.routeTableIds());
    }

    @Test
    void gatewayWithEveryTableNeedsNothing() {
        VpcEndpoint gateway = gatewayEndpoint("vpce-0s3", "available", "rtb-0b", "rtb-0a").build();

        GatewayPlan plan = EndpointPlanner.planGateway(S3, List.of(gateway), context());

        assertFalse(plan.creates());
        assertFalse(plan.modifies());
        assertEquals(List.of(), plan.routeTableIds());
    }

    @Test
    void tablesSpreadOverTwoGatewaysCountAsRouted() {
        VpcEndpoint one = gatewayEndpoint("vpce-0s3a", "available", "rtb-0a").build();
        VpcEndpoint two = gatewayEndpoint("vpce-0s3b", "available", "rtb-0b").tags(managedTag()).build();

        GatewayPlan plan = EndpointPlanner.planGateway(S3, List.of(one, two), context());

        assertFalse(plan.modifies());
        assertSame(two, plan.existing(), "ours first");
    }

    @Test
    void deletedGatewayIsNotReused() {
        VpcEndpoint deleted = gatewayEndpoint("vpce-0s3", "deleted", "rtb-0a", "rtb-0b").build();

        GatewayPlan plan = EndpointPlanner.planGateway(S3, List.of(deleted), context());

        assertTrue(plan.creates());
        assertEquals(List.of("rtb-0a", "rtb-0b"), plan.routeTableIds());
    }

    // ---------------------------------------------------------------- helpers

    @Test
    void stateIsLowercase() {
        assertEquals("pendingacceptance", EndpointPlanner.state(interfaceEndpoint("vpce-0", SSM, "pendingAcceptance", true).build()));
        assertEquals("", EndpointPlanner.state(VpcEndpoint.builder().build()));
    }

    @Test
    void ownedMeansTaggedManagedTrue() {
        assertTrue(EndpointPlanner.owned(interfaceEndpoint("vpce-0", SSM, "available", true).tags(managedTag()).build()));
        assertFalse(EndpointPlanner.owned(interfaceEndpoint("vpce-0", SSM, "available", true).build()));
    }

    @Test
    void zonesOfAnEndpointAreSortedAndDistinct() {
        VpcEndpoint endpoint = interfaceEndpoint("vpce-0", SSM, "available", true, HOST_B, OTHER_A, HOST_A, "subnet-0unknown").build();

        assertEquals(List.of(ZONE_A, ZONE_B), EndpointPlanner.zonesOf(endpoint, EndpointFixtures.ZONES_OF_SUBNETS));
    }

    // ---------------------------------------------------------------- what an earlier run left, undone

    private static final String ALL = "ec2messages,s3,ssm,ssmmessages";

    @Test
    void firstTimeChangesFoundNothing() {
        VpcContext fresh = context(untagged(HOST_A, ZONE_A, "rtb-0a"), untagged(HOST_B, ZONE_B, "rtb-0b"));
        VpcEndpoint inZoneA = interfaceEndpoint("vpce-0ours", SSM, "available", true, HOST_A).tags(managedTag()).build();
        VpcEndpoint gateway = gatewayEndpoint("vpce-0gw", "available", "rtb-0a").tags(managedTag()).build();

        assertNull(EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(), Map.of(), fresh).found());
        assertNull(EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(inZoneA), Map.of(), fresh).found());
        assertNull(EndpointPlanner.planGateway(S3, List.of(), fresh).found());
        assertNull(EndpointPlanner.planGateway(S3, List.of(gateway), fresh).found());
    }

    @Test
    void ourDeletedEndpointIsRecreatedAsARepair() {
        VpcEndpoint deleted = interfaceEndpoint("vpce-0gone", SSM, "deleted", true, HOST_A, HOST_B).tags(managedTag()).build();

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(deleted), Map.of(), context());

        assertTrue(plan.creates());
        assertEquals("endpoint vpce-0gone for ssm no longer exists (deleted)", plan.found());
    }

    @Test
    void aForeignDeletedEndpointIsNotOurs() {
        VpcEndpoint deleted = interfaceEndpoint("vpce-0theirs", SSM, "deleted", true, HOST_A).build();

        assertNull(EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(deleted), Map.of(), context()).found());
    }

    @Test
    void anEndpointNoLongerListedIsKnownFromTheSubnetsItServed() {
        VpcContext served = context(servedBefore(HOST_B, ZONE_B, "rtb-0b", ALL), servedBefore(HOST_A, ZONE_A, "rtb-0a", ALL));

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(), Map.of(), served);

        assertTrue(plan.creates());
        assertEquals("no ssm endpoint any more; one served " + HOST_A + " at the last run", plan.found());
    }

    @Test
    void aServiceThatServedNoSubnetIsAFirstCreation() {
        VpcContext served = context(servedBefore(HOST_A, ZONE_A, "rtb-0a", "s3,ssm"));

        assertNull(EndpointPlanner.planInterface("ssmmessages", SSM_EVERYWHERE, List.of(), Map.of(), served).found());
    }

    @Test
    void zoneTakenOffAnEndpointIsAddedBackAsARepair() {
        VpcEndpoint ours = interfaceEndpoint("vpce-0ours", SSM, "available", true, HOST_A).tags(managedTag())
                .groups(groupRef(MANAGED_SG)).build();
        VpcContext served = context(servedBefore(HOST_A, ZONE_A, "rtb-0a", ALL), servedBefore(HOST_B, ZONE_B, "rtb-0a", ALL));

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(ours), Map.of(), served);

        assertEquals(List.of(ZONE_B), plan.zones());
        assertEquals("endpoint vpce-0ours for ssm no longer covers us-east-1b, which served " + HOST_B + " at the last run",
                plan.found());
        assertNull(plan.groupFound());
    }

    @Test
    void zoneOfANewSubnetIsAFirstExtension() {
        VpcEndpoint ours = interfaceEndpoint("vpce-0ours", SSM, "available", true, HOST_A).tags(managedTag())
                .groups(groupRef(MANAGED_SG)).build();
        VpcContext newZone = context(servedBefore(HOST_A, ZONE_A, "rtb-0a", ALL), untagged(HOST_B, ZONE_B, "rtb-0a"));

        InterfacePlan plan = EndpointPlanner.planInterface("ssm", SSM_EVERYWHERE, List.of(ours), Map.of(), newZone);

        assertEquals(List.of(ZONE_B), plan.zones());
        assertNull(plan.found());
    }

    @Test
    void ourEndpointWithoutTheManagedGroupLostIt() {
        VpcEndpoint ours = interfaceEndpoint("vpce-0ours", SSM, "available", true, HOST_A, HOST_B).tags(managedTag()).build();
        VpcEndpoint theirs = interfaceEndpoint("vpce-0theirs", SSM, "available", true, HOST_A, HOST_B).build();

        InterfacePlan ourPlan = plan(List.of(ours));
        InterfacePlan theirPlan = plan(List.of(theirs));

        assertTrue(ourPlan.addManagedGroup());
        assertEquals("endpoint vpce-0ours for ssm no longer has the managed group ssm-reach-endpoints", ourPlan.groupFound());
        assertTrue(theirPlan.addManagedGroup());
        assertNull(theirPlan.groupFound(), "the stack never put its group on a foreign endpoint before");
    }

    @Test
    void routeTableTakenOffTheGatewayIsAddedBackAsARepair() {
        VpcEndpoint gateway = gatewayEndpoint("vpce-0gw", "available", "rtb-0a").tags(managedTag()).build();
        VpcContext served = context(servedBefore(HOST_A, ZONE_A, "rtb-0a", ALL), servedBefore(HOST_B, ZONE_B, "rtb-0b", ALL));

        GatewayPlan plan = EndpointPlanner.planGateway(S3, List.of(gateway), served);

        assertEquals(List.of("rtb-0b"), plan.routeTableIds());
        assertEquals("route table rtb-0b of " + HOST_B + " is not in s3 gateway vpce-0gw, though the subnet was served by s3 "
                + "at the last run", plan.found());
    }

    @Test
    void deletedGatewayIsRecreatedAsARepair() {
        VpcEndpoint deleted = gatewayEndpoint("vpce-0gw", "deleted", "rtb-0a", "rtb-0b").tags(managedTag()).build();

        GatewayPlan plan = EndpointPlanner.planGateway(S3, List.of(deleted), context());

        assertTrue(plan.creates());
        assertEquals("endpoint vpce-0gw for s3 no longer exists (deleted)", plan.found());
    }
}
