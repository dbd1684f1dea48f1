package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.SdkMocks.ec2Error;
import static ssmreach.result.ResultFixtures.CLOCK;
import static ssmreach.result.ResultFixtures.PUBLIC_SUBNET;
import static ssmreach.result.ResultFixtures.SUBNET;
import static ssmreach.result.ResultFixtures.VPC;
import static ssmreach.result.ResultFixtures.classification;
import static ssmreach.result.ResultFixtures.isolated;
import static ssmreach.result.ResultFixtures.publicSubnet;
import static ssmreach.result.ResultFixtures.settings;
import static ssmreach.result.ResultFixtures.state;
import static ssmreach.result.ResultFixtures.target;
import static ssmreach.result.ResultFixtures.withStatus;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.CreateTagsResponse;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.PublishRequest;
import software.amazon.awssdk.services.sns.model.PublishResponse;
import ssmreach.SdkMocks;
import ssmreach.contract.ErrorInfo;
import ssmreach.contract.Result;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.Route;
import ssmreach.contract.WorkflowState;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;
import ssmreach.core.RetryableAwsException;

class ReportHandlerTest {
    private static final String TOPIC = "arn:aws:sns:us-east-1:123456789012:ssm-reach-results";

    private final Ec2Client ec2 = SdkMocks.ec2();
    private final EventBridgeClient events = SdkMocks.eventBridge();
    private final SnsClient sns = SdkMocks.sns();

    private ReportHandler handler(Map<String, String> settings) {
        return new ReportHandler(settings(settings), ec2, events, sns, CLOCK);
    }

    private ReportHandler handler() {
        return handler(Map.of());
    }

    private void eventsAccepted() {
        when(events.putEvents(any(PutEventsRequest.class))).thenReturn(PutEventsResponse.builder().failedEntryCount(0)
                .entries(PutEventsResultEntry.builder().eventId("11111111-2222-3333-4444-555555555555").build()).build());
    }

    private void tagsAccepted() {
        when(ec2.createTags(any(CreateTagsRequest.class))).thenReturn(CreateTagsResponse.builder().build());
    }

    private PutEventsRequestEntry publishedEntry() {
        ArgumentCaptor<PutEventsRequest> captor = ArgumentCaptor.forClass(PutEventsRequest.class);
        verify(events).putEvents(captor.capture());
        assertEquals(1, captor.getValue().entries().size());
        return captor.getValue().entries().getFirst();
    }

