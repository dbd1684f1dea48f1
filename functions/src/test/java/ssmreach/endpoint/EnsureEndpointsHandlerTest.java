package ssmreach.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.SdkMocks.ec2Error;
import static ssmreach.endpoint.EndpointFixtures.EC2MESSAGES;
import static ssmreach.endpoint.EndpointFixtures.EXECUTION;
import static ssmreach.endpoint.EndpointFixtures.FOREIGN_SG;
import static ssmreach.endpoint.EndpointFixtures.HOST_A;
import static ssmreach.endpoint.EndpointFixtures.HOST_B;
import static ssmreach.endpoint.EndpointFixtures.MANAGED_SG;
import static ssmreach.endpoint.EndpointFixtures.OTHER_A;
import static ssmreach.endpoint.EndpointFixtures.S3;
import static ssmreach.endpoint.EndpointFixtures.SSM;
import static ssmreach.endpoint.EndpointFixtures.SSMMESSAGES;
import static ssmreach.endpoint.EndpointFixtures.TARGET_CIDR;
import static ssmreach.endpoint.EndpointFixtures.VPC;
import static ssmreach.endpoint.EndpointFixtures.ZONES_OF_SUBNETS;
import static ssmreach.endpoint.EndpointFixtures.ZONE_A;
import static ssmreach.endpoint.EndpointFixtures.ZONE_B;
import static ssmreach.endpoint.EndpointFixtures.ZONE_C;
import static ssmreach.endpoint.EndpointFixtures.gatewayEndpoint;
import static ssmreach.endpoint.EndpointFixtures.group;
import static ssmreach.endpoint.EndpointFixtures.groupRef;
import static ssmreach.endpoint.EndpointFixtures.interfaceEndpoint;
import static ssmreach.endpoint.EndpointFixtures.managedTag;
import static ssmreach.endpoint.EndpointFixtures.tcp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateVpcEndpointRequest;
import software.amazon.awssdk.services.ec2.model.CreateVpcEndpointResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsResponse;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointServicesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointServicesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointsResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ModifyVpcEndpointRequest;
import software.amazon.awssdk.services.ec2.model.ModifyVpcEndpointResponse;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.ServiceDetail;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import software.amazon.awssdk.services.ec2.model.VpcEndpointType;
import ssmreach.TestInputs;
import ssmreach.SdkMocks;
import ssmreach.contract.Action;
import ssmreach.contract.Endpoint;
import ssmreach.contract.EndpointRequest;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.Finding;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.Route;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.VpcClassification;
import ssmreach.contract.VpcReadiness;
import ssmreach.core.AwsFailureException;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;
import ssmreach.core.ResourceGoneException;
import ssmreach.core.RetryableAwsException;

class EnsureEndpointsHandlerTest {
    private static final Map<String, String> SSM_ONLY = Map.of("SERVICES", "ssm", "S3_GATEWAY", "false");
    private static final String CONFLICTING_DNS = "private-dns-enabled cannot be set because there is already a conflicting DNS "
            + "domain for ssm.us-east-1.amazonaws.com in the VPC " + VPC;

    private final Ec2Client ec2 = SdkMocks.ec2();

    // ---------------------------------------------------------------- arrange helpers

    static EndpointRequest request(boolean dryRun, Map<String, String> endpointSubnets) {
        SubnetClassification target = new SubnetClassification(HOST_A, ZONE_A, TARGET_CIDR, "rtb-0a", false, Route.ISOLATED, null,
                SubnetStatus.IN_SCOPE, "no default route", Map.of());
        VpcClassification classification = new VpcClassification(VPC, List.of("10.0.0.0/16"), true, List.of(target),
                endpointSubnets, List.of("rtb-0a", "rtb-0b"), ZONES_OF_SUBNETS);
        return new EndpointRequest(classification, new VpcReadiness(MANAGED_SG, true, List.of(), List.of()), dryRun,
                EXECUTION);
    }

    static EndpointRequest request(boolean dryRun) {
        return request(dryRun, Map.of(ZONE_A, HOST_A, ZONE_B, HOST_B));
    }

    private EnsureEndpointsHandler handler(Map<String, String> settings) {
        return new EnsureEndpointsHandler(EndpointFixtures.settings(settings), ec2);
    }

    private void offered(String... serviceNames) {
        when(ec2.describeVpcEndpointServices(any(DescribeVpcEndpointServicesRequest.class)))
                .thenReturn(DescribeVpcEndpointServicesResponse.builder().serviceDetails(Arrays.stream(serviceNames)
                        .map(n -> ServiceDetail.builder().serviceName(n).availabilityZones(ZONE_A, ZONE_B, ZONE_C).build())
                        .toList()).build());
    }

