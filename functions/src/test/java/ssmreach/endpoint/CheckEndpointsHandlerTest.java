package ssmreach.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.SdkMocks.ec2Error;
import static ssmreach.endpoint.EndpointFixtures.HOST_A;
import static ssmreach.endpoint.EndpointFixtures.S3;
import static ssmreach.endpoint.EndpointFixtures.SSM;
import static ssmreach.endpoint.EndpointFixtures.SSMMESSAGES;
import static ssmreach.endpoint.EndpointFixtures.ZONE_A;
import static ssmreach.endpoint.EndpointFixtures.gatewayEndpoint;
import static ssmreach.endpoint.EndpointFixtures.interfaceEndpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointsResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.TestInputs;
import ssmreach.SdkMocks;
import ssmreach.contract.Action;
import ssmreach.contract.Endpoint;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;
import ssmreach.core.RetryableAwsException;

class CheckEndpointsHandlerTest {
    private final Ec2Client ec2 = SdkMocks.ec2();
    private final CheckEndpointsHandler handler = new CheckEndpointsHandler(ec2);

    private static final Action CREATED = new Action("CreateVpcEndpoint", "vpce-0ssm", "ssm with private DNS in us-east-1a", false, 1);
    private static final Finding EARLIER = new Finding("SERVICE_ZONE_UNSUPPORTED", Severity.WARNING, "us-east-1c", "m", "f");

    private static Endpoint endpoint(String id, String service, String state) {
        return new Endpoint(id, service, "Interface", state, true, List.of(ZONE_A), List.of(), true);
    }

    private static EndpointsReport pending(Endpoint... endpoints) {
        return new EndpointsReport(List.of(endpoints), List.of(CREATED), List.of(EARLIER), false, false);
    }