    private static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The document as JSON text carries it (a BigDecimal reads back as a plain number). */
    private static JsonNode written(Result result) {
        try {
            return tree(Json.MAPPER.writeValueAsString(result));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> tags(CreateTagsRequest request) {
        return request.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
    }

    @Test
    void remediatedRunTagsTheSubnetAndPublishesTheResult() {
        tagsAccepted();
        eventsAccepted();

        Result result = handler().handle(ResultFixtures.remediated());

        ArgumentCaptor<CreateTagsRequest> captor = ArgumentCaptor.forClass(CreateTagsRequest.class);
        verify(ec2).createTags(captor.capture());
        assertEquals(List.of(SUBNET), captor.getValue().resources());
        assertEquals(Map.of("ssm-reach:route", "isolated", "ssm-reach:status", "reachable",
                "ssm-reach:endpoints", "ec2messages,s3,ssm,ssmmessages"), tags(captor.getValue()));
        verifyNoMoreInteractions(ec2);

        PutEventsRequestEntry entry = publishedEntry();
        assertEquals("ssm-reach", entry.source());
        assertEquals("SSM Reach Result", entry.detailType());
        assertEquals("default", entry.eventBusName());
        assertEquals(written(result), tree(entry.detail()));
        assertEquals("remediated", tree(entry.detail()).path("outcome").asText());
        verifyNoInteractions(sns);
    }

    @Test
    void everyTargetSubnetIsTaggedWithWhatWasFound() {
        tagsAccepted();
        eventsAccepted();
        WorkflowState base = ResultFixtures.remediated();

        handler().handle(state(base.target(), classification(isolated(Map.of()), publicSubnet(Map.of())), base.vpc(), base.endpoints(), null));

        ArgumentCaptor<CreateTagsRequest> captor = ArgumentCaptor.forClass(CreateTagsRequest.class);
        verify(ec2, times(2)).createTags(captor.capture());
        CreateTagsRequest publicTags = captor.getAllValues().get(1);
        assertEquals(List.of(PUBLIC_SUBNET), publicTags.resources());
        assertEquals(Map.of("ssm-reach:route", "public", "ssm-reach:status", "out-of-scope"), tags(publicTags));
    }

    @Test
    void subnetsWithTheSameChangesAreTaggedInOneCall() {
        tagsAccepted();
        eventsAccepted();
        WorkflowState base = ResultFixtures.remediated();
        SubnetClassification otherPublic = new SubnetClassification("subnet-0aaaaaaaaaaaaaaaa", "us-east-1a", "10.0.3.0/24",
                "rtb-0pub", true, Route.PUBLIC, "igw-0123", SubnetStatus.OUT_OF_SCOPE, "default route to igw-0123", Map.of());

        handler().handle(state(base.target(), classification(isolated(Map.of()), publicSubnet(Map.of()), otherPublic),
                base.vpc(), base.endpoints(), null));

        ArgumentCaptor<CreateTagsRequest> captor = ArgumentCaptor.forClass(CreateTagsRequest.class);
        verify(ec2, times(2)).createTags(captor.capture());
        assertEquals(List.of(PUBLIC_SUBNET, "subnet-0aaaaaaaaaaaaaaaa"), captor.getAllValues().get(1).resources());
    }

    @Test
    void oneDeletedSubnetDoesNotKeepTheOthersUntagged() {
        eventsAccepted();
        WorkflowState base = ResultFixtures.remediated();
        SubnetClassification otherPublic = new SubnetClassification("subnet-0aaaaaaaaaaaaaaaa", "us-east-1a", "10.0.3.0/24",
                "rtb-0pub", true, Route.PUBLIC, "igw-0123", SubnetStatus.OUT_OF_SCOPE, "default route to igw-0123", Map.of());
        when(ec2.createTags(any(CreateTagsRequest.class))).thenAnswer(i -> {
            CreateTagsRequest r = i.getArgument(0);
            if (r.resources().contains(PUBLIC_SUBNET)) {
                throw ec2Error("InvalidSubnetID.NotFound", "The subnet ID '" + PUBLIC_SUBNET + "' does not exist");
            }
            return software.amazon.awssdk.services.ec2.model.CreateTagsResponse.builder().build();
        });

        handler().handle(state(base.target(), classification(publicSubnet(Map.of()), otherPublic), base.vpc(), base.endpoints(), null));

        ArgumentCaptor<CreateTagsRequest> captor = ArgumentCaptor.forClass(CreateTagsRequest.class);
        verify(ec2, times(3)).createTags(captor.capture());
        assertEquals(List.of("subnet-0aaaaaaaaaaaaaaaa"), captor.getAllValues().get(2).resources());
    }

    @Test
    void rerunWithTheTagsInPlaceWritesNoTags() {
        eventsAccepted();
        WorkflowState base = ResultFixtures.remediated();
        Map<String, String> current = Map.of("ssm-reach:route", "isolated", "ssm-reach:status", "reachable",
                "ssm-reach:endpoints", "ec2messages,s3,ssm,ssmmessages");

        handler().handle(state(base.target(), classification(isolated(current)), base.vpc(), base.endpoints(), null));

        verifyNoInteractions(ec2);
        verify(events).putEvents(any(PutEventsRequest.class));
    }

    @Test
    void dryRunWritesNoTags() {
        eventsAccepted();
        WorkflowState base = ResultFixtures.remediated();

        Result result = handler().handle(state(target(true), base.classification(), base.vpc(), base.endpoints(), null));

        assertEquals("planned", result.outcome());
        verifyNoInteractions(ec2);
        assertEquals("planned", tree(publishedEntry().detail()).path("outcome").asText());
    }

    @Test
    void optedOutSubnetGetsNoTags() {
        eventsAccepted();

        Result result = handler().handle(state(target(false), classification(withStatus(isolated(Map.of()), SubnetStatus.OPTED_OUT)),
                null, null, null));

        assertEquals("skipped", result.outcome());
        verifyNoInteractions(ec2);
    }

    @Test
    void failedRunWritesNoTagsButPublishesTheFailure() {
        eventsAccepted();
        ErrorInfo error = new ErrorInfo("ssmreach.core.AwsFailureException", "UnauthorizedOperation: not authorized");
        WorkflowState base = ResultFixtures.remediated();

        Result result = handler().handle(state(base.target(), base.classification(), null, null, error));

        assertEquals("failed", result.outcome());
        verifyNoInteractions(ec2);
        JsonNode detail = tree(publishedEntry().detail());
        assertEquals("failed", detail.path("outcome").asText());
        assertEquals("ssmreach.core.AwsFailureException", detail.path("error").path("errorType").asText());
        assertEquals("UnauthorizedOperation: not authorized", detail.path("error").path("errorMessage").asText());
    }

    @Test
    void resultGoesToTheConfiguredBus() {
        tagsAccepted();
        eventsAccepted();

        handler(Map.of("RESULT_EVENT_BUS", "ops-bus")).handle(ResultFixtures.remediated());

        assertEquals("ops-bus", publishedEntry().eventBusName());
    }

    @Test
    void snsGetsTheSameDocumentWhenATopicIsSet() {
        tagsAccepted();
        eventsAccepted();
        when(sns.publish(any(PublishRequest.class))).thenReturn(PublishResponse.builder().messageId("m-1").build());

        Result result = handler(Map.of("RESULT_TOPIC_ARN", TOPIC)).handle(ResultFixtures.remediated());

        ArgumentCaptor<PublishRequest> captor = ArgumentCaptor.forClass(PublishRequest.class);
        verify(sns).publish(captor.capture());
        PublishRequest sent = captor.getValue();
        assertEquals(TOPIC, sent.topicArn());
        assertEquals(written(result), tree(sent.message()));
        assertEquals(publishedEntry().detail(), sent.message());
        assertTrue(sent.subject().length() <= 100, sent.subject());
        assertTrue(sent.subject().contains("remediated") && sent.subject().contains(SUBNET), sent.subject());
        verifyNoMoreInteractions(sns);
    }

    @Test
    void failedEventBridgeEntryIsRetryableAndNothingGoesToSns() {
        tagsAccepted();
        when(events.putEvents(any(PutEventsRequest.class))).thenReturn(PutEventsResponse.builder().failedEntryCount(1)
                .entries(PutEventsResultEntry.builder().errorCode("InternalFailure").errorMessage("try again").build()).build());

        RetryableAwsException e = assertThrows(RetryableAwsException.class,
                () -> handler(Map.of("RESULT_TOPIC_ARN", TOPIC)).handle(ResultFixtures.remediated()));

        assertTrue(e.getMessage().contains("InternalFailure"), e.getMessage());
        verifyNoInteractions(sns);
    }

    @Test
    void theMetricsFollowThePublishedResultOnStandardOutput() throws Exception {
        tagsAccepted();
        eventsAccepted();
        List<String> lines = new ArrayList<>();

        Result result = printed(lines, () -> handler(Map.of("STACK_NAME", "team-a")).handle(ResultFixtures.remediated()));

        List<String> expected = new ArrayList<>(List.of(Json.MAPPER.writeValueAsString(result)));
        expected.addAll(Metrics.documents(result, "team-a"));
        assertEquals(expected, lines, "the result document, then its metrics, for the stack");
    }

    @Test
    void aRefusedPublishLogsNoMetricsSoItsRetryCountsOnce() {
        tagsAccepted();
        when(events.putEvents(any(PutEventsRequest.class))).thenReturn(PutEventsResponse.builder().failedEntryCount(1)
                .entries(PutEventsResultEntry.builder().errorCode("InternalFailure").errorMessage("try again").build()).build());
        List<String> lines = new ArrayList<>();

        assertThrows(RetryableAwsException.class, () -> printed(lines, () -> handler().handle(ResultFixtures.remediated())));

        assertEquals(1, lines.size(), "the result document alone: " + lines);
        assertFalse(lines.getFirst().contains("\"_aws\""), lines.getFirst());
    }

    /** What {@code run} prints on standard output (the function's log), line by line, added to {@code lines}. */
    private static <T> T printed(List<String> lines, Supplier<T> run) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setOut(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            return run.get();
        } finally {
            System.setOut(stdout);
            lines.addAll(log.toString(StandardCharsets.UTF_8).lines().toList());
        }
    }

    @Test
    void subjectStaysWithinSnsLimit() {
        Result longId = result("incomplete", List.of(), "vpc-" + "0".repeat(300));

        String subject = ReportHandler.subject(longId);

        assertEquals(100, subject.length());
        assertTrue(subject.startsWith("ssm-reach: incomplete - vpc-"), subject);
    }

    @Test
    void subjectNamesTheSubnetOrTheVpcOrTheInput() {
        Result one = result(List.of(new Result.SubnetResult(SUBNET, "us-east-1a", null, SubnetStatus.IN_SCOPE, "r")), VPC);
        Result two = result(List.of(new Result.SubnetResult(SUBNET, "us-east-1a", null, SubnetStatus.IN_SCOPE, "r"),
                new Result.SubnetResult(PUBLIC_SUBNET, "us-east-1b", null, SubnetStatus.OUT_OF_SCOPE, "r")), VPC);
        Result none = result(List.of(), null);

        assertEquals("ssm-reach: remediated - " + SUBNET, ReportHandler.subject(one));
        assertEquals("ssm-reach: remediated - " + VPC, ReportHandler.subject(two));
        assertEquals("ssm-reach: remediated - input", ReportHandler.subject(none));
    }

    /** A result for the subject tests, built as a document (only what the subject reads varies). */
    private static Result result(List<Result.SubnetResult> subnets, String vpcId) {
        return result("remediated", subnets, vpcId);
    }

    private static Result result(String outcome, List<Result.SubnetResult> subnets, String vpcId) {
        Map<String, Object> document = new java.util.LinkedHashMap<>();
        document.put("outcome", outcome);
        document.put("source", "manual");
        document.put("dryRun", false);
        document.put("vpcId", vpcId);
        document.put("subnets", subnets);
        document.put("endpointZonesAdded", 0);
        document.put("monthlyCostAddedUsd", BigDecimal.ZERO);
        document.put("evaluatedAt", "2026-11-28T14:05:00Z");
        return Json.MAPPER.convertValue(document, Result.class);
    }

    @Test
    void handlerWritesTheResultAsItsOutput() throws Exception {
        tagsAccepted();
        eventsAccepted();
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler().handleRequest(new ByteArrayInputStream(Json.MAPPER.writeValueAsBytes(ResultFixtures.remediated())), out, null);

        JsonNode output = Json.MAPPER.readTree(out.toByteArray());
        assertEquals("remediated", output.path("outcome").asText());
        assertEquals(tree(publishedEntry().detail()), output);
    }

    @Test
    void catchOutputOfTheWorkflowIsAccepted() throws Exception {
        eventsAccepted();
        String failure = "{\"trigger\": {\"subnetId\": \"subnet-XYZ\"}, \"error\": {\"Error\": \"ssmreach.core.InvalidInputException\","
                + " \"Cause\": \"{\\\"errorMessage\\\":\\\"subnetId 'subnet-XYZ' is not a valid id\\\"}\"}}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler().handleRequest(new ByteArrayInputStream(failure.getBytes(StandardCharsets.UTF_8)), out, null);

        assertEquals("failed", Json.MAPPER.readTree(out.toByteArray()).path("outcome").asText());
        verifyNoInteractions(ec2);
    }

    @Test
    void throttledTaggingIsRetryable() throws Exception {
        when(ec2.createTags(any(CreateTagsRequest.class))).thenThrow(ec2Error(503, "RequestLimitExceeded", "Request limit exceeded."));
        byte[] input = Json.MAPPER.writeValueAsBytes(ResultFixtures.remediated());

        assertThrows(RetryableAwsException.class,
                () -> handler().handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null));
    }

    @Test
    void subnetDeletedBeforeTaggingStillPublishesTheResult() {
        when(ec2.createTags(any(CreateTagsRequest.class)))
                .thenThrow(ec2Error("InvalidSubnetID.NotFound", "The subnet ID '" + SUBNET + "' does not exist"));
        eventsAccepted();

        assertDoesNotThrow(() -> handler().handle(ResultFixtures.remediated()));

        verify(events).putEvents(any(PutEventsRequest.class));
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "null", "{", "[]", "{\"target\": 3}", "{\"unknown\": true}", "{\"wait\": {\"attempt\": \"x\"}}"})
    void malformedInputFailsBeforeAnyCall(String text) {
        assertThrows(InvalidInputException.class, () -> handler().handleRequest(
                new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), new ByteArrayOutputStream(), null));

        verifyNoInteractions(ec2, events, sns);
    }
}
