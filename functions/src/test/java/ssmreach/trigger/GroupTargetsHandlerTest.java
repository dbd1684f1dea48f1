package ssmreach.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.DescribeRouteTablesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeRouteTablesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsResponse;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.Subnet;
import ssmreach.SdkMocks;
import ssmreach.contract.Target;
import ssmreach.contract.TargetGroups;
import ssmreach.core.InvalidInputException;

class GroupTargetsHandlerTest {
    private static final String VPC_A = "vpc-0a1b2c3d4e5f60718";
    private static final String VPC_B = "vpc-0b1b2c3d4e5f60718";

    private final Ec2Client ec2 = SdkMocks.ec2();
    private final GroupTargetsHandler handler = new GroupTargetsHandler(ssmreach.TestInputs.settings(java.util.Map.of()), ec2);

    @Test
    void subnetsAndInstancesAreGroupedByVpcAndRepeatsCountOnce() {
        described(instance("i-0000000000000000a", VPC_A), instance("i-0000000000000000b", VPC_B));
        Target batch = batch(
                new Target("CreateSubnet", VPC_A, List.of("subnet-0000000000000000a"), false, null),
                running("i-0000000000000000a"), running("i-0000000000000000b"), running("i-0000000000000000a"),
                new Target("CreateSubnet", VPC_A, List.of("subnet-0000000000000000a"), false, null));

        TargetGroups groups = handler.handle(batch);

        assertEquals(List.of(
                new Target("events", VPC_A, List.of("subnet-0000000000000000a"), List.of("i-0000000000000000a"), false, false, null),
                new Target("InstanceRunning", VPC_B, List.of(), List.of("i-0000000000000000b"), false, false, null)), groups.groups());
        assertEquals(List.of(), groups.gone());
        ArgumentCaptor<DescribeInstancesRequest> request = ArgumentCaptor.forClass(DescribeInstancesRequest.class);
        verify(ec2).describeInstances(request.capture());
        assertEquals(List.of("i-0000000000000000a", "i-0000000000000000b"), request.getValue().filters().getFirst().values(),
                "one call, each instance once");
    }

    @Test
    void aBatchOfNewSubnetsNeedsNoCall() {
        TargetGroups groups = handler.handle(batch(new Target("CreateSubnet", VPC_B, List.of("subnet-0000000000000000b"), true, null)));

        assertEquals(List.of(new Target("CreateSubnet", VPC_B, List.of("subnet-0000000000000000b"), List.of(), true, false, null)),
                groups.groups(), "the dry run of the batch carries over");
        verifyNoInteractions(ec2);
    }

    @Test
    void terminatedInstancesAreGone() {
        described(Instance.builder().instanceId("i-0000000000000000a").state(s -> s.name("terminated")).build());

        TargetGroups groups = handler.handle(batch(running("i-0000000000000000a"), running("i-0000000000000000c")));

        assertEquals(List.of(), groups.groups());
        assertEquals(List.of("i-0000000000000000a", "i-0000000000000000c"), groups.gone());
    }

    @Test
    void instancesAreReadTwoHundredAtATime() {
        described(instance("i-0000000000000000a", VPC_A));
        List<Target> events = new ArrayList<>();
        IntStream.range(0, 450).forEach(n -> events.add(running(String.format("i-%017x", n))));

        handler.handle(batch(events.toArray(Target[]::new)));

        ArgumentCaptor<DescribeInstancesRequest> requests = ArgumentCaptor.forClass(DescribeInstancesRequest.class);
        verify(ec2, times(3)).describeInstances(requests.capture());
        assertEquals(List.of(200, 200, 50), requests.getAllValues().stream().map(r -> r.filters().getFirst().values().size()).toList());
    }

    @Test
    void onlyABatchIsGrouped() {
        assertThrows(InvalidInputException.class, () -> handler.handle(running("i-0000000000000000a")));
    }

    // ---------------------------------------------------------------- route changes

    private static final String TABLE = "rtb-0000000000000000a";
    private static final String MAIN = "rtb-0000000000000000b";