    private void endpointsNow(VpcEndpoint... endpoints) {
        when(ec2.describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class)))
                .thenReturn(DescribeVpcEndpointsResponse.builder().vpcEndpoints(endpoints).build());
    }

    @Test
    void stillPendingIsNotSettled() {
        endpointsNow(interfaceEndpoint("vpce-0ssm", SSM, "pending", true, HOST_A).build(),
                interfaceEndpoint("vpce-0msg", SSMMESSAGES, "available", true, HOST_A).build());

        EndpointsReport report = handler.handle(pending(endpoint("vpce-0ssm", "ssm", "pending"), endpoint("vpce-0msg", "ssmmessages", "pending")));

        assertEquals(List.of("pending", "available"), report.endpoints().stream().map(Endpoint::state).toList());
        assertFalse(report.settled());
        assertFalse(report.allAvailable());
        assertEquals(List.of(EARLIER), report.findings());
        assertEquals(List.of(CREATED), report.actions());
    }

    @Test
    void pendingAcceptanceIsNotSettledEither() {
        endpointsNow(interfaceEndpoint("vpce-0ssm", SSM, "pendingAcceptance", true, HOST_A).build());

        EndpointsReport report = handler.handle(pending(endpoint("vpce-0ssm", "ssm", "pending")));

        assertFalse(report.settled());
        assertEquals(List.of(EARLIER), report.findings());
    }

    @Test
    void allAvailableIsSettled() {
        endpointsNow(interfaceEndpoint("vpce-0ssm", SSM, "available", true, HOST_A).build(),
                gatewayEndpoint("vpce-0s3", "available", "rtb-0a").build());

        EndpointsReport report = handler.handle(pending(endpoint("vpce-0ssm", "ssm", "pending"),
                new Endpoint("vpce-0s3", "s3", "Gateway", "available", false, List.of(), List.of("rtb-0a"), true)));

        assertTrue(report.allAvailable());
        assertTrue(report.settled());
        assertEquals(List.of(EARLIER), report.findings());
        ArgumentCaptor<DescribeVpcEndpointsRequest> captor = ArgumentCaptor.forClass(DescribeVpcEndpointsRequest.class);
        verify(ec2).describeVpcEndpoints(captor.capture());
        assertEquals(List.of(Filter.builder().name("vpc-endpoint-id").values("vpce-0ssm", "vpce-0s3").build()), captor.getValue().filters());
        assertTrue(captor.getValue().vpcEndpointIds().isEmpty(), "ids would fail on a deleted endpoint; a filter does not");
        verifyNoMoreInteractions(ec2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"failed", "rejected", "deleting", "deleted"})
    void brokenEndpointIsAFindingAndSettlesTheWait(String state) {
        endpointsNow(interfaceEndpoint("vpce-0ssm", SSM, state, true, HOST_A).build(),
                interfaceEndpoint("vpce-0msg", SSMMESSAGES, "available", true, HOST_A).build());

        EndpointsReport report = handler.handle(pending(endpoint("vpce-0ssm", "ssm", "pending"), endpoint("vpce-0msg", "ssmmessages", "pending")));

        assertTrue(report.settled());
        assertFalse(report.allAvailable());
        assertEquals(state, report.endpoints().getFirst().state());
        Finding finding = report.findings().get(1);
        assertEquals("ENDPOINT_" + state.toUpperCase(), finding.code());
        assertEquals(Severity.ERROR, finding.severity());
        assertEquals("vpce-0ssm", finding.resource());
    }

    @Test
    void vanishedEndpointIsDeleted() {
        endpointsNow(interfaceEndpoint("vpce-0msg", SSMMESSAGES, "available", true, HOST_A).build());

        EndpointsReport report = handler.handle(pending(endpoint("vpce-0ssm", "ssm", "pending"), endpoint("vpce-0msg", "ssmmessages", "pending")));

        assertEquals("deleted", report.endpoints().getFirst().state());
        assertEquals(List.of("SERVICE_ZONE_UNSUPPORTED", "ENDPOINT_DELETED"), report.findings().stream().map(Finding::code).toList());
        assertTrue(report.settled());
        assertFalse(report.allAvailable());
    }

    @Test
    void repeatedCheckDoesNotRepeatTheFinding() {
        endpointsNow(interfaceEndpoint("vpce-0ssm", SSM, "failed", true, HOST_A).build());

        EndpointsReport once = handler.handle(pending(endpoint("vpce-0ssm", "ssm", "pending")));
        EndpointsReport twice = handler.handle(once);

        assertEquals(once.findings(), twice.findings());
        assertEquals(2, twice.findings().size());
    }

    @Test
    void planWithoutIdsIsReturnedAsItIsWithoutAnyCall() {
        EndpointsReport planned = new EndpointsReport(List.of(new Endpoint(null, "ssm", "Interface", "planned", true, List.of(ZONE_A),
                List.of(), true)), List.of(), List.of(), false, true);

        EndpointsReport report = handler.handle(planned);

        assertSame(planned, report);
        verifyNoInteractions(ec2);
    }

    @Test
    void throttlingIsRetryable() {
        when(ec2.describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class)))
                .thenThrow(ec2Error(503, "RequestLimitExceeded", "Request limit exceeded."));
        byte[] input = TestInputs.json(pending(endpoint("vpce-0ssm", "ssm", "pending")));

        assertThrows(RetryableAwsException.class,
                () -> handler.handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null));
    }

    @Test
    void reportRoundTripsThroughTheHandler() throws Exception {
        endpointsNow(interfaceEndpoint("vpce-0ssm", SSM, "available", true, HOST_A).build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler.handleRequest(new ByteArrayInputStream(TestInputs.json(pending(endpoint("vpce-0ssm", "ssm", "pending")))), out, null);

        EndpointsReport report = Json.MAPPER.readValue(out.toByteArray(), EndpointsReport.class);
        assertTrue(report.allAvailable() && report.settled());
        assertEquals("available", report.endpoints().getFirst().state());
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "null", "{", "[]", "{\"endpoints\": [{\"id\": \"vpce-0\"}], \"allAvailable\": false, \"settled\": false, \"more\": 1}"})
    void malformedInputFailsBeforeAnyCall(String text) {
        assertThrows(InvalidInputException.class, () -> handler.handleRequest(
                new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), new ByteArrayOutputStream(), null));

        verifyNoInteractions(ec2);
    }


    @Test
    void gatewayStaysAGateway() {
        endpointsNow(gatewayEndpoint("vpce-0s3", "available", "rtb-0a").serviceName(S3).build());

        EndpointsReport report = handler.handle(pending(new Endpoint("vpce-0s3", "s3", "Gateway", "pending", false, List.of(),
                List.of("rtb-0a"), true)));

        assertEquals(new Endpoint("vpce-0s3", "s3", "Gateway", "available", false, List.of(), List.of("rtb-0a"), true),
                report.endpoints().getFirst());
    }
}
