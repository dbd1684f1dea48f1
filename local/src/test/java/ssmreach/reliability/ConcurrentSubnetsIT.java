package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.local.World;

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
        workflow = stack.workflow();
    }

    @AfterEach
    void tearDown() {
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
                        + "StateRetried %d %s; mutating calls %d%n", SUBNETS, vpc.zones().size(), executions.size(),
                Concurrent.outcomes(executions), seconds, executions.stream().mapToLong(Audit::retries).sum(), Audit.retried(executions),
                stack.calls.mutatingCalls().size());
    }

    @Test
    void eachEndpointCreationIsReportedOnce() {
        Concurrent vpc = new Concurrent(world, SUBNETS);

        List<Execution> executions = vpc.runAll(workflow);

        executions.forEach(e -> assertTrue(e.succeeded(), () -> Audit.describe(e)));
        Map<String, Integer> claims = new java.util.TreeMap<>();
        int zonesAdded = 0;
        for (Execution execution : executions) {
            execution.output().path("actions").forEach(a -> {
                if ("CreateVpcEndpoint".equals(a.path("operation").asText()) && !a.path("planned").asBoolean()) {
                    claims.merge(a.path("resource").asText(), 1, Integer::sum);
                }
            });
            zonesAdded += execution.output().path("endpointZonesAdded").asInt();
        }
        assertEquals(Audit.SERVICES.size() + 1, claims.size(), "the interface endpoints and the S3 gateway were created: " + claims);
        claims.forEach((endpoint, count) -> assertEquals(1, count, endpoint + " reported as created by " + count + " executions"));
        assertEquals(Audit.SERVICES.size() * vpc.zones().size(), zonesAdded, "endpoint-zones added, summed over the published results");
    }
}