    /** What each successive DescribeVpcEndpoints answers: one list per read (round). */
    @SafeVarargs
    private void endpointsRead(List<VpcEndpoint>... rounds) {
        DescribeVpcEndpointsResponse[] answers = Arrays.stream(rounds)
                .map(r -> DescribeVpcEndpointsResponse.builder().vpcEndpoints(r).build()).toArray(DescribeVpcEndpointsResponse[]::new);
        when(ec2.describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class)))
                .thenReturn(answers[0], Arrays.copyOfRange(answers, 1, answers.length));
    }

    private static CreateVpcEndpointResponse created(CreateVpcEndpointRequest r) {
        String service = r.serviceName().substring(r.serviceName().lastIndexOf('.') + 1);
        boolean gateway = r.vpcEndpointType() == VpcEndpointType.GATEWAY;
        return CreateVpcEndpointResponse.builder().clientToken(r.clientToken()).vpcEndpoint(VpcEndpoint.builder()
                .vpcEndpointId("vpce-0new" + service).vpcId(r.vpcId()).serviceName(r.serviceName())
                .vpcEndpointType(r.vpcEndpointType()).state(gateway ? "available" : "pending")
                .privateDnsEnabled(r.privateDnsEnabled()).subnetIds(r.subnetIds()).routeTableIds(r.routeTableIds()).build()).build();
    }

    private void createSucceeds() {
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class))).thenAnswer(i -> created(i.getArgument(0)));
    }

    private void modifySucceeds() {
        when(ec2.modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class)))
                .thenReturn(ModifyVpcEndpointResponse.builder().returnValue(true).build());
    }

    private CreateVpcEndpointRequest capturedCreate() {
        ArgumentCaptor<CreateVpcEndpointRequest> captor = ArgumentCaptor.forClass(CreateVpcEndpointRequest.class);
        verify(ec2).createVpcEndpoint(captor.capture());
        return captor.getValue();
    }

    private static Map<String, String> tags(TagSpecification spec) {
        return spec.tags().stream().collect(java.util.stream.Collectors.toMap(Tag::key, Tag::value));
    }

    private static VpcEndpoint ssmEndpoint(String id, String... subnets) {
        return interfaceEndpoint(id, SSM, "available", true, subnets).groups(groupRef(MANAGED_SG)).build();
    }

    private static List<String> codes(List<Finding> findings) {
        return findings.stream().map(Finding::code).toList();
    }

    // ---------------------------------------------------------------- create

    @Test
    void createsAnInterfaceEndpointWithPrivateDnsInOneSubnetPerZone() {
        offered(SSM, S3);
        endpointsRead(List.of());
        createSucceeds();

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        CreateVpcEndpointRequest sent = capturedCreate();
        assertEquals(VPC, sent.vpcId());
        assertEquals(SSM, sent.serviceName());
        assertEquals(VpcEndpointType.INTERFACE, sent.vpcEndpointType());
        assertEquals(Boolean.TRUE, sent.privateDnsEnabled());
        assertEquals(Set.of(HOST_A, HOST_B), Set.copyOf(sent.subnetIds()));
        assertEquals(2, sent.subnetIds().size());
        assertEquals(List.of(MANAGED_SG), sent.securityGroupIds());
        assertTrue(sent.clientToken().length() <= 64 && sent.clientToken().chars().allMatch(c -> c > 0x20 && c < 0x7f),
                sent.clientToken());
        assertNotEquals(Boolean.TRUE, sent.dryRun());
        assertEquals(1, sent.tagSpecifications().size());
        assertEquals(ResourceType.VPC_ENDPOINT, sent.tagSpecifications().getFirst().resourceType());
        assertEquals(Map.of("Name", "ssm-reach-ssm", "ssm-reach:managed", "true"), tags(sent.tagSpecifications().getFirst()));

        assertEquals(1, report.endpoints().size());
        Endpoint endpoint = report.endpoints().getFirst();
        assertEquals("vpce-0newssm", endpoint.id());
        assertEquals("ssm", endpoint.service());
        assertEquals("pending", endpoint.state());
        assertTrue(endpoint.privateDns() && endpoint.owned());
        assertEquals(Set.of(ZONE_A, ZONE_B), Set.copyOf(endpoint.zones()));
        assertEquals(1, report.actions().size());
        Action action = report.actions().getFirst();
        assertEquals("CreateVpcEndpoint", action.operation());
        assertEquals("vpce-0newssm", action.resource());
        assertFalse(action.planned());
        assertEquals(2, action.endpointZonesAdded());
        assertFalse(report.settled());
        assertFalse(report.allAvailable());
        assertEquals(List.of(), report.findings());
    }

    @Test
    void readsTheVpcsEndpointsAndTheOffersByFilter() {
        offered(SSM, S3);
        endpointsRead(List.of());
        createSucceeds();

        handler(SSM_ONLY).handle(request(false));

        ArgumentCaptor<DescribeVpcEndpointsRequest> endpoints = ArgumentCaptor.forClass(DescribeVpcEndpointsRequest.class);
        verify(ec2).describeVpcEndpoints(endpoints.capture());
        assertEquals(List.of(Filter.builder().name("vpc-id").values(VPC).build()), endpoints.getValue().filters());
        ArgumentCaptor<DescribeVpcEndpointServicesRequest> offers = ArgumentCaptor.forClass(DescribeVpcEndpointServicesRequest.class);
        verify(ec2).describeVpcEndpointServices(offers.capture());
        assertTrue(offers.getValue().serviceNames().isEmpty(), "a filter, so that a service missing in the Region is no error");
        assertEquals(Set.of(SSM, S3), Set.copyOf(offers.getValue().filters().getFirst().values()));
        verify(ec2).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void clientTokenIsTheSameForTheSameRequestAndDiffersForAnotherPlacement() {
        offered(SSM, S3);
        endpointsRead(List.of());
        createSucceeds();
        EnsureEndpointsHandler handler = handler(SSM_ONLY);

        handler.handle(request(false));
        handler.handle(request(false));
        handler.handle(request(false, Map.of(ZONE_A, HOST_A, ZONE_B, "subnet-0b000000000000002")));
        EndpointRequest same = request(false);
        handler.handle(new EndpointRequest(same.classification(), same.vpc(), false, EXECUTION.replace("run-1", "run-2")));

        ArgumentCaptor<CreateVpcEndpointRequest> captor = ArgumentCaptor.forClass(CreateVpcEndpointRequest.class);
        verify(ec2, times(4)).createVpcEndpoint(captor.capture());
        List<String> tokens = captor.getAllValues().stream().map(CreateVpcEndpointRequest::clientToken).toList();
        assertEquals(tokens.get(0), tokens.get(1), "a retry of the same execution sends the same token");
        assertNotEquals(tokens.get(0), tokens.get(2));
        assertNotEquals(tokens.get(0), tokens.get(3), "another execution is refused by the DNS conflict, not replayed");
    }

    @Test
    void clientTokenIsBoundedDeterministicAndOrderInsensitive() {
        String token = EnsureEndpointsHandler.clientToken(VPC, SSM, List.of(HOST_A, HOST_B), List.of(MANAGED_SG));

        assertTrue(token.length() <= 64, token);
        assertTrue(token.chars().allMatch(c -> c > 0x20 && c < 0x7f), token);
        assertEquals(token, EnsureEndpointsHandler.clientToken(VPC, SSM, List.of(HOST_B, HOST_A), List.of(MANAGED_SG)));
        assertNotEquals(token, EnsureEndpointsHandler.clientToken("vpc-0ffffffffffffffff", SSM, List.of(HOST_A, HOST_B), List.of(MANAGED_SG)));
        assertNotEquals(token, EnsureEndpointsHandler.clientToken(VPC, SSMMESSAGES, List.of(HOST_A, HOST_B), List.of(MANAGED_SG)));
        assertNotEquals(token, EnsureEndpointsHandler.clientToken(VPC, SSM, List.of(HOST_A, HOST_B), List.of()));
    }

    @Test
    void defaultServicesAndTheS3GatewayAreCreatedTogether() {
        offered(SSM, SSMMESSAGES, EC2MESSAGES, S3);
        endpointsRead(List.of());
        createSucceeds();

        EndpointsReport report = handler(Map.of()).handle(request(false));

        ArgumentCaptor<CreateVpcEndpointRequest> captor = ArgumentCaptor.forClass(CreateVpcEndpointRequest.class);
        verify(ec2, times(4)).createVpcEndpoint(captor.capture());
        assertEquals(List.of(SSM, SSMMESSAGES, EC2MESSAGES, S3), captor.getAllValues().stream().map(CreateVpcEndpointRequest::serviceName).toList());
        CreateVpcEndpointRequest gateway = captor.getAllValues().get(3);
        assertEquals(VpcEndpointType.GATEWAY, gateway.vpcEndpointType());
        assertEquals(List.of("rtb-0a", "rtb-0b"), gateway.routeTableIds());
        assertTrue(gateway.subnetIds().isEmpty());
        assertNull(gateway.privateDnsEnabled());
        assertTrue(gateway.clientToken().length() <= 64);
        assertEquals(Map.of("Name", "ssm-reach-s3", "ssm-reach:managed", "true"), tags(gateway.tagSpecifications().getFirst()));
        assertEquals(List.of("ssm", "ssmmessages", "ec2messages", "s3"), report.endpoints().stream().map(Endpoint::service).toList());
        assertEquals(6, report.actions().stream().mapToInt(Action::endpointZonesAdded).sum(), "the free gateway adds no zone");
    }

    @Test
    void serviceNotOfferedInTheRegionIsAFindingNotAFailure() {
        offered(SSM, SSMMESSAGES, S3);
        endpointsRead(List.of());
        createSucceeds();

        EndpointsReport report = handler(Map.of("S3_GATEWAY", "false")).handle(request(false));

        ArgumentCaptor<CreateVpcEndpointRequest> captor = ArgumentCaptor.forClass(CreateVpcEndpointRequest.class);
        verify(ec2, times(2)).createVpcEndpoint(captor.capture());
        assertFalse(captor.getAllValues().stream().anyMatch(r -> r.serviceName().equals(EC2MESSAGES)));
        assertEquals(List.of("SERVICE_NOT_OFFERED"), codes(report.findings()));
    }

    // ---------------------------------------------------------------- existing endpoints

    @Test
    void completeEndpointIsUsedWithoutAnyChange() {
        offered(SSM, S3);
        endpointsRead(List.of(interfaceEndpoint("vpce-0ours", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(MANAGED_SG)).tags(managedTag()).build()));

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        assertEquals(List.of(new Endpoint("vpce-0ours", "ssm", "Interface", "available", true, List.of(ZONE_A, ZONE_B), List.of(), true)),
                report.endpoints());
        assertEquals(List.of(), report.actions());
        assertTrue(report.allAvailable());
        assertTrue(report.settled());
        verify(ec2, never()).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        verify(ec2, never()).modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class));
    }

    @Test
    void existingEndpointIsExtendedToTheMissingZone() {
        offered(SSM, S3);
        endpointsRead(List.of(ssmEndpoint("vpce-0theirs", OTHER_A)));
        modifySucceeds();

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        ArgumentCaptor<ModifyVpcEndpointRequest> captor = ArgumentCaptor.forClass(ModifyVpcEndpointRequest.class);
        verify(ec2).modifyVpcEndpoint(captor.capture());
        ModifyVpcEndpointRequest sent = captor.getValue();
        assertEquals("vpce-0theirs", sent.vpcEndpointId());
        assertEquals(List.of(HOST_B), sent.addSubnetIds());
        assertFalse(sent.hasAddSecurityGroupIds());
        assertFalse(sent.hasRemoveSubnetIds() || sent.hasRemoveSecurityGroupIds() || sent.hasRemoveRouteTableIds());
        verify(ec2, never()).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        Endpoint endpoint = report.endpoints().getFirst();
        assertEquals(List.of(ZONE_A, ZONE_B), endpoint.zones());
        assertFalse(endpoint.owned());
        assertEquals(1, report.actions().size());
        assertEquals("ModifyVpcEndpoint", report.actions().getFirst().operation());
        assertEquals(1, report.actions().getFirst().endpointZonesAdded());
    }

    @Test
    void foreignEndpointWhoseGroupsDoNotAdmitHttpsGetsTheManagedGroupAdded() {
        offered(SSM, S3);
        endpointsRead(List.of(interfaceEndpoint("vpce-0theirs", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build()));
        when(ec2.describeSecurityGroups(any(DescribeSecurityGroupsRequest.class))).thenReturn(DescribeSecurityGroupsResponse.builder()
                .securityGroups(group(FOREIGN_SG, tcp(22, 22, "10.0.0.0/16"))).build());
        modifySucceeds();

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        ArgumentCaptor<DescribeSecurityGroupsRequest> read = ArgumentCaptor.forClass(DescribeSecurityGroupsRequest.class);
        verify(ec2).describeSecurityGroups(read.capture());
        assertEquals(List.of(Filter.builder().name("group-id").values(FOREIGN_SG).build()), read.getValue().filters());
        ArgumentCaptor<ModifyVpcEndpointRequest> captor = ArgumentCaptor.forClass(ModifyVpcEndpointRequest.class);
        verify(ec2).modifyVpcEndpoint(captor.capture());
        assertEquals(List.of(MANAGED_SG), captor.getValue().addSecurityGroupIds());
        assertFalse(captor.getValue().hasAddSubnetIds());
        assertFalse(captor.getValue().hasRemoveSecurityGroupIds(), "never removes what it did not add");
        assertTrue(report.actions().getFirst().detail().contains(MANAGED_SG), report.actions().getFirst().detail());
        assertEquals(0, report.actions().getFirst().endpointZonesAdded());
    }

    @Test
    void foreignEndpointWhoseGroupsAdmitHttpsIsLeftAlone() {
        offered(SSM, S3);
        endpointsRead(List.of(interfaceEndpoint("vpce-0theirs", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build()));
        when(ec2.describeSecurityGroups(any(DescribeSecurityGroupsRequest.class))).thenReturn(DescribeSecurityGroupsResponse.builder()
                .securityGroups(group(FOREIGN_SG, tcp(443, 443, "10.0.0.0/8"))).build());

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        verify(ec2, never()).modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class));
        assertEquals(List.of(), report.actions());
    }

    @Test
    void theSubnetOfAnInstanceWithoutPublicIpv4MustBeAdmittedToo() {
        offered(SSM, S3);
        endpointsRead(List.of(interfaceEndpoint("vpce-0theirs", SSM, "available", true, HOST_A, HOST_B)
                .groups(groupRef(FOREIGN_SG)).build()));
        // The foreign group admits the isolated subnet, not the public one where the instance without an address runs.
        when(ec2.describeSecurityGroups(any(DescribeSecurityGroupsRequest.class))).thenReturn(DescribeSecurityGroupsResponse.builder()
                .securityGroups(group(FOREIGN_SG, tcp(443, 443, TARGET_CIDR))).build());
        modifySucceeds();
        SubnetClassification isolated = new SubnetClassification(HOST_A, ZONE_A, TARGET_CIDR, "rtb-0a", false, Route.ISOLATED, null,
                SubnetStatus.IN_SCOPE, "no 0.0.0.0/0 route", Map.of());
        SubnetClassification publicSubnet = new SubnetClassification(HOST_B, ZONE_B, "10.0.2.0/24", "rtb-0pub", true, Route.PUBLIC,
                "igw-0123", SubnetStatus.OUT_OF_SCOPE, "0.0.0.0/0 via igw-0123", Map.of());
        VpcClassification classification = new VpcClassification(VPC, List.of("10.0.0.0/16"), true, List.of(isolated, publicSubnet),
                List.of(new InstanceTarget("i-0abc1234def567890", HOST_B, "running")), Map.of(ZONE_A, HOST_A, ZONE_B, HOST_B),
                List.of("rtb-0a"), ZONES_OF_SUBNETS, List.of());

        handler(SSM_ONLY).handle(new EndpointRequest(classification, new VpcReadiness(MANAGED_SG, true, List.of(), List.of()), false,
                EXECUTION));

        ArgumentCaptor<ModifyVpcEndpointRequest> captor = ArgumentCaptor.forClass(ModifyVpcEndpointRequest.class);
        verify(ec2).modifyVpcEndpoint(captor.capture());
        assertEquals(List.of(MANAGED_SG), captor.getValue().addSecurityGroupIds());
    }

    @Test
    void failedEndpointIsAFindingAndNothingIsCreated() {
        offered(SSM, S3);
        endpointsRead(List.of(interfaceEndpoint("vpce-0failed", SSM, "failed", true, HOST_A).build()));

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        assertEquals(List.of("ENDPOINT_FAILED"), codes(report.findings()));
        assertEquals(List.of(), report.endpoints());
        verify(ec2, never()).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        verify(ec2, never()).modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class));
    }

    @Test
    void existingGatewayGetsOnlyTheMissingRouteTable() {
        offered(SSM, S3);
        endpointsRead(List.of(ssmEndpoint("vpce-0ssm", HOST_A, HOST_B), gatewayEndpoint("vpce-0s3", "available", "rtb-0a").build()));
        modifySucceeds();

        EndpointsReport report = handler(Map.of("SERVICES", "ssm")).handle(request(false));

        ArgumentCaptor<ModifyVpcEndpointRequest> captor = ArgumentCaptor.forClass(ModifyVpcEndpointRequest.class);
        verify(ec2).modifyVpcEndpoint(captor.capture());
        assertEquals("vpce-0s3", captor.getValue().vpcEndpointId());
        assertEquals(List.of("rtb-0b"), captor.getValue().addRouteTableIds());
        assertFalse(captor.getValue().hasRemoveRouteTableIds());
        Endpoint s3 = report.endpoints().get(1);
        assertEquals(List.of("rtb-0a", "rtb-0b"), s3.routeTableIds());
        verify(ec2, never()).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
    }

    // ---------------------------------------------------------------- dry run

    /** EC2's answer to a permitted DryRun request; any real mutation fails the test. */
    private static Object dryRunOnly(Boolean dryRun) {
        if (!Boolean.TRUE.equals(dryRun)) {
            throw new AssertionError("a dry run sent a mutating call without DryRun");
        }
        throw ec2Error(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
    }

    @Test
    void dryRunSendsEveryMutationWithDryRunAndPlansIt() {
        offered(SSM, SSMMESSAGES, EC2MESSAGES, S3);
        endpointsRead(List.of(
                interfaceEndpoint("vpce-0theirs", SSM, "available", true, OTHER_A).groups(groupRef(FOREIGN_SG)).build(),
                gatewayEndpoint("vpce-0s3", "available", "rtb-0a").build()));
        when(ec2.describeSecurityGroups(any(DescribeSecurityGroupsRequest.class)))
                .thenReturn(DescribeSecurityGroupsResponse.builder().securityGroups(group(FOREIGN_SG)).build());
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenAnswer(i -> dryRunOnly(i.<CreateVpcEndpointRequest>getArgument(0).dryRun()));
        when(ec2.modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class)))
                .thenAnswer(i -> dryRunOnly(i.<ModifyVpcEndpointRequest>getArgument(0).dryRun()));

        EndpointsReport report = handler(Map.of()).handle(request(true));

        ArgumentCaptor<CreateVpcEndpointRequest> creates = ArgumentCaptor.forClass(CreateVpcEndpointRequest.class);
        verify(ec2, times(2)).createVpcEndpoint(creates.capture());
        assertTrue(creates.getAllValues().stream().allMatch(r -> Boolean.TRUE.equals(r.dryRun())));
        assertEquals(List.of(SSMMESSAGES, EC2MESSAGES), creates.getAllValues().stream().map(CreateVpcEndpointRequest::serviceName).toList());
        ArgumentCaptor<ModifyVpcEndpointRequest> modifies = ArgumentCaptor.forClass(ModifyVpcEndpointRequest.class);
        verify(ec2, times(2)).modifyVpcEndpoint(modifies.capture());
        assertTrue(modifies.getAllValues().stream().allMatch(r -> Boolean.TRUE.equals(r.dryRun())));
        assertEquals(List.of("vpce-0theirs", "vpce-0s3"), modifies.getAllValues().stream().map(ModifyVpcEndpointRequest::vpcEndpointId).toList());

        assertFalse(report.actions().isEmpty());
        assertTrue(report.actions().stream().allMatch(Action::planned), report.actions().toString());
        assertEquals(List.of(), report.findings());
        List<Endpoint> planned = report.endpoints().stream().filter(e -> e.id() == null).toList();
        assertEquals(List.of("ssmmessages", "ec2messages"), planned.stream().map(Endpoint::service).toList());
        assertTrue(planned.stream().allMatch(e -> e.state().equals("planned")));
        assertFalse(report.allAvailable());
        assertTrue(report.settled());
    }

    @Test
    void dryRunWithoutPermissionIsAFinding() {
        offered(SSM, S3);
        endpointsRead(List.of());
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenThrow(ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation."));

        EndpointsReport report = handler(SSM_ONLY).handle(request(true));

        assertEquals(List.of("PERMISSION_MISSING"), codes(report.findings()));
        assertTrue(report.actions().getFirst().planned());
        assertEquals(2, report.actions().getFirst().endpointZonesAdded());
    }

    // ---------------------------------------------------------------- someone else got there first

    @Test
    void idempotentParameterMismatchOnCreateRereadsAndUsesWhatIsThere() {
        offered(SSM, S3);
        endpointsRead(List.of(), List.of(ssmEndpoint("vpce-0other", HOST_A, HOST_B)));
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenThrow(ec2Error("IdempotentParameterMismatch", "The client token has already been used with different parameters."));

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        verify(ec2, times(1)).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        verify(ec2, times(2)).describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class));
        assertEquals(List.of("vpce-0other"), report.endpoints().stream().map(Endpoint::id).toList());
        assertEquals(List.of(), report.actions());
    }

    @Test
    void conflictingDnsDomainOnCreateRereadsAndExtendsTheOtherEndpoint() {
        offered(SSM, S3);
        endpointsRead(List.of(), List.of(ssmEndpoint("vpce-0other", OTHER_A)));
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class))).thenThrow(ec2Error("InvalidParameter", CONFLICTING_DNS));
        modifySucceeds();

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        verify(ec2, times(1)).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        ArgumentCaptor<ModifyVpcEndpointRequest> captor = ArgumentCaptor.forClass(ModifyVpcEndpointRequest.class);
        verify(ec2).modifyVpcEndpoint(captor.capture());
        assertEquals("vpce-0other", captor.getValue().vpcEndpointId());
        assertEquals(List.of(HOST_B), captor.getValue().addSubnetIds());
        assertEquals(List.of("ModifyVpcEndpoint"), report.actions().stream().map(Action::operation).toList());
        assertEquals(List.of(ZONE_A, ZONE_B), report.endpoints().getFirst().zones());
    }

    @Test
    void conflictsOnSeveralServicesAreResolvedByOneReread() {
        offered(SSM, SSMMESSAGES, S3);
        VpcEndpoint theirSsm = ssmEndpoint("vpce-0ssm", HOST_A, HOST_B);
        VpcEndpoint theirMessages = interfaceEndpoint("vpce-0msg", SSMMESSAGES, "available", true, HOST_A, HOST_B)
                .groups(groupRef(MANAGED_SG)).build();
        endpointsRead(List.of(), List.of(theirSsm, theirMessages));
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class))).thenThrow(ec2Error("InvalidParameter", CONFLICTING_DNS));

        EndpointsReport report = handler(Map.of("SERVICES", "ssm,ssmmessages", "S3_GATEWAY", "false")).handle(request(false));

        verify(ec2, times(2)).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        verify(ec2, times(2)).describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class));
        assertEquals(List.of("vpce-0ssm", "vpce-0msg"), report.endpoints().stream().map(Endpoint::id).toList());
        assertEquals(List.of(), report.actions());
    }

    @Test
    void otherInvalidParameterIsNotTakenForAConflict() {
        offered(SSM, S3);
        endpointsRead(List.of());
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenThrow(ec2Error("InvalidParameter", "The security group sg-0aaaaaaaaaaaaaaa1 does not belong to the VPC"));

        Ec2Exception e = assertThrows(Ec2Exception.class, () -> handler(SSM_ONLY).handle(request(false)));

        assertEquals("InvalidParameter", e.awsErrorDetails().errorCode());
        verify(ec2, times(1)).describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class));
    }

    @Test
    void duplicateSubnetsInSameZoneOnModifyRereadsAndContinues() {
        offered(SSM, S3);
        endpointsRead(List.of(ssmEndpoint("vpce-0other", OTHER_A)), List.of(ssmEndpoint("vpce-0other", OTHER_A, HOST_B)));
        when(ec2.modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class)))
                .thenThrow(ec2Error("DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of " + HOST_B));

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        verify(ec2, times(1)).modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class));
        verify(ec2, times(2)).describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class));
        assertEquals(List.of(), report.actions());
        assertEquals(List.of(ZONE_A, ZONE_B), report.endpoints().getFirst().zones());
    }

    @Test
    void duplicateSubnetsInSameZoneConvergesWhenTheOtherSubnetIsNewerThanTheClassification() {
        // A second subnet created in zone b after this execution classified the VPC; a concurrent execution made it the host.
        String newerSubnetInB = "subnet-0b000000000000000";
        offered(SSM, S3);
        endpointsRead(List.of(ssmEndpoint("vpce-0other", OTHER_A)), List.of(ssmEndpoint("vpce-0other", OTHER_A, newerSubnetInB)));
        when(ec2.modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class)))
                .thenThrow(ec2Error("DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of " + HOST_B));
        when(ec2.describeSubnets(any(DescribeSubnetsRequest.class)))
                .thenReturn(DescribeSubnetsResponse.builder().subnets(
                        Subnet.builder().subnetId(newerSubnetInB).availabilityZone(ZONE_B).build())
                        .build());

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        verify(ec2, times(1)).modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class));
        assertEquals("vpce-0other", report.endpoints().getFirst().id());
        assertEquals(List.of(ZONE_A, ZONE_B), report.endpoints().getFirst().zones());
    }

    @Test
    void routeAlreadyExistsOnTheGatewayRereadsAndContinues() {
        offered(SSM, S3);
        endpointsRead(List.of(ssmEndpoint("vpce-0ssm", HOST_A, HOST_B), gatewayEndpoint("vpce-0s3", "available", "rtb-0a").build()),
                List.of(ssmEndpoint("vpce-0ssm", HOST_A, HOST_B), gatewayEndpoint("vpce-0s3", "available", "rtb-0a", "rtb-0b").build()));
        when(ec2.modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class)))
                .thenThrow(ec2Error("RouteAlreadyExists", "The route identified by pl-63a5400a already exists."));

        EndpointsReport report = handler(Map.of("SERVICES", "ssm")).handle(request(false));

        verify(ec2, times(1)).modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class));
        assertEquals(List.of("rtb-0a", "rtb-0b"), report.endpoints().get(1).routeTableIds());
        assertEquals(List.of(), report.actions());
    }

    @Test
    void gatewayTokenIsTheSameForARetryAndDiffersForAnotherExecution() {
        offered(SSM, S3);
        endpointsRead(List.of(ssmEndpoint("vpce-0ssm", HOST_A, HOST_B)));
        createSucceeds();
        EnsureEndpointsHandler handler = handler(Map.of("SERVICES", "ssm"));

        handler.handle(request(false));
        handler.handle(request(false));
        EndpointRequest same = request(false);
        handler.handle(new EndpointRequest(same.classification(), same.vpc(), false, EXECUTION.replace("run-1", "run-2")));

        ArgumentCaptor<CreateVpcEndpointRequest> captor = ArgumentCaptor.forClass(CreateVpcEndpointRequest.class);
        verify(ec2, times(3)).createVpcEndpoint(captor.capture());
        List<String> tokens = captor.getAllValues().stream().map(CreateVpcEndpointRequest::clientToken).toList();
        assertEquals(tokens.get(0), tokens.get(1), "a retry of the same execution sends the same token");
        assertNotEquals(tokens.get(0), tokens.get(2), "another execution is refused with RouteAlreadyExists, not replayed");
    }

    @Test
    void gatewayCreatedMeanwhileByAnotherExecutionIsReusedNotClaimed() {
        offered(SSM, S3);
        VpcEndpoint ssm = ssmEndpoint("vpce-0ssm", HOST_A, HOST_B);
        endpointsRead(List.of(ssm), List.of(ssm, gatewayEndpoint("vpce-0s3", "available", "rtb-0a", "rtb-0b").tags(managedTag()).build()));
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenThrow(ec2Error("RouteAlreadyExists", "route table rtb-0a already has a route with destination-prefix-list-id pl-63a5400a"));

        EndpointsReport report = handler(Map.of("SERVICES", "ssm")).handle(request(false));

        verify(ec2, times(1)).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        verify(ec2, never()).modifyVpcEndpoint(any(ModifyVpcEndpointRequest.class));
        assertEquals(List.of(new Endpoint("vpce-0s3", "s3", "Gateway", "available", false, List.of(), List.of("rtb-0a", "rtb-0b"), true)),
                report.endpoints().subList(1, 2));
        assertEquals(List.of(), report.actions(), "the other execution's creation is not reported as this one's");
    }

    @Test
    void conflictThatKeepsRepeatingEndsRetryableAfterTheRounds() {
        offered(SSM, S3);
        endpointsRead(List.of());
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenThrow(ec2Error("IdempotentParameterMismatch", "The client token has already been used with different parameters."));

        RetryableAwsException e = assertThrows(RetryableAwsException.class, () -> handler(SSM_ONLY).handle(request(false)));

        assertTrue(e.getMessage().contains("IdempotentParameterMismatch"), e.getMessage());
        verify(ec2, times(3)).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
        verify(ec2, times(3)).describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class));
    }

    @Test
    void endpointCreatedInAnEarlierRoundIsRecordedOnce() {
        offered(SSM, SSMMESSAGES, S3);
        // Round 1 sees nothing; round 2 sees the ssmmessages endpoint someone else made, not yet ours (eventual consistency).
        endpointsRead(List.of(), List.of(interfaceEndpoint("vpce-0othermsg", SSMMESSAGES, "available", true, HOST_A, HOST_B)
                .groups(groupRef(MANAGED_SG)).build()));
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class))).thenAnswer(i -> {
            CreateVpcEndpointRequest r = i.getArgument(0);
            if (r.serviceName().equals(SSMMESSAGES)) {
                throw ec2Error("InvalidParameter", CONFLICTING_DNS);
            }
            return created(r); // same token, same parameters: EC2 returns the same endpoint again
        });

        EndpointsReport report = handler(Map.of("SERVICES", "ssm,ssmmessages", "S3_GATEWAY", "false")).handle(request(false));

        assertEquals(1, report.actions().stream().filter(a -> a.resource().equals("vpce-0newssm")).count(), report.actions().toString());
        assertEquals(2, report.actions().stream().mapToInt(Action::endpointZonesAdded).sum());
    }

    // ---------------------------------------------------------------- errors


    @Test
    void nonRetryableErrorSurfacesWithItsCode() {
        offered(SSM, S3);
        endpointsRead(List.of());
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenThrow(ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation."));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        AwsFailureException e = assertThrows(AwsFailureException.class, () -> handler(SSM_ONLY)
                .handleRequest(new ByteArrayInputStream(TestInputs.json(request(false))), out, null));

        assertEquals("UnauthorizedOperation", e.errorCode());
        assertTrue(e.getMessage().startsWith("UnauthorizedOperation: "), e.getMessage());
        assertEquals(0, out.size());
        verify(ec2, times(1)).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
    }

    static Stream<Arguments> throttling() {
        return Stream.of(
                Arguments.of(ec2Error(503, "RequestLimitExceeded", "Request limit exceeded.")),
                Arguments.of(ec2Error(400, "RequestLimitExceeded", "Request limit exceeded.")),
                Arguments.of(ec2Error(503, "Unavailable", "The server is overloaded.")),
                Arguments.of(ec2Error(500, "InternalError", "An internal error has occurred.")),
                Arguments.of(Ec2Exception.builder().statusCode(503).message("Service Unavailable").build()));
    }

    @ParameterizedTest
    @MethodSource("throttling")
    void throttlingAndServerErrorsAreRetryable(AwsServiceException error) {
        when(ec2.describeVpcEndpointServices(any(DescribeVpcEndpointServicesRequest.class))).thenThrow(error);

        assertThrows(RetryableAwsException.class, () -> handler(SSM_ONLY)
                .handleRequest(new ByteArrayInputStream(TestInputs.json(request(false))), new ByteArrayOutputStream(), null));
    }

    /** ssm created, then ssmmessages throttled beyond the SDK's attempts {@code times} times before it passes. */
    private void createThenThrottle(int times) {
        offered(SSM, SSMMESSAGES, S3);
        VpcEndpoint ssm = interfaceEndpoint("vpce-0newssm", SSM, "pending", true, HOST_A, HOST_B)
                .groups(groupRef(MANAGED_SG)).tags(managedTag()).build();
        endpointsRead(List.of(), List.of(ssm));
        AwsServiceException throttled = ec2Error(503, "RequestLimitExceeded", "Request limit exceeded.");
        int[] left = {times};
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class))).thenAnswer(i -> {
            CreateVpcEndpointRequest r = i.getArgument(0);
            if (r.serviceName().equals(SSMMESSAGES) && left[0]-- > 0) {
                throw throttled;
            }
            return created(r);
        });
    }

    @Test
    void aCallThrottledAfterAChangeIsWaitedOutSoThatTheChangeIsStillReported() {
        createThenThrottle(2);
        List<Integer> waited = new ArrayList<>();
        EnsureEndpointsHandler handler = new EnsureEndpointsHandler(EndpointFixtures.settings(Map.of("SERVICES", "ssm,ssmmessages",
                "S3_GATEWAY", "false")), ec2, waited::add);

        EndpointsReport report = handler.handle(request(false));

        assertEquals(EnsureEndpointsHandler.WAITS_AFTER_CHANGES, waited);
        assertEquals(List.of("vpce-0newssm", "vpce-0newssmmessages"),
                report.actions().stream().filter(a -> a.operation().equals("CreateVpcEndpoint")).map(Action::resource).toList(),
                "the creation before the throttling is still this execution's");
    }

    @Test
    void aCallThrottledLongerThanTheWaitsFailsRetryably() {
        createThenThrottle(3);
        List<Integer> waited = new ArrayList<>();
        EnsureEndpointsHandler handler = new EnsureEndpointsHandler(EndpointFixtures.settings(Map.of("SERVICES", "ssm,ssmmessages",
                "S3_GATEWAY", "false")), ec2, waited::add);

        assertThrows(RetryableAwsException.class, () -> handler.handleRequest(new ByteArrayInputStream(TestInputs.json(request(false))),
                new ByteArrayOutputStream(), null));
        assertEquals(EnsureEndpointsHandler.WAITS_AFTER_CHANGES, waited);
    }

    @Test
    void aThrottledCallBeforeAnyChangeIsLeftToTheWorkflowsRetry() {
        offered(SSM, S3);
        endpointsRead(List.of());
        when(ec2.createVpcEndpoint(any(CreateVpcEndpointRequest.class)))
                .thenThrow(ec2Error(503, "RequestLimitExceeded", "Request limit exceeded."));
        List<Integer> waited = new ArrayList<>();
        EnsureEndpointsHandler handler = new EnsureEndpointsHandler(EndpointFixtures.settings(SSM_ONLY), ec2, waited::add);

        assertThrows(RetryableAwsException.class, () -> handler.handleRequest(new ByteArrayInputStream(TestInputs.json(request(false))),
                new ByteArrayOutputStream(), null));
        assertEquals(List.of(), waited, "nothing to lose: no wait in the function");
    }

    @Test
    void vpcDeletedMeanwhileIsGone() {
        offered(SSM, S3);
        when(ec2.describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class)))
                .thenThrow(ec2Error("InvalidVpcID.NotFound", "The vpc ID '" + VPC + "' does not exist"));

        assertThrows(ResourceGoneException.class, () -> handler(SSM_ONLY).handle(request(false)));
        verify(ec2, never()).createVpcEndpoint(any(CreateVpcEndpointRequest.class));
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "null", "{", "[]", "{\"dryRun\": false}",
            "{\"vpc\": {\"securityGroupId\": \"sg-0aaaaaaaaaaaaaaa1\", \"dnsReady\": true}, \"dryRun\": false}",
            "{\"classification\": {\"vpcId\": \"vpc-0a1b2c3d4e5f60718\", \"anyInScope\": true}, \"dryRun\": false}",
            "{\"classification\": {}, \"vpc\": {\"dnsReady\": true}, \"dryRun\": false, \"unknown\": 1}"})
    void malformedInputFailsBeforeAnyCall(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThrows(InvalidInputException.class, () -> handler(SSM_ONLY)
                .handleRequest(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), out, null));

        verifyNoInteractions(ec2);
        assertEquals(0, out.size());
    }

    @Test
    void reportRoundTripsThroughTheHandler() throws Exception {
        offered(SSM, S3);
        endpointsRead(List.of());
        createSucceeds();
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler(SSM_ONLY).handleRequest(new ByteArrayInputStream(TestInputs.json(request(false))), out, null);

        EndpointsReport report = Json.MAPPER.readValue(out.toByteArray(), EndpointsReport.class);
        assertEquals("vpce-0newssm", report.endpoints().getFirst().id());
        assertFalse(report.settled());
    }

    // ---------------------------------------------------------------- repairs of what an earlier run left

    private static EndpointRequest requestFor(SubnetClassification... targets) {
        VpcClassification classification = new VpcClassification(VPC, List.of("10.0.0.0/16"), true, List.of(targets),
                Map.of(ZONE_A, HOST_A, ZONE_B, HOST_B), List.of("rtb-0a"), ZONES_OF_SUBNETS);
        return new EndpointRequest(classification, new VpcReadiness(MANAGED_SG, true, List.of(), List.of()), false, EXECUTION);
    }

    @Test
    void ourDeletedEndpointIsCreatedAgainAndTheActionSaysWhatWasFound() throws Exception {
        offered(SSM, S3);
        endpointsRead(List.of(interfaceEndpoint("vpce-0gone", SSM, "deleted", true, HOST_A, HOST_B).tags(managedTag()).build()));
        createSucceeds();

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        Action action = report.actions().getFirst();
        assertEquals("CreateVpcEndpoint", action.operation());
        assertEquals("vpce-0newssm", action.resource());
        assertEquals("endpoint vpce-0gone for ssm no longer exists (deleted)", action.found());
        assertEquals("endpoint vpce-0gone for ssm no longer exists (deleted)",
                Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(action)).path("found").asText());
    }

    @Test
    void aFirstCreationCarriesNoFound() throws Exception {
        offered(SSM, S3);
        endpointsRead(List.of());
        createSucceeds();

        EndpointsReport report = handler(SSM_ONLY).handle(request(false));

        assertFalse(report.actions().getFirst().repair());
        assertFalse(Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(report.actions().getFirst())).has("found"));
    }

    @Test
    void zoneAndGatewayTableTakenOffAreAddedBackAsRepairs() {
        offered(SSM, S3);
        VpcEndpoint ours = ssmEndpoint("vpce-0ours", HOST_A).toBuilder().tags(managedTag()).build();
        VpcEndpoint gateway = gatewayEndpoint("vpce-0gw", "available").tags(managedTag()).build();
        endpointsRead(List.of(ours, gateway));
        modifySucceeds();
        SubnetClassification a = EndpointFixtures.servedBefore(HOST_A, ZONE_A, "rtb-0a", "ec2messages,s3,ssm,ssmmessages");
        SubnetClassification b = EndpointFixtures.servedBefore(HOST_B, ZONE_B, "rtb-0a", "ec2messages,s3,ssm,ssmmessages");

        EndpointsReport report = handler(Map.of("SERVICES", "ssm")).handle(requestFor(a, b));

        assertEquals(List.of("ModifyVpcEndpoint", "ModifyVpcEndpoint"), report.actions().stream().map(Action::operation).toList());
        assertEquals("endpoint vpce-0ours for ssm no longer covers us-east-1b, which served " + HOST_B + " at the last run",
                report.actions().get(0).found());
        assertEquals("route table rtb-0a of " + HOST_A + " is not in s3 gateway vpce-0gw, though the subnet was served by s3 at the "
                + "last run", report.actions().get(1).found());
    }
}
