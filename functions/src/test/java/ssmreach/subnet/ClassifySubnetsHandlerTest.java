package ssmreach.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.SdkMocks.ec2Error;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeRouteTablesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeRouteTablesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVpcsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcsResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.Subnet;
import ssmreach.TestInputs;
import ssmreach.SdkMocks;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.Target;
import ssmreach.contract.VpcClassification;
import ssmreach.core.AwsFailureException;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;
import ssmreach.core.RetryableAwsException;

class ClassifySubnetsHandlerTest {
    private static final String VPC_ID = VpcClassifierTest.VPC_ID;
    private static final String SUBNET = VpcClassifierTest.ISO_1A_HIGH;

    private final Ec2Client ec2 = SdkMocks.ec2();
    private final ClassifySubnetsHandler handler = new ClassifySubnetsHandler(VpcClassifierTest.settings(Map.of()), ec2);

    private static boolean filteredBy(List<Filter> filters, String name) {
        return filters.stream().anyMatch(f -> f.name().equals(name));
    }

    private static Filter filter(String name, String... values) {
        return Filter.builder().name(name).values(values).build();
    }


    private void vpcExists() {
        when(ec2.describeVpcs(any(DescribeVpcsRequest.class)))
                .thenReturn(DescribeVpcsResponse.builder().vpcs(VpcClassifierTest.vpc()).build());
        when(ec2.describeSubnets(argThat((DescribeSubnetsRequest r) -> r != null && filteredBy(r.filters(), "vpc-id"))))
                .thenReturn(DescribeSubnetsResponse.builder().subnets(VpcClassifierTest.subnets()).build());
        when(ec2.describeRouteTables(any(DescribeRouteTablesRequest.class)))
                .thenReturn(DescribeRouteTablesResponse.builder().routeTables(VpcClassifierTest.tables()).build());
    }

    /** DescribeInstances answers these instances, whatever the filter. */
    private void instancesFound(Instance... instances) {
        when(ec2.describeInstances(any(DescribeInstancesRequest.class))).thenReturn(DescribeInstancesResponse.builder()
                .reservations(Reservation.builder().instances(instances).build()).build());
    }

    /** The one DescribeInstances request sent (verified to be the only one). */
    private DescribeInstancesRequest onlyInstanceRead() {
        ArgumentCaptor<DescribeInstancesRequest> read = ArgumentCaptor.forClass(DescribeInstancesRequest.class);
        verify(ec2, times(1)).describeInstances(read.capture());
        return read.getValue();
    }

    private void subnetLookupFinds(Subnet... subnets) {
        when(ec2.describeSubnets(argThat((DescribeSubnetsRequest r) -> r != null && filteredBy(r.filters(), "subnet-id"))))
                .thenReturn(DescribeSubnetsResponse.builder().subnets(subnets).build());
    }

