package ssmreach.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
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
import software.amazon.awssdk.services.ec2.model.Reservation;
import ssmreach.SdkMocks;
import ssmreach.contract.Target;
import ssmreach.contract.TargetGroups;
import ssmreach.core.InvalidInputException;

class GroupTargetsHandlerTest {
    private static final String VPC_A = "vpc-0a1b2c3d4e5f60718";
    private static final String VPC_B = "vpc-0b1b2c3d4e5f60718";

    private final Ec2Client ec2 = SdkMocks.ec2();
    private final GroupTargetsHandler handler = new GroupTargetsHandler(ec2);

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
}
