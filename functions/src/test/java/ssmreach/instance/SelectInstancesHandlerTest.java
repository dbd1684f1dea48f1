package ssmreach.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static ssmreach.instance.InstanceFixtures.CLOCK;
import static ssmreach.instance.InstanceFixtures.INSTANCE;
import static ssmreach.instance.InstanceFixtures.NOW;
import static ssmreach.instance.InstanceFixtures.OPTED_OUT_SUBNET;
import static ssmreach.instance.InstanceFixtures.OTHER_INSTANCE;
import static ssmreach.instance.InstanceFixtures.PUBLIC_SUBNET;
import static ssmreach.instance.InstanceFixtures.SUBNET;
import static ssmreach.instance.InstanceFixtures.SUBNET_2;
import static ssmreach.instance.InstanceFixtures.VPC;
import static ssmreach.instance.InstanceFixtures.described;
import static ssmreach.instance.InstanceFixtures.inScope;
import static ssmreach.instance.InstanceFixtures.instance;
import static ssmreach.instance.InstanceFixtures.subnet;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import ssmreach.SdkMocks;
import ssmreach.contract.InstanceSelection;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.Route;
import ssmreach.contract.SelectionRequest;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.Target;
import ssmreach.contract.VpcClassification;

class SelectInstancesHandlerTest {
    private static final SubnetClassification PUBLIC = subnet(PUBLIC_SUBNET, SubnetStatus.OUT_OF_SCOPE, Route.PUBLIC,
            "default route to igw-0123");
    private static final SubnetClassification OPTED_OUT = subnet(OPTED_OUT_SUBNET, SubnetStatus.OPTED_OUT, Route.ISOLATED,
            "tag ssm-reach:skip=true");

    private final Ec2Client ec2 = SdkMocks.ec2();

    private SelectInstancesHandler handler(Map<String, String> settings) {
        return new SelectInstancesHandler(InstanceFixtures.settings(settings), ec2, CLOCK);
    }

    private static Target instanceTrigger(String... ids) {
        return new Target("InstanceRunning", null, List.of(), List.of(ids), false, false, null);
    }

    private static Target subnetTrigger(String... subnets) {
        return new Target("manual", VPC, List.of(subnets), false, null);
    }

    private static VpcClassification classification(SubnetClassification... subnets) {
        boolean any = List.of(subnets).stream().anyMatch(SubnetClassification::inScope);
        return new VpcClassification(VPC, List.of("10.0.0.0/16"), any, List.of(subnets), Map.of(), List.of(), Map.of());
    }

    private DescribeInstancesRequest onlyRead() {
        ArgumentCaptor<DescribeInstancesRequest> read = ArgumentCaptor.forClass(DescribeInstancesRequest.class);
        verify(ec2, times(1)).describeInstances(read.capture());
        return read.getValue();
    }

    // ---------------------------------------------------------------- instance trigger

    @Test
    void instanceInAnInScopeSubnetIsSelected() {
        described(ec2, instance(INSTANCE, SUBNET, "running").build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(inScope(SUBNET))));