    @Test
    void subnetIdOnlyLooksTheVpcUpByFilterThenReadsTheWholeVpc() {
        subnetLookupFinds(VpcClassifierTest.subnet(SUBNET, "us-east-1a", "10.0.1.0/24"));
        vpcExists();

        VpcClassification result = handler.handle(new Target("CreateSubnet", null, List.of(SUBNET), false, null));

        assertEquals(VPC_ID, result.vpcId());
        assertEquals(SubnetStatus.IN_SCOPE, result.subnets().getFirst().status());
        assertTrue(result.anyInScope());
        ArgumentCaptor<DescribeSubnetsRequest> subnets = ArgumentCaptor.forClass(DescribeSubnetsRequest.class);
        verify(ec2, times(2)).describeSubnets(subnets.capture());
        assertEquals(List.of(filter("subnet-id", SUBNET)), subnets.getAllValues().get(0).filters());
        assertTrue(subnets.getAllValues().get(0).subnetIds().isEmpty(), "ids would fail on a deleted subnet; a filter does not");
        assertEquals(List.of(filter("vpc-id", VPC_ID)), subnets.getAllValues().get(1).filters());
        ArgumentCaptor<DescribeVpcsRequest> vpcs = ArgumentCaptor.forClass(DescribeVpcsRequest.class);
        verify(ec2).describeVpcs(vpcs.capture());
        assertEquals(List.of(VPC_ID), vpcs.getValue().vpcIds());
        ArgumentCaptor<DescribeRouteTablesRequest> tables = ArgumentCaptor.forClass(DescribeRouteTablesRequest.class);
        verify(ec2).describeRouteTables(tables.capture());
        assertEquals(List.of(filter("vpc-id", VPC_ID)), tables.getValue().filters());
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void vpcIdSkipsTheSubnetLookupAndTargetsEverySubnet() {
        vpcExists();
        instancesFound();

        VpcClassification result = handler.handle(new Target("manual", VPC_ID, List.of(), false, null));

        assertEquals(5, result.subnets().size());
        assertEquals(List.of("10.0.0.0/16", "10.1.0.0/16", "2600:1f18:abc:de00::/56"), result.cidrBlocks());
        verify(ec2, never()).describeSubnets(argThat((DescribeSubnetsRequest r) -> r != null && filteredBy(r.filters(), "subnet-id")));
    }

    // ---------------------------------------------------------------- instances without a public IPv4 address

    private static final String PUBLIC = VpcClassifierTest.PUBLIC_1C;

    private static Instance running(String id, String subnetId, String publicIp) {
        return VpcClassifierTest.instance(id, subnetId, publicIp, InstanceStateName.RUNNING);
    }

    @Test
    void instanceTargetIsReadOnceForItsSubnetAndItsAddress() {
        vpcExists();
        subnetLookupFinds(VpcClassifierTest.subnet(PUBLIC, "us-east-1c", "10.0.3.0/24"));
        instancesFound(running("i-0aaa", PUBLIC, null));

        VpcClassification result = handler.handle(new Target("InstanceRunning", null, List.of(), List.of("i-0aaa"), false, false, null));

        assertEquals(List.of(PUBLIC), result.subnets().stream().map(s -> s.subnetId()).toList());
        assertEquals(List.of(new InstanceTarget("i-0aaa", PUBLIC, "running")), result.instancesWithoutPublicIpv4());
        assertTrue(result.anyInScope());
        assertEquals(PUBLIC, result.endpointSubnets().get("us-east-1c"));
        assertEquals(List.of(filter("instance-id", "i-0aaa")), onlyInstanceRead().filters());
    }

    @Test
    void instanceTargetWithAPublicIpv4StaysOutOfScope() {
        vpcExists();
        subnetLookupFinds(VpcClassifierTest.subnet(PUBLIC, "us-east-1c", "10.0.3.0/24"));
        instancesFound(running("i-0aaa", PUBLIC, "198.51.100.7"));

        VpcClassification result = handler.handle(new Target("InstanceRunning", null, List.of(), List.of("i-0aaa"), false, false, null));

        assertFalse(result.anyInScope());
        assertEquals(List.of(), result.instancesWithoutPublicIpv4());
        onlyInstanceRead();
    }

    @Test
    void manualRunReadsTheRunningInstancesOfItsPublicSubnetsOnly() {
        vpcExists();
        instancesFound(running("i-0aaa", PUBLIC, null), running("i-0bbb", PUBLIC, "198.51.100.8"));

        VpcClassification result = handler.handle(new Target("manual", VPC_ID, List.of(), false, null));

        assertEquals(List.of(new InstanceTarget("i-0aaa", PUBLIC, "running")), result.instancesWithoutPublicIpv4());
        assertEquals(List.of("NO_PUBLIC_IPV4"), result.findings().stream().map(f -> f.code()).toList());
        assertEquals(List.of(filter("subnet-id", PUBLIC), filter("instance-state-name", "running")), onlyInstanceRead().filters());
    }

    @Test
    void manualRunWithoutPublicTargetsReadsNoInstances() {
        vpcExists();

        VpcClassification result = handler.handle(new Target("manual", VPC_ID, List.of(SUBNET), false, null));

        assertEquals(List.of(), result.instancesWithoutPublicIpv4());
        verify(ec2, never()).describeInstances(any(DescribeInstancesRequest.class));
    }

    @Test
    void createSubnetOfAPublicSubnetReadsNoInstances() {
        vpcExists();
        subnetLookupFinds(VpcClassifierTest.subnet(PUBLIC, "us-east-1c", "10.0.3.0/24"));

        VpcClassification result = handler.handle(new Target("CreateSubnet", null, List.of(PUBLIC), false, null));

        assertFalse(result.anyInScope());
        verify(ec2, never()).describeInstances(any(DescribeInstancesRequest.class));
    }

    @Test
    void subnetNotFoundIsGoneWithoutFurtherCalls() {
        subnetLookupFinds();

        VpcClassification result = handler.handle(new Target("CreateSubnet", null, List.of(SUBNET), false, null));

        assertNull(result.vpcId());
        assertFalse(result.anyInScope());
        assertEquals(1, result.subnets().size());
        assertEquals(SubnetStatus.GONE, result.subnets().getFirst().status());
        assertEquals(SUBNET, result.subnets().getFirst().subnetId());
        verify(ec2).describeSubnets(any(DescribeSubnetsRequest.class));
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void vpcNotFoundErrorIsGone() {
        when(ec2.describeVpcs(any(DescribeVpcsRequest.class)))
                .thenThrow(ec2Error("InvalidVpcID.NotFound", "The vpc ID '" + VPC_ID + "' does not exist"));

        VpcClassification result = handler.handle(new Target("manual", VPC_ID, List.of(SUBNET), false, null));

        assertEquals(VPC_ID, result.vpcId());
        assertEquals(List.of(SubnetStatus.GONE), result.subnets().stream().map(s -> s.status()).toList());
        verify(ec2).describeVpcs(any(DescribeVpcsRequest.class));
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void vpcMissingFromAnEmptyAnswerIsGone() {
        when(ec2.describeVpcs(any(DescribeVpcsRequest.class))).thenReturn(DescribeVpcsResponse.builder().build());

        VpcClassification result = handler.handle(new Target("manual", VPC_ID, List.of(), false, null));

        assertTrue(result.subnets().isEmpty());
        assertFalse(result.anyInScope());
        verify(ec2, never()).describeRouteTables(any(DescribeRouteTablesRequest.class));
    }

    @Test
    void subnetsOfSeveralVpcsAreRefused() {
        subnetLookupFinds(VpcClassifierTest.subnet(SUBNET, "us-east-1a", "10.0.1.0/24"),
                Subnet.builder().subnetId("subnet-0bbbbbbbbbbbbbbbb").vpcId("vpc-0ffffffffffffffff").availabilityZone("us-east-1a").build());

        assertThrows(InvalidInputException.class,
                () -> handler.handle(new Target("manual", null, List.of(SUBNET, "subnet-0bbbbbbbbbbbbbbbb"), false, null)));
        verify(ec2, never()).describeVpcs(any(DescribeVpcsRequest.class));
    }

    @Test
    void targetWithNeitherVpcNorSubnetIsRefusedBeforeAnyCall() {
        assertThrows(InvalidInputException.class, () -> handler.handle(new Target("manual", null, List.of(), false, null)));
        verifyNoInteractions(ec2);
    }

    @Test
    void otherAwsErrorsSurfaceWithTheirCode() {
        when(ec2.describeVpcs(any(DescribeVpcsRequest.class)))
                .thenThrow(ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation."));
        byte[] input = TestInputs.json(new Target("manual", VPC_ID, List.of(), false, null));

        AwsFailureException e = assertThrows(AwsFailureException.class,
                () -> handler.handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null));

        assertEquals("UnauthorizedOperation", e.errorCode());
    }

    @Test
    void throttlingIsRetryable() {
        when(ec2.describeVpcs(any(DescribeVpcsRequest.class)))
                .thenThrow(ec2Error(503, "RequestLimitExceeded", "Request limit exceeded."));
        byte[] input = TestInputs.json(new Target("manual", VPC_ID, List.of(), false, null));

        assertThrows(RetryableAwsException.class,
                () -> handler.handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null));
    }

    @Test
    void handlerWritesTheClassificationDocument() throws Exception {
        vpcExists();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] input = Json.MAPPER.writeValueAsBytes(new Target("manual", VPC_ID, List.of(SUBNET), false, null));

        handler.handleRequest(new ByteArrayInputStream(input), out, null);

        VpcClassification written = Json.MAPPER.readValue(out.toByteArray(), VpcClassification.class);
        assertEquals(handler.handle(new Target("manual", VPC_ID, List.of(SUBNET), false, null)), written);
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "null", "{", "[]", "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"extra\":1}",
            "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"dryRun\":\"yes\"}"})
    void malformedInputFailsBeforeAnyCall(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThrows(InvalidInputException.class, () -> handler.handleRequest(
                new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), out, null));

        verifyNoInteractions(ec2);
        assertEquals(0, out.size());
    }
}
