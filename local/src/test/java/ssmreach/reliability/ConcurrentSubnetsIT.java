package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.testing.World;

/**
 * Terraform creates many subnets of one VPC in one apply: each CreateSubnet event starts its own
 * execution, all at once, through the strict proxy (ClientToken, private-DNS conflict, one subnet
 * per zone, pending endpoints). Nothing may be duplicated, no zone left out, no execution failed.
 */
@ExtendWith(LocalAwsExtension.class)
class ConcurrentSubnetsIT {
    static final int SUBNETS = Concurrent.FULL ? 12 : 10;

    private final LocalAws aws;
    private final World world;
    private StrictStack stack;
    private LocalWorkflow workflow;

    ConcurrentSubnetsIT(LocalAws aws) {
        this.aws = aws;
        this.world = new World(aws.inspectEc2());
    }

    @BeforeEach
    void setUp() {
        stack = new StrictStack(aws, StrictEc2Rules.Config.AWS, FaultInjector.none());
        String topic = aws.inspectSns().createTopic(r -> r.name("ssm-reach-results")).topicArn();
        workflow = stack.workflow(LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topic)));
    }

    @AfterEach
    void tearDown() {
        workflow.close();
        stack.close();
    }

    @Test
    void manySubnetsAtOnceGiveOneEndpointPerServiceCoveringEveryZone() {
        Concurrent vpc = new Concurrent(world, SUBNETS);

        long started = System.nanoTime();
        List<Execution> executions = vpc.runAll(workflow);
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;

        for (Execution execution : executions) {
            assertTrue(execution.succeeded(), () -> Audit.describe(execution));
        }
        Audit.EndState state = Audit.endState(aws.inspectEc2(), vpc.vpc);
        Audit.converged(state, vpc.zones());
        Audit.safety(stack.calls, aws.inspectEc2(), vpc.vpc);
        System.out.printf("[reliability] concurrency: %d subnets in %d zones, %d executions at once: %s in %d s; "
                        + "StateRetried %d; mutating calls %d%n", SUBNETS, vpc.zones().size(), executions.size(),
                Concurrent.outcomes(executions), seconds, executions.stream().mapToLong(Audit::retries).sum(),
                stack.calls.mutatingCalls().size());
    }
}
