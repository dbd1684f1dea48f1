package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.FaultInjector.ScriptedError;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.local.World;

/**
 * A run broken after a partial success, then run again, completes without duplicates; a completed
 * remediation run again makes no mutating call; an answer lost after EC2 created the endpoint is
 * absorbed by the ClientToken.
 */
@ExtendWith(LocalAwsExtension.class)
class ConvergenceIT {
    private final LocalAws aws;
    private final World world;
    private StrictStack stack;
    private LocalWorkflow workflow;

    ConvergenceIT(LocalAws aws) {
        this.aws = aws;
        this.world = new World(aws.inspectEc2());
    }

    private void start(StrictEc2Rules.Config rules) {
        stack = new StrictStack(aws, rules, new FaultInjector(1));
        workflow = stack.workflow();
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    private static FaultInjector.Request createEndpointFor(FaultInjector.Request request, String service) {
        return "CreateVpcEndpoint".equals(request.action()) && (Audit.PREFIX + service).equals(request.form().get("ServiceName"))
                ? request : null;
    }

    @Test
    void runBrokenAfterTwoOfThreeEndpointsThenRerunCompletesWithoutDuplicates() {
        start(StrictEc2Rules.Config.AWS);
        String vpc = world.vpc("10.0.0.0/16");
        world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        world.subnet(vpc, "10.0.2.0/24", "us-east-1b");
        stack.faults().failNext(r -> createEndpointFor(r, "ec2messages") != null, 1,
                new ScriptedError(400, "UnauthorizedOperation", "You are not authorized to perform this operation."));

        Execution broken = workflow.execute("{\"vpcId\": \"" + vpc + "\"}");

        assertEquals(Execution.Status.FAILED, broken.status(), () -> Audit.describe(broken));
        Audit.EndState partial = Audit.endState(aws.inspectEc2(), vpc);
        assertEquals(Set.of("ssm", "ssmmessages"), partial.interfaces().keySet(), "two of three created before the hard error");

        Execution rerun = workflow.execute("{\"vpcId\": \"" + vpc + "\"}");

        assertTrue(rerun.succeeded(), () -> Audit.describe(rerun));
        Audit.converged(Audit.endState(aws.inspectEc2(), vpc), Set.of("us-east-1a", "us-east-1b"));
        assertEquals(partial.interfaces().get("ssm").getFirst().vpcEndpointId(),
                Audit.endState(aws.inspectEc2(), vpc).interfaces().get("ssm").getFirst().vpcEndpointId(), "the first run's endpoint is kept");
        Audit.safety(stack.calls, aws.inspectEc2(), vpc);

        CallLog.Call[] before = stack.calls.mutatingCalls().toArray(CallLog.Call[]::new);
        stack.calls.clear();
        Execution third = workflow.execute("{\"vpcId\": \"" + vpc + "\"}");

        assertTrue(third.succeeded(), () -> Audit.describe(third));
        assertEquals("compliant", third.output().path("outcome").asText());
        assertEquals(List.of(), stack.calls.mutatingCalls().stream().map(CallLog.Call::operation).toList(),
                "a completed remediation run again changes nothing");
        System.out.printf("[reliability] convergence: broken after 2 of 3 endpoints (%s), rerun %s, third run %s with %d mutating calls "
                        + "(%d before)%n", broken.error(), rerun.output().path("outcome").asText(), third.output().path("outcome").asText(),
                stack.calls.mutatingCalls().size(), before.length);
    }

    @Test
    void completedConcurrentRemediationRunAgainMakesNoMutatingCall() {
        start(StrictEc2Rules.Config.AWS);
        Concurrent vpc = new Concurrent(world, 6);
        vpc.runAll(workflow).forEach(e -> assertTrue(e.succeeded(), () -> Audit.describe(e)));
        Audit.converged(Audit.endState(aws.inspectEc2(), vpc.vpc), vpc.zones());
        Audit.safety(stack.calls, aws.inspectEc2(), vpc.vpc);
        stack.calls.clear();

        List<Execution> again = vpc.runAll(workflow);

        again.forEach(e -> assertTrue(e.succeeded(), () -> Audit.describe(e)));
        assertEquals(Map.of("compliant", again.size()), Concurrent.outcomes(again));
        assertEquals(List.of(), stack.calls.mutatingCalls().stream().map(CallLog.Call::operation).toList());
        assertTrue(stack.calls.calls().size() > 0, "it did look");
    }

    @Test
    void answerLostAfterTheEndpointWasCreatedIsAbsorbedByTheClientToken() {
        start(StrictEc2Rules.Config.AWS);
        String vpc = world.vpc("10.0.0.0/16");
        String a = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        stack.faults().failNext(r -> createEndpointFor(r, "ssm") != null, 1, ScriptedError.LOST);

        Execution execution = workflow.execute("{\"subnetId\": \"" + a + "\"}");

        assertTrue(execution.succeeded(), () -> Audit.describe(execution));
        assertEquals(1, stack.faults().injected(FaultInjector.Kind.RESPONSE_LOST));
        Audit.converged(Audit.endState(aws.inspectEc2(), vpc), Set.of("us-east-1a"));
        Audit.safety(stack.calls, aws.inspectEc2(), vpc);
    }

    /** The counter-proof: with moto's leniency the same lost answer leaves two endpoints — the rules are what the test relies on. */
    @Test
    void withoutClientTokenIdempotencyTheSameLostAnswerDuplicates() {
        start(StrictEc2Rules.Config.LENIENT);
        String vpc = world.vpc("10.0.0.0/16");
        String a = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        stack.faults().failNext(r -> createEndpointFor(r, "ssm") != null, 1, ScriptedError.LOST);

        workflow.execute("{\"subnetId\": \"" + a + "\"}");

        assertEquals(2, Audit.endState(aws.inspectEc2(), vpc).interfaces().get("ssm").size());
    }
}