    @Test
    void aRouteChangeReEvaluatesTheTablesSubnetsInOneCall() {
        tables(table(TABLE, VPC_A, association("rtbassoc-0000000000000000a", "subnet-0000000000000000a", false),
                association("rtbassoc-0000000000000000b", "subnet-0000000000000000b", false)));

        TargetGroups groups = handler.handle(batch(Target.routeChange(TABLE, List.of(), null, false),
                Target.routeChange(TABLE, List.of(), null, false)));

        assertEquals(List.of(new Target(Target.ROUTE_CHANGE, VPC_A, List.of("subnet-0000000000000000a", "subnet-0000000000000000b"),
                List.of(), false, false, null)), groups.groups());
        assertEquals(List.of(), groups.ignored());
        ArgumentCaptor<DescribeRouteTablesRequest> request = ArgumentCaptor.forClass(DescribeRouteTablesRequest.class);
        verify(ec2).describeRouteTables(request.capture());
        assertEquals("route-table-id", request.getValue().filters().getFirst().name());
        assertEquals(List.of(TABLE), request.getValue().filters().getFirst().values(), "one call, each table once");
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void theMainTablesChangeAlsoReachesTheSubnetsWithoutAnExplicitAssociation() {
        RouteTable main = table(MAIN, VPC_A, association("rtbassoc-0000000000000000c", null, true));
        RouteTable other = table(TABLE, VPC_A, association("rtbassoc-0000000000000000a", "subnet-0000000000000000a", false));
        when(ec2.describeRouteTables(any(DescribeRouteTablesRequest.class))).thenAnswer(call -> {
            DescribeRouteTablesRequest request = call.getArgument(0);
            return DescribeRouteTablesResponse.builder().routeTables("vpc-id".equals(request.filters().getFirst().name())
                    ? List.of(main, other) : List.of(main)).build();
        });
        when(ec2.describeSubnets(any(DescribeSubnetsRequest.class))).thenReturn(DescribeSubnetsResponse.builder().subnets(
                subnet("subnet-0000000000000000a"), subnet("subnet-0000000000000000c"), subnet("subnet-0000000000000000d")).build());

        TargetGroups groups = handler.handle(batch(Target.routeChange(MAIN, List.of(), null, false)));

        assertEquals(List.of(new Target(Target.ROUTE_CHANGE, VPC_A, List.of("subnet-0000000000000000c", "subnet-0000000000000000d"),
                List.of(), false, false, null)), groups.groups(), "the explicitly associated subnet keeps its own table");
        verify(ec2, times(2)).describeRouteTables(any(DescribeRouteTablesRequest.class));
        ArgumentCaptor<DescribeSubnetsRequest> subnets = ArgumentCaptor.forClass(DescribeSubnetsRequest.class);
        verify(ec2).describeSubnets(subnets.capture());
        assertEquals(List.of(VPC_A), subnets.getValue().filters().getFirst().values());
    }

    @Test
    void anAssociationReEvaluatesItsSubnetOnly() {
        tables(table(TABLE, VPC_A, association("rtbassoc-0000000000000000a", "subnet-0000000000000000a", false),
                association("rtbassoc-0000000000000000b", "subnet-0000000000000000b", false)));

        TargetGroups groups = handler.handle(batch(Target.routeChange(TABLE, List.of("subnet-0000000000000000b"), null, false),
                new Target("CreateSubnet", VPC_A, List.of("subnet-0000000000000000e"), false, null)));

        assertEquals(List.of(new Target("events", VPC_A, List.of("subnet-0000000000000000b", "subnet-0000000000000000e"),
                List.of(), false, false, null)), groups.groups());
    }

    @Test
    void aReplacedAssociationReachesItsSubnetOrTheMainTablesSubnets() {
        RouteTable table = table(TABLE, VPC_A, association("rtbassoc-0000000000000000a", "subnet-0000000000000000a", false),
                association("rtbassoc-0000000000000000b", "subnet-0000000000000000b", false));
        tables(table);

        TargetGroups groups = handler.handle(batch(Target.routeChange(TABLE, List.of(), "rtbassoc-0000000000000000b", false),
                Target.routeChange(TABLE, List.of(), "rtbassoc-0000000000000000f", false)));

        assertEquals(List.of(new Target(Target.ROUTE_CHANGE, VPC_A, List.of("subnet-0000000000000000b"), List.of(), false, false, null)),
                groups.groups());
        assertEquals(List.of("association rtbassoc-0000000000000000f of " + TABLE + " no longer exists"), groups.ignored());
    }

    @Test
    void aTableThatNoLongerExistsIsIgnoredAndTheRestGoesOn() {
        tables(table(TABLE, VPC_B, association("rtbassoc-0000000000000000a", "subnet-0000000000000000a", false)));

        TargetGroups groups = handler.handle(batch(Target.routeChange("rtb-0000000000000000e", List.of(), null, false),
                Target.routeChange(TABLE, List.of(), null, false), Target.routeChange("rtb-0000000000000000f", List.of(), null, false)));

        assertEquals(List.of(new Target(Target.ROUTE_CHANGE, VPC_B, List.of("subnet-0000000000000000a"), List.of(), false, false, null)),
                groups.groups());
        assertEquals(List.of("route table rtb-0000000000000000e no longer exists", "route table rtb-0000000000000000f no longer exists"),
                groups.ignored());
    }

    @Test
    void aTableNoSubnetUsesIsIgnored() {
        tables(table(TABLE, VPC_A));

        TargetGroups groups = handler.handle(batch(Target.routeChange(TABLE, List.of(), null, false)));

        assertEquals(List.of(), groups.groups());
        assertEquals(List.of("no subnet uses route table " + TABLE), groups.ignored());
    }

    @Test
    void routeTablesAreReadTwoHundredAtATime() {
        tables();
        List<Target> events = new ArrayList<>();
        IntStream.range(0, 250).forEach(n -> events.add(Target.routeChange(String.format("rtb-%017x", n), List.of(), null, false)));

        TargetGroups groups = handler.handle(batch(events.toArray(Target[]::new)));

        assertEquals(250, groups.ignored().size());
        ArgumentCaptor<DescribeRouteTablesRequest> requests = ArgumentCaptor.forClass(DescribeRouteTablesRequest.class);
        verify(ec2, times(2)).describeRouteTables(requests.capture());
        assertEquals(List.of(200, 50), requests.getAllValues().stream().map(r -> r.filters().getFirst().values().size()).toList());
    }

    @Test
    void aMainTableWithMoreSubnetsThanAGroupTakesIsSplitIntoGroups() {
        RouteTable main = table(MAIN, VPC_A, association("rtbassoc-0000000000000000c", null, true));
        tables(main);
        List<Subnet> many = IntStream.range(0, 230).mapToObj(n -> subnet(String.format("subnet-%017x", n))).toList();
        when(ec2.describeSubnets(any(DescribeSubnetsRequest.class))).thenReturn(DescribeSubnetsResponse.builder().subnets(many).build());
        described(instance("i-0000000000000000a", VPC_A));

        TargetGroups groups = handler.handle(batch(Target.routeChange(MAIN, List.of(), null, false), running("i-0000000000000000a")));

        assertEquals(List.of(100, 100, 30), groups.groups().stream().map(g -> g.subnetIds().size()).toList());
        assertEquals(List.of(List.of("i-0000000000000000a"), List.of(), List.of()),
                groups.groups().stream().map(Target::instanceIds).toList(), "the instances go with the first group");
        assertEquals(230, groups.groups().stream().flatMap(g -> g.subnetIds().stream()).distinct().count());
        assertEquals(List.of(VPC_A), groups.groups().stream().map(Target::vpcId).distinct().toList());
    }

    private void tables(RouteTable... tables) {
        when(ec2.describeRouteTables(any(DescribeRouteTablesRequest.class)))
                .thenReturn(DescribeRouteTablesResponse.builder().routeTables(tables).build());
    }

    private static RouteTable table(String id, String vpc, RouteTableAssociation... associations) {
        return RouteTable.builder().routeTableId(id).vpcId(vpc).associations(associations).build();
    }

    private static RouteTableAssociation association(String id, String subnet, boolean main) {
        return RouteTableAssociation.builder().routeTableAssociationId(id).subnetId(subnet).main(main).build();
    }

    private static Subnet subnet(String id) {
        return Subnet.builder().subnetId(id).vpcId(VPC_A).build();
    }

    private static Target batch(Target... events) {
        return new Target(Target.BATCH, null, List.of(), List.of(), events[0].dryRun(), false, null, List.of(events));
    }

    private static Target running(String instanceId) {
        return new Target("InstanceRunning", null, List.of(), List.of(instanceId), false, false, null);
    }

    private static Instance instance(String id, String vpc) {
        return Instance.builder().instanceId(id).vpcId(vpc).subnetId("subnet-0000000000000000a").state(s -> s.name("running")).build();
    }

    private void described(Instance... instances) {
        when(ec2.describeInstances(any(DescribeInstancesRequest.class))).thenReturn(DescribeInstancesResponse.builder()
                .reservations(Reservation.builder().instances(instances).build()).build());
    }

    @Test
    void aSweepTakesAPageOfTheRegionsVpcsInIdOrderLeavingOutOptedOutAndSharedOnes() {
        GroupTargetsHandler sweeper = new GroupTargetsHandler(ssmreach.TestInputs.settings(java.util.Map.of(
                "SWEEP_PAGE_VPCS", "2", "SWEEP_CONCURRENCY", "3", "API_RATE_SHARE", "0.25")), ec2);
        when(ec2.describeVpcs(any(software.amazon.awssdk.services.ec2.model.DescribeVpcsRequest.class))).thenReturn(
                software.amazon.awssdk.services.ec2.model.DescribeVpcsResponse.builder().vpcs(
                        vpc("vpc-0000000000000000d", "123456789012"), vpc("vpc-0000000000000000a", "123456789012"),
                        vpc("vpc-0000000000000000b", "210987654321"),
                        vpc("vpc-0000000000000000c", "123456789012").toBuilder().tags(t -> t.key("ssm-reach:skip").value("true")).build(),
                        vpc("vpc-0000000000000000e", "123456789012"), vpc("vpc-0000000000000000f", "123456789012")).build());

        TargetGroups first = sweeper.handle(Target.sweep(true, null));

        assertEquals(List.of(Target.sweptVpc("vpc-0000000000000000a", true), Target.sweptVpc("vpc-0000000000000000d", true)),
                first.groups(), "a page of two, in id order, each a whole VPC; the dry run carries over");
        assertEquals(List.of("vpc-0000000000000000b: shared by account 210987654321, which keeps it reachable",
                "vpc-0000000000000000c: opted out (tag ssm-reach:skip=true)"), first.ignored());
        assertEquals("vpc-0000000000000000d", first.next(), "the next page goes on after the last VPC of this one");
        assertEquals(3, first.concurrency());

        TargetGroups last = sweeper.handle(Target.sweep(true, first.next()));

        assertEquals(List.of(Target.sweptVpc("vpc-0000000000000000e", true), Target.sweptVpc("vpc-0000000000000000f", true)),
                last.groups());
        assertEquals(List.of(), last.ignored(), "those left out are reported by the page that met them");
        assertEquals(null, last.next(), "no VPC after the page: the sweep ends");
    }

    @Test
    void aSweepBeyondEc2sBudgetIsRefusedBeforeAnyCall() {
        GroupTargetsHandler sweeper = new GroupTargetsHandler(ssmreach.TestInputs.settings(java.util.Map.of(
                "SWEEP_CONCURRENCY", "4", "API_RATE_SHARE", "0.25")), ec2);

        var refused = assertThrows(ssmreach.core.InvalidConfigurationException.class, () -> sweeper.handle(Target.sweep(false, null)));

        assertEquals("SWEEP_CONCURRENCY 4 with API_RATE_SHARE 0.25 lets the sweep and a batch use 125% of each EC2 API's rate; "
                + "keep (SweepConcurrency + 1) x ApiRateShare at most 1", refused.getMessage());
        verifyNoInteractions(ec2);
    }

    private static software.amazon.awssdk.services.ec2.model.Vpc vpc(String id, String owner) {
        return software.amazon.awssdk.services.ec2.model.Vpc.builder().vpcId(id).ownerId(owner).build();
    }
}
