package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.LambdaInvokeServer.ServiceFault;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.local.World;
import ssmreach.testing.LocalAwsExtension;

/**
 * Faults of the Lambda service itself, as they reach the definition in AWS: named
 * {@code Lambda.TooManyRequestsException}, {@code Lambda.ServiceException},
 * {@code Lambda.AWSLambdaException}, {@code Lambda.SdkClientException}, once per invocation, with
 * no silent retry below the workflow. The definition's {@code Lambda.*} retriers absorb them: the
 * same end state as without faults. Past the retriers' attempts the error is caught and published
 * by name and message.
 */
@ExtendWith(LocalAwsExtension.class)
class LambdaServiceFaultsIT {
    private final LocalAws aws;
    private final World world;
    private StrictStack stack;
    private LocalWorkflow workflow;

    LambdaServiceFaultsIT(LocalAws aws) {
        this.aws = aws;
        this.world = new World(aws.inspectEc2());
    }

    @BeforeEach
    void setUp() {
        LocalFunctions.createInstanceProfile(aws.inspectIam());
        stack = new StrictStack(aws, StrictEc2Rules.Config.AWS, new FaultInjector(20261201L));
        workflow = stack.workflow();
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    @Test
    void theDefinitionsRetriersAbsorbEveryLambdaServiceFault() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String instance = world.instance(subnet, null);
        // Each fault on a function of the path, the Map's EnsureInstanceProfile included; two in a row on one.
        Map<String, List<ServiceFault>> injected = Map.of(
                "ParseTrigger", List.of(ServiceFault.TOO_MANY_REQUESTS),
                "ClassifySubnets", List.of(ServiceFault.SERVICE),
                "EnsureEndpoints", List.of(ServiceFault.SDK_CLIENT),
                "SelectInstances", List.of(ServiceFault.AWS_LAMBDA),
                "EnsureInstanceProfile", List.of(ServiceFault.TOO_MANY_REQUESTS),
                "Report", List.of(ServiceFault.SERVICE, ServiceFault.TOO_MANY_REQUESTS));
        injected.forEach((function, faults) -> faults.forEach(fault -> workflow.lambda().failNext(function, 1, fault)));

        Execution execution = workflow.execute("{\"subnetId\": \"" + subnet + "\"}");

        assertTrue(execution.succeeded(), () -> Audit.describe(execution));
        assertEquals("remediated", execution.output().path("outcome").asText());
        JsonNode profiled = execution.output().path("instances").get(0);
        assertEquals(instance, profiled.path("instanceId").asText());
        assertEquals("associated", profiled.path("profileAction").asText());
        assertEquals("Online", profiled.path("registration").asText());
        Audit.converged(Audit.endState(aws.inspectEc2(), vpc), Set.of("us-east-1a"));
        Audit.safety(stack.calls, aws.inspectEc2(), vpc);

        int total = injected.values().stream().mapToInt(List::size).sum();
        assertEquals(total, workflow.lambda().serviceFaultsServed(), "every fault reached the definition");
        Map<String, Integer> failedByState = new TreeMap<>();
        for (Execution.Event failure : execution.events()) {
            if ("StateFailed".equals(failure.type())) {
                assertTrue(failure.error().startsWith("Lambda."), "only the injected faults failed a state: " + failure.json());
                failedByState.merge(failure.state(), 1, Integer::sum);
            }
        }
        Map<String, Integer> expected = new TreeMap<>();
        injected.forEach((function, faults) -> expected.put(function, faults.size()));
        assertEquals(expected, failedByState, "each fault failed its state once, as Step Functions sees it");
        assertEquals(expected, Audit.retried(List.of(execution)), "and each was retried by the Lambda.* retrier");
        execution.events().stream().filter(e -> "StateRetried".equals(e.type())).forEach(retry -> assertEquals(
                "Lambda.ServiceException", retry.json().at("/retry/retrier/ErrorEquals/0").asText(), retry.json().toString()));
        System.out.printf("[reliability] Lambda service faults: %d injected %s, %d retried, outcome %s%n", total, failedByState,
                Audit.retries(execution), execution.output().path("outcome").asText());
    }

    @Test
    void throttlingPastTheRetriersIsCaughtAndPublishedByNameAndMessage() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        // The retrier's 4 attempts and the first try: 5 in a row.
        workflow.lambda().failNext("ClassifySubnets", 5, ServiceFault.TOO_MANY_REQUESTS);

        Execution execution = workflow.execute("{\"subnetId\": \"" + subnet + "\"}");

        assertEquals(Execution.Status.FAILED, execution.status(), () -> Audit.describe(execution));
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "ClassifySubnets", "ReportFailure", "Failed"), execution.path());
        assertEquals(4, Audit.retries(execution));
        JsonNode published = execution.stateOutput("ReportFailure").path("result");
        assertEquals("failed", published.path("outcome").asText());
        assertEquals("Lambda.TooManyRequestsException", published.at("/error/errorType").asText());
        assertTrue(published.at("/error/errorMessage").asText().startsWith("Rate Exceeded."), published.toString());
        assertEquals(List.of(), stack.calls.mutatingCalls().stream().filter(c -> !BadInputIT.NOTIFICATIONS.contains(c.operation()))
                .toList(), "nothing changed in the account but the failure notice");
    }
}