        assertEquals(List.of(new InstanceTarget(INSTANCE, SUBNET, "running")), selection.instances());
        assertEquals(List.of(), selection.skipped());
        assertTrue(selection.any());
        assertEquals(NOW.toString(), selection.selectedAt());
        assertEquals(List.of(Filter.builder().name("instance-id").values(INSTANCE).build()), onlyRead().filters());
    }

    @Test
    void instanceInAnOutOfScopeSubnetIsSkippedWithTheSubnetsReason() {
        described(ec2, instance(INSTANCE, PUBLIC_SUBNET, "running").publicIpAddress("198.51.100.7").build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(PUBLIC)));

        assertEquals(List.of(), selection.instances());
        assertFalse(selection.any());
        assertEquals(1, selection.skipped().size());
        InstanceSelection.Skipped skipped = selection.skipped().getFirst();
        assertEquals(INSTANCE, skipped.instanceId());
        assertTrue(skipped.reason().contains("out of scope") && skipped.reason().contains("default route to igw-0123"), skipped.reason());
    }

    @Test
    void instanceScopeAllSelectsAnInstanceInAnOutOfScopeSubnet() {
        described(ec2, instance(INSTANCE, PUBLIC_SUBNET, "running").publicIpAddress("198.51.100.7").build());

        InstanceSelection selection = handler(Map.of("INSTANCE_SCOPE", "all"))
                .handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(PUBLIC)));

        assertEquals(List.of(new InstanceTarget(INSTANCE, PUBLIC_SUBNET, "running")), selection.instances());
        assertTrue(selection.any());
    }

    @Test
    void instanceWithoutAPublicIpv4InAPublicSubnetIsSelectedAsIfItsSubnetWereIsolated() {
        described(ec2, instance(INSTANCE, PUBLIC_SUBNET, "running").build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(PUBLIC)));

        assertEquals(List.of(new InstanceTarget(INSTANCE, PUBLIC_SUBNET, "running")), selection.instances());
        assertEquals(List.of(), selection.skipped());
    }

    @Test
    void instanceWithoutAPublicIpv4InAnEgressSubnetStaysOutOfScope() {
        SubnetClassification egress = subnet(SUBNET_2, SubnetStatus.OUT_OF_SCOPE, Route.EGRESS, "0.0.0.0/0 via nat-0123 (scope: isolated)");
        described(ec2, instance(INSTANCE, SUBNET_2, "running").build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(egress)));

        assertFalse(selection.any());
        assertEquals(List.of(new InstanceSelection.Skipped(INSTANCE, "its subnet is out of scope (0.0.0.0/0 via nat-0123 (scope: isolated))")),
                selection.skipped());
    }

    @ParameterizedTest(name = "INSTANCE_SCOPE={0}")
    @ValueSource(strings = {"in-scope", "all"})
    void instanceInAnOptedOutSubnetIsAlwaysSkipped(String scope) {
        described(ec2, instance(INSTANCE, OPTED_OUT_SUBNET, "running").build());

        InstanceSelection selection = handler(Map.of("INSTANCE_SCOPE", scope))
                .handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(OPTED_OUT)));

        assertEquals(List.of(), selection.instances());
        assertFalse(selection.any());
        assertEquals(List.of(new InstanceSelection.Skipped(INSTANCE, "its subnet is opted out")), selection.skipped());
    }

    @Test
    void pendingInstanceIsSkippedUntilItReportsRunning() {
        described(ec2, instance(INSTANCE, SUBNET, "pending").build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(inScope(SUBNET))));

        assertFalse(selection.any());
        assertTrue(selection.skipped().getFirst().reason().startsWith("pending"), selection.skipped().toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stopping", "stopped", "shutting-down", "terminated"})
    void instanceInAnotherStateIsSkippedWithItsState(String state) {
        described(ec2, instance(INSTANCE, SUBNET, state).build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(inScope(SUBNET))));

        assertFalse(selection.any());
        assertEquals(List.of(new InstanceSelection.Skipped(INSTANCE, "state " + state)), selection.skipped());
    }

    @Test
    void unknownInstanceIsSkippedAsGone() {
        described(ec2);

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), classification()));

        assertFalse(selection.any());
        assertEquals(List.of(), selection.instances());
        assertEquals(1, selection.skipped().size());
        assertEquals(INSTANCE, selection.skipped().getFirst().instanceId());
        assertTrue(selection.skipped().getFirst().reason().startsWith("gone"), selection.skipped().toString());
    }

    @Test
    void instanceWhoseSubnetWasNotClassifiedIsSkipped() {
        described(ec2, instance(INSTANCE, SUBNET_2, "running").build());

        InstanceSelection selection = handler(Map.of("INSTANCE_SCOPE", "all"))
                .handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(inScope(SUBNET))));

        assertFalse(selection.any());
        assertEquals(List.of(new InstanceSelection.Skipped(INSTANCE, "its subnet was not evaluated")), selection.skipped());
    }

    @Test
    void instanceWhoseSubnetIsGoneIsSkipped() {
        described(ec2, instance(INSTANCE, SUBNET, "running").build());

        InstanceSelection selection = handler(Map.of("INSTANCE_SCOPE", "all"))
                .handle(new SelectionRequest(instanceTrigger(INSTANCE), classification(SubnetClassification.gone(SUBNET))));

        assertFalse(selection.any());
        assertEquals(List.of(INSTANCE), selection.skipped().stream().map(InstanceSelection.Skipped::instanceId).toList());
    }

    @Test
    void instanceTriggerWithoutClassificationSkipsTheInstance() {
        described(ec2, instance(INSTANCE, SUBNET, "running").build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(instanceTrigger(INSTANCE), null));

        assertFalse(selection.any());
        assertEquals(1, selection.skipped().size());
    }

    // ---------------------------------------------------------------- subnet trigger

    @Test
    void subnetTriggerReadsLiveInstancesOfTheInScopeSubnetsInOneCall() {
        described(ec2, instance(INSTANCE, SUBNET, "running").build(), instance(OTHER_INSTANCE, SUBNET_2, "pending").build());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(subnetTrigger(SUBNET, SUBNET_2, PUBLIC_SUBNET),
                classification(inScope(SUBNET), inScope(SUBNET_2), PUBLIC, OPTED_OUT)));

        assertEquals(List.of(Filter.builder().name("subnet-id").values(SUBNET, SUBNET_2).build(),
                Filter.builder().name("instance-state-name").values("pending", "running").build()), onlyRead().filters());
        assertEquals(List.of(new InstanceTarget(INSTANCE, SUBNET, "running")), selection.instances());
        assertEquals(List.of(OTHER_INSTANCE), selection.skipped().stream().map(InstanceSelection.Skipped::instanceId).toList());
        assertTrue(selection.skipped().getFirst().reason().startsWith("pending"));
        assertTrue(selection.any());
    }

    @Test
    void subnetTriggerAlsoReadsThePublicSubnetsWhereInstancesWithoutAPublicIpv4WereFound() {
        described(ec2, instance(INSTANCE, SUBNET, "running").build(), instance(OTHER_INSTANCE, PUBLIC_SUBNET, "running").build(),
                instance("i-0abc1234def567892", PUBLIC_SUBNET, "running").publicIpAddress("198.51.100.7").build());
        VpcClassification classification = new VpcClassification(VPC, List.of("10.0.0.0/16"), true, List.of(inScope(SUBNET), PUBLIC),
                List.of(new InstanceTarget(OTHER_INSTANCE, PUBLIC_SUBNET, "running")), Map.of(), List.of(), Map.of(), List.of());

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(subnetTrigger(SUBNET, PUBLIC_SUBNET), classification));

        assertEquals(List.of(Filter.builder().name("subnet-id").values(SUBNET, PUBLIC_SUBNET).build(),
                Filter.builder().name("instance-state-name").values("pending", "running").build()), onlyRead().filters());
        assertEquals(List.of(new InstanceTarget(INSTANCE, SUBNET, "running"), new InstanceTarget(OTHER_INSTANCE, PUBLIC_SUBNET, "running")),
                selection.instances());
        assertEquals(List.of(), selection.skipped(), "the instance with a public address is not this run's, and not listed");
    }

    @Test
    void overTheLimitThoseWithoutAProfileComeFirstAndTheRestIsDeferred() {
        int over = SelectInstancesHandler.MAX_INSTANCES + 3;
        List<software.amazon.awssdk.services.ec2.model.Instance> instances = new java.util.ArrayList<>();
        for (int i = 0; i < over; i++) {
            var b = instance(String.format("i-%017x", i), SUBNET, "running");
            if (i < 10) { // the lowest ids have a profile: they must give way
                b.iamInstanceProfile(p -> p.arn("arn:aws:iam::123456789012:instance-profile/app").id("AIPA0000000000000000"));
            }
            instances.add(b.build());
        }
        described(ec2, instances.toArray(software.amazon.awssdk.services.ec2.model.Instance[]::new));

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(subnetTrigger(SUBNET), classification(inScope(SUBNET))));

        assertEquals(SelectInstancesHandler.MAX_INSTANCES, selection.instances().size());
        assertEquals(3, selection.deferred());
        List<String> ids = selection.instances().stream().map(InstanceTarget::instanceId).toList();
        assertEquals(String.format("i-%017x", 10), ids.getFirst(), "those without a profile first, by id");
        assertEquals(List.of(String.format("i-%017x", 0), String.format("i-%017x", 1), String.format("i-%017x", 2),
                String.format("i-%017x", 3), String.format("i-%017x", 4), String.format("i-%017x", 5), String.format("i-%017x", 6)),
                ids.subList(ids.size() - 7, ids.size()), "then those with one: the last three are left for a later run");
    }

    @Test
    void atTheLimitNothingIsDeferred() {
        List<software.amazon.awssdk.services.ec2.model.Instance> instances = new java.util.ArrayList<>();
        for (int i = 0; i < SelectInstancesHandler.MAX_INSTANCES; i++) {
            instances.add(instance(String.format("i-%017x", i), SUBNET, "running").build());
        }
        described(ec2, instances.toArray(software.amazon.awssdk.services.ec2.model.Instance[]::new));

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(subnetTrigger(SUBNET), classification(inScope(SUBNET))));

        assertEquals(SelectInstancesHandler.MAX_INSTANCES, selection.instances().size());
        assertEquals(0, selection.deferred());
    }

    @Test
    void subnetTriggerWithoutInstancesSelectsNothing() {
        described(ec2);

        InstanceSelection selection = handler(Map.of()).handle(new SelectionRequest(subnetTrigger(SUBNET), classification(inScope(SUBNET))));

        assertFalse(selection.any());
        assertEquals(List.of(), selection.instances());
        assertEquals(List.of(), selection.skipped(), "no instance id was asked for, so none is gone");
    }

    @ParameterizedTest(name = "INSTANCE_SCOPE={0}")
    @ValueSource(strings = {"in-scope", "all"})
    void subnetTriggerWithoutInScopeSubnetMakesNoCall(String scope) {
        InstanceSelection selection = handler(Map.of("INSTANCE_SCOPE", scope))
                .handle(new SelectionRequest(subnetTrigger(PUBLIC_SUBNET, OPTED_OUT_SUBNET), classification(PUBLIC, OPTED_OUT)));

        verifyNoInteractions(ec2);
        assertFalse(selection.any());
        assertEquals(List.of(), selection.instances());
        assertEquals(List.of(), selection.skipped());
        assertEquals(NOW.toString(), selection.selectedAt());
    }

    @Test
    void subnetTriggerNeverReadsByInstanceId() {
        described(ec2);

        handler(Map.of()).handle(new SelectionRequest(subnetTrigger(SUBNET), classification(inScope(SUBNET))));

        verify(ec2).describeInstances(any(DescribeInstancesRequest.class));
        assertTrue(onlyRead().filters().stream().noneMatch(f -> f.name().equals("instance-id")));
    }
}
