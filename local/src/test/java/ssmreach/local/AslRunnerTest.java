package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import ssmreach.contract.EndpointRequest;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.InstanceSelection;
import ssmreach.contract.Result;
import ssmreach.contract.SelectionRequest;
import ssmreach.contract.Target;
import ssmreach.contract.VpcClassification;
import ssmreach.contract.VpcReadiness;
import ssmreach.contract.VpcRequest;
import ssmreach.core.Json;
import ssmreach.core.ResourceGoneException;
import ssmreach.core.RetryableAwsException;

/**
 * Executes the real statemachine/workflow.asl.json in the interpreter, its Lambda Tasks served by
 * fake functions through the Lambda Invoke API, and checks the path each case takes. The fakes
 * read their input as the function's contract record and answer JSON that parses as its output
 * record, so the definition's paths and the records are checked against each other too.
 */
class AslRunnerTest {
    private static final Path ASL_DIRECTORY = AslRunner.locateAslDirectory();
    private static final Path DEFINITION = ASL_DIRECTORY.getParent().getParent().resolve("statemachine/workflow.asl.json");
    private static final String TRIGGER = """
            {"source": "manual", "vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0iso"]}""";
    private static final List<String> FUNCTIONS =
            List.of("ParseTrigger", "ClassifySubnets", "PrepareVpc", "EnsureEndpoints", "SelectInstances", "CheckEndpoints", "Report");

    private static final String TARGET = """
            {"source": "manual", "vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0iso"], "instanceIds": [], "dryRun": false,
             "diagnose": false}""";
    private static final String IGNORED = """
            {"source": "CreateSubnet", "subnetIds": [], "instanceIds": [], "dryRun": false, "diagnose": false,
             "ignored": "CreateSubnet failed (Client.InvalidParameterValue): nothing was created"}""";
    private static final String CLASSIFICATION = """
            {"vpcId": "vpc-0a1b2c3d", "cidrBlocks": ["10.0.0.0/16"], "anyInScope": true,
             "subnets": [{"subnetId": "subnet-0iso", "availabilityZone": "us-east-1a", "cidrBlock": "10.0.3.0/24",
                          "routeTableId": "rtb-0iso", "explicitRouteTable": true, "route": "isolated",
                          "status": "in-scope", "reason": "no default route"}],
             "endpointSubnets": {"us-east-1a": "subnet-0iso"}, "endpointRouteTables": ["rtb-0iso"],
             "subnetZones": {"subnet-0iso": "us-east-1a"}}""";
    private static final String READINESS = """
            {"securityGroupId": "sg-0ssmreach", "dnsReady": true,
             "actions": [{"operation": "CreateSecurityGroup", "resource": "sg-0ssmreach",
                          "detail": "443 from 10.0.0.0/16", "planned": false, "endpointZonesAdded": 0}]}""";
    private static final String NO_INSTANCES = """
            {"instances": [], "skipped": [], "any": false, "selectedAt": "2026-11-28T10:00:00Z"}""";
    private static final String ENDPOINTS_PENDING = endpoints("pending", false);
    private static final String ENDPOINTS_AVAILABLE = endpoints("available", true);
    private static final String RESULT = """
            {"outcome": "remediated", "source": "manual", "dryRun": false, "vpcId": "vpc-0a1b2c3d",
             "endpointZonesAdded": 3, "monthlyCostAddedUsd": 65.70, "evaluatedAt": "2026-11-28T10:00:00Z"}""";

    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, ConcurrentLinkedDeque<String>> answers = new ConcurrentHashMap<>();
    private final List<LambdaInvokeServer.Invocation> invocations = new CopyOnWriteArrayList<>();
    private LambdaInvokeServer server;

