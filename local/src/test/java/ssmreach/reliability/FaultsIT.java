package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.local.World;

/**
 * One isolated subnet and the concurrency scenario while EC2 throttles, fails with 500/503 and
 * answers slowly: the same end state as without faults, nothing duplicated, and the retries
 * (the SDK's and the workflow's) bounded: 20% throttling + 5% 5xx + latency on a quarter of the
 * calls (12 subnets in the full run, 10 in CI). Then connections closed before or after EC2 acted.
 */
@ExtendWith(LocalAwsExtension.class)
class FaultsIT {
    static final long SEED = 20261128L;
    static final double THROTTLE = 0.20;
    static final double SERVER_ERRORS = 0.05;
    static final double LATENCY = 0.25;
    static final Duration MAX_LATENCY = Duration.ofMillis(Concurrent.FULL ? 300 : 150);
    /** StateRetried events one execution may need at these rates; a retry storm goes far beyond. */
    static final int RETRIES_PER_EXECUTION = 8;

    private final LocalAws aws;
    private final World world;
    private StrictStack stack;
    private LocalWorkflow workflow;
    private FaultInjector faults;

    FaultsIT(LocalAws aws) {
        this.aws = aws;
        this.world = new World(aws.inspectEc2());
    }

    @BeforeEach
    void setUp() {
        faults = new FaultInjector(SEED);
        stack = new StrictStack(aws, StrictEc2Rules.Config.AWS, faults);
        workflow = stack.workflow();
        faults.rates(FaultInjector.Rates.of(THROTTLE, SERVER_ERRORS, LATENCY, MAX_LATENCY));
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    @Test
    void oneSubnetUnderFaults() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");

        Execution execution = workflow.execute("{\"subnetId\": \"" + subnet + "\"}");

        assertTrue(execution.succeeded(), () -> Audit.describe(execution));
        assertEquals("remediated", execution.output().path("outcome").asText());
        Audit.converged(Audit.endState(aws.inspectEc2(), vpc), Set.of("us-east-1a"));
        Audit.safety(stack.calls, aws.inspectEc2(), vpc);
        assertBounded(List.of(execution), "one isolated subnet, 20% throttling + 5% 5xx");
    }

    @Test
    void concurrencyScenarioUnderFaults() {
        Concurrent vpc = new Concurrent(world, ConcurrentSubnetsIT.SUBNETS);

        List<Execution> executions = vpc.runAll(workflow);

        for (Execution execution : executions) {
            assertTrue(execution.succeeded(), () -> Audit.describe(execution));
        }
        Audit.converged(Audit.endState(aws.inspectEc2(), vpc.vpc), vpc.zones());
        Audit.safety(stack.calls, aws.inspectEc2(), vpc.vpc);
        assertBounded(executions, ConcurrentSubnetsIT.SUBNETS + " subnets at once, " + (int) (THROTTLE * 100) + "% throttling + "
                + (int) (SERVER_ERRORS * 100) + "% 5xx");
    }

    @Test
    void droppedConnectionsAndLostResponses() {
        faults.rates(FaultInjector.Rates.of(0, 0, LATENCY, MAX_LATENCY).withDropped(0.05, 0.05));
        Concurrent vpc = new Concurrent(world, 4);

        List<Execution> executions = vpc.runAll(workflow);

        for (Execution execution : executions) {
            assertTrue(execution.succeeded(), () -> Audit.describe(execution));
        }
        Audit.converged(Audit.endState(aws.inspectEc2(), vpc.vpc), vpc.zones());
        Audit.safety(stack.calls, aws.inspectEc2(), vpc.vpc);
        assertBounded(executions, "4 subnets at once, 5% connections dropped + 5% answers lost after EC2 acted");
    }

    private void assertBounded(List<Execution> executions, String scenario) {
        long stateRetries = executions.stream().mapToLong(Audit::retries).sum();
        long worst = executions.stream().mapToLong(Audit::retries).max().orElse(0);
        System.out.printf("[reliability] faults, %s: %d executions %s; requests %d, faults %s; SDK retries %d; "
                        + "StateRetried %d (worst execution %d); mutating calls %d%n", scenario, executions.size(),
                Concurrent.outcomes(executions), faults.requests(), faults.counts(), faults.sdkRetries(), stateRetries, worst,
                stack.calls.mutatingCalls().size());
        Audit.assertSdkRetriesOnlyFailures(faults, stack.proxy.throttling());
        assertTrue(worst <= RETRIES_PER_EXECUTION, "workflow retries per execution bounded: worst " + worst);
    }
}