    @BeforeEach
    void start() {
        Map<String, RequestStreamHandler> handlers = new LinkedHashMap<>();
        handlers.put("ParseTrigger", fake("ParseTrigger", null, Target.class));
        handlers.put("ClassifySubnets", fake("ClassifySubnets", Target.class, VpcClassification.class));
        handlers.put("PrepareVpc", fake("PrepareVpc", VpcRequest.class, VpcReadiness.class));
        handlers.put("EnsureEndpoints", fake("EnsureEndpoints", EndpointRequest.class, EndpointsReport.class));
        handlers.put("CheckEndpoints", fake("CheckEndpoints", EndpointsReport.class, EndpointsReport.class));
        handlers.put("SelectInstances", fake("SelectInstances", SelectionRequest.class, InstanceSelection.class));
        handlers.put("Report", fake("Report", null, Result.class));
        server = new LambdaInvokeServer(handlers);
        server.onInvocation(invocations::add);
        answer("ParseTrigger", TARGET);
        answer("ClassifySubnets", CLASSIFICATION);
        answer("PrepareVpc", READINESS);
        answer("SelectInstances", NO_INSTANCES);
        answer("Report", RESULT);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void happyPathWaitsOnceForTheEndpoints() {
        answer("EnsureEndpoints", ENDPOINTS_PENDING);
        answer("CheckEndpoints", ENDPOINTS_AVAILABLE);

        Execution execution = run();

        assertSucceeded(execution);
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "ClassifySubnets", "AnyInScope", "PrepareVpc",
                "EnsureEndpoints", "SelectInstances", "AnyInstances", "HandOff", "NeedsWait", "StartWait", "WaitForEndpoints",
                "CheckEndpoints", "EndpointsAvailable", "AwaitRegistration", "Report"), execution.path());
        assertEquals(FUNCTIONS, invokedFunctions());
        assertEquals(json(RESULT), execution.output());
        JsonNode reported = json(invocationOf("Report").input());
        assertEquals(json(TRIGGER), reported.get("trigger"));
        assertEquals(json(ENDPOINTS_AVAILABLE), reported.get("endpoints"));
        assertEquals(json("{\"attempt\": 0, \"seconds\": 1, \"maxAttempts\": 3}"), reported.get("wait"),
                "the substituted wait settings went through States.StringToJson");
    }

    @Test
    void ignoredTriggerGoesStraightToReport() {
        answerOnly("ParseTrigger", IGNORED);
        answerOnly("Report", RESULT.replace("remediated", "ignored"));

        Execution execution = run();

        assertSucceeded(execution);
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "Report"), execution.path());
        assertEquals(List.of("ParseTrigger", "Report"), invokedFunctions());
        assertEquals("ignored", execution.output().get("outcome").asText());
    }

    @Test
    void retryableExceptionIsRetriedThenSucceeds() {
        answer("EnsureEndpoints", endpoints("available", true));
        server.failNext("ClassifySubnets", 1, () -> new RetryableAwsException("Rate exceeded (RequestLimitExceeded)"));

        Execution execution = run();

        assertEquals(Execution.Status.SUCCEEDED, execution.status(), () -> describe(execution));
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "ClassifySubnets", "AnyInScope", "PrepareVpc",
                "EnsureEndpoints", "SelectInstances", "AnyInstances", "HandOff", "NeedsWait", "AwaitRegistration", "Report"),
                execution.path());
        assertEquals(List.of("ParseTrigger", "ClassifySubnets", "ClassifySubnets", "PrepareVpc", "EnsureEndpoints", "SelectInstances",
                "Report"),
                invokedFunctions(), "entered once, invoked twice");
        List<Execution.Event> failures = execution.events("StateFailed", "ClassifySubnets");
        assertEquals(1, failures.size());
        assertEquals("ssmreach.core.RetryableAwsException", failures.getFirst().error());
        List<Execution.Event> retries = execution.events("StateRetried", "ClassifySubnets");
        assertEquals(1, retries.size());
        assertEquals("ssmreach.core.RetryableAwsException",
                retries.getFirst().json().at("/retry/retrier/ErrorEquals/0").asText(), "the retrier matched by class name");
        assertTrue(execution.events("StateCaught", "ClassifySubnets").isEmpty());
    }

    @Test
    void nonRetryableExceptionIsCaughtReportedAndFailsTheExecution() {
        server.failNext("PrepareVpc", 1, () -> new IllegalStateException("UnauthorizedOperation: ec2:CreateSecurityGroup"));
        answerOnly("Report", RESULT.replace("remediated", "failed"));

        Execution execution = run();

        assertEquals(Execution.Status.FAILED, execution.status(), () -> describe(execution));
        assertEquals("RemediationFailed", execution.error());
        assertTrue(execution.cause().startsWith("An error ended the remediation"), execution.cause());
        assertNull(execution.output());
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "ClassifySubnets", "AnyInScope", "PrepareVpc",
                "ReportFailure", "Failed"), execution.path());
        assertEquals(List.of("ParseTrigger", "ClassifySubnets", "PrepareVpc", "Report"), invokedFunctions());
        assertTrue(execution.events("StateRetried", "PrepareVpc").isEmpty(), "not retried");
        assertEquals("States.ALL",
                execution.events("StateCaught", "PrepareVpc").getFirst().json().at("/catch/catcher/ErrorEquals/0").asText());
        JsonNode error = json(invocationOf("Report").input()).get("error");
        assertEquals("java.lang.IllegalStateException", error.get("Error").asText());
        JsonNode cause = json(error.get("Cause").asText());
        assertEquals("UnauthorizedOperation: ec2:CreateSecurityGroup", cause.get("errorMessage").asText(),
                "Cause is the error payload as JSON text, as Step Functions hands it on: " + error);
        assertEquals("java.lang.IllegalStateException", cause.get("errorType").asText());
        assertTrue(cause.get("stackTrace").isArray(), error.toString());
        assertEquals("failed", execution.stateOutput("ReportFailure").at("/result/outcome").asText());
    }

    @Test
    void goneResourceIsCaughtAndReported() {
        server.failNext("ClassifySubnets", 1, () -> new ResourceGoneException("subnet-0iso does not exist"));
        answerOnly("Report", RESULT.replace("remediated", "gone"));

        Execution execution = run();

        assertEquals(Execution.Status.SUCCEEDED, execution.status(), () -> describe(execution));
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "ClassifySubnets", "Report"), execution.path());
        assertTrue(execution.events("StateRetried", "ClassifySubnets").isEmpty(), "not retried");
        assertEquals("ssmreach.core.ResourceGoneException",
                json(invocationOf("Report").input()).at("/error/Error").asText());
    }

    @Test
    void unreachableFunctionsBreakTheRunInsteadOfBeingCaught() throws Exception {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        Map<String, String> substitutions = substitutions();

        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> AslRunner.create().run(DEFINITION, substitutions, TRIGGER, closed));

        assertTrue(error.getMessage().contains("ParseTrigger: Error: connect ECONNREFUSED"), error.getMessage());
    }

    @Test
    void aTaskNamingAnUnservedFunctionBreaksTheRunInsteadOfBeingCaught() {
        Map<String, String> substitutions = substitutions();
        substitutions.put("ParseTriggerFunctionArn", "arn:aws:lambda:us-east-1:123456789012:function:Missing:live");

        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> AslRunner.create().run(DEFINITION, substitutions, TRIGGER, server.endpoint()));

        assertTrue(error.getMessage().contains("ParseTrigger: Lambda.ResourceNotFoundException"), error.getMessage());
    }

    @Test
    void missingSubstitutionIsNamed() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> AslRunner.create().run(DEFINITION, Map.of("ReportFunctionArn", "x"), "{}", server.endpoint()));

        assertTrue(error.getMessage().contains("ParseTriggerFunctionArn"), error.getMessage());
        assertTrue(error.getMessage().contains("EndpointWaitSeconds"), error.getMessage());
    }

    private Execution run() {
        return AslRunner.create().run(DEFINITION, substitutions(), TRIGGER, server.endpoint());
    }

    private static Map<String, String> substitutions() {
        Map<String, String> substitutions = new LinkedHashMap<>(LocalWorkflow.substitutions());
        FUNCTIONS.forEach(name -> substitutions.put(name + "FunctionArn",
                "arn:aws:lambda:us-east-1:123456789012:function:" + name + ":live"));
        substitutions.put("EndpointWaitSeconds", "1");
        substitutions.put("EndpointWaitMaxAttempts", "3");
        return substitutions;
    }

    private void assertSucceeded(Execution execution) {
        assertEquals(Execution.Status.SUCCEEDED, execution.status(), () -> describe(execution));
        assertTrue(execution.events().stream().noneMatch(event -> "StateFailed".equals(event.type())),
                () -> "no state failed: " + describe(execution));
    }

    private String describe(Execution execution) {
        return execution.status() + " " + execution.error() + " " + execution.cause() + "\n  path " + execution.path()
                + "\n  failures " + execution.events().stream().filter(event -> "StateFailed".equals(event.type()))
                        .map(event -> event.state() + ": " + event.json().get("Error") + " " + event.json().get("Cause")).toList()
                + "\n  invocations " + invokedFunctions();
    }

    private List<String> invokedFunctions() {
        return invocations.stream().map(LambdaInvokeServer.Invocation::functionName).toList();
    }

    private LambdaInvokeServer.Invocation invocationOf(String function) {
        return invocations.stream().filter(invocation -> invocation.functionName().equals(function))
                .reduce((first, second) -> second).orElseThrow(() -> new AssertionError(function + " was not invoked"));
    }

    /** Queues {@code json} as a later answer of {@code function}. */
    private void answer(String function, String json) {
        answers.computeIfAbsent(function, name -> new ConcurrentLinkedDeque<>()).addLast(json);
    }

    /** Makes {@code json} the only answer of {@code function}. */
    private void answerOnly(String function, String json) {
        answers.remove(function);
        answer(function, json);
    }

    /**
     * A function that checks its input against {@code inputType} (null: any JSON) and answers the
     * next canned JSON queued for it (the last one again once the queue is down to one), after
     * checking that it parses as {@code outputType}.
     */
    private RequestStreamHandler fake(String function, Class<?> inputType, Class<?> outputType) {
        return (in, out, context) -> {
            byte[] input = in.readAllBytes();
            Class<?> type = inputType == null ? JsonNode.class : inputType;
            Json.MAPPER.readValue(input, type);
            ConcurrentLinkedDeque<String> queue = answers.get(function);
            String answer;
            synchronized (this) {
                answer = queue == null ? null : queue.size() > 1 ? queue.pollFirst() : queue.peekFirst();
            }
            if (answer == null) {
                throw new IllegalStateException("no canned answer for " + function);
            }
            Json.MAPPER.readValue(answer, outputType);
            out.write(answer.getBytes(StandardCharsets.UTF_8));
        };
    }

    private JsonNode json(String text) {
        try {
            return mapper.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static String endpoints(String state, boolean available) {
        return """
                {"endpoints": [{"id": "vpce-0ssm", "service": "com.amazonaws.us-east-1.ssm", "type": "Interface",
                                "state": "%s", "privateDns": true, "zones": ["us-east-1a"], "owned": true}],
                 "actions": [{"operation": "CreateVpcEndpoint", "resource": "vpce-0ssm", "detail": "ssm in us-east-1a",
                              "planned": false, "endpointZonesAdded": 1}],
                 "allAvailable": %s, "settled": %s}""".formatted(state, available, available);
    }
}
