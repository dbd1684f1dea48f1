package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileAssociation;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.local.World;
import ssmreach.testing.LocalAwsExtension;

/**
 * The instance path under concurrency, faults and duplicate delivery, through the strict proxy:
 * instances launched without a profile in the same apply as their isolated subnets, so that the
 * subnets' executions and the instances' own executions race for the same instances. Each instance
 * ends with exactly one association, the stack's profile, made by one execution and reported by
 * one; each execution that reports an instance reports it Online.
 */
@ExtendWith(LocalAwsExtension.class)
class InstanceReliabilityIT {
    static final String OURS = "arn:aws:iam::123456789012:instance-profile/" + LocalFunctions.INSTANCE_PROFILE;
    static final String ASSOCIATE = "AssociateIamInstanceProfile";
    /** What the handler reads after AssociateIamInstanceProfile is refused with IncorrectState, and only then. */
    static final String REREAD = "DescribeIamInstanceProfileAssociations";
    static final int SUBNETS = 3;
    static final int INSTANCES_PER_SUBNET = Concurrent.FULL ? 4 : 3;
    static final int INSTANCES_PER_SUBNET_UNDER_FAULTS = Concurrent.FULL ? 3 : 2;
    static final long SEED = 20261129L;
    /**
     * StateRetried events one execution may need at FaultsIT's rates, as there. The instance path
     * adds Lambda invocations to an execution (one EnsureInstanceProfile per instance, a turn of
     * CheckRegistration per registration wait) but no retry of its own: the registration wait is a
     * Wait/Choice loop, and a StateRetried still needs a call whose SDK retries all failed.
     */
    static final int RETRIES_PER_EXECUTION = FaultsIT.RETRIES_PER_EXECUTION;

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private StrictStack stack;
    private LocalWorkflow workflow;
    private FaultInjector faults;

    InstanceReliabilityIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    @BeforeEach
    void setUp() {
        LocalFunctions.createInstanceProfile(aws.inspectIam());
        faults = new FaultInjector(SEED);
        stack = new StrictStack(aws, StrictEc2Rules.Config.AWS, faults);
        workflow = stack.workflow();
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    @Test
    void instancesAndSubnetsLaunchedTogether() {
        Launches launches = new Launches(world, SUBNETS, INSTANCES_PER_SUBNET);

        long started = System.nanoTime();
        Map<String, Execution> executions = runAtOnce(launches.events());
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;

        assertInstancePath(launches, executions);
        // Without faults every AssociateIamInstanceProfile sent either made an association (claimed
        // once above) or was refused with IncorrectState and followed by one re-read.
        List<CallLog.Call> sent = calls(ASSOCIATE);
        List<CallLog.Call> reread = calls(REREAD);
        assertEquals(launches.instances.size(), sent.size() - reread.size(),
                "associations sent " + sent.size() + ", refused and re-read " + reread.size());
        System.out.printf("[reliability] instances: %d subnets, %d instances without a profile, %d executions at once: %s in %d s; "
                        + "StateRetried %d %s; mutating calls %d; %s sent %d (refused with IncorrectState and re-read %d)%n",
                SUBNETS, launches.instances.size(), executions.size(), Concurrent.outcomes(List.copyOf(executions.values())), seconds,
                executions.values().stream().mapToLong(Audit::retries).sum(), Audit.retried(executions.values()),
                stack.calls.mutatingCalls().size(), ASSOCIATE,
                sent.size(), reread.size());
    }

    /**
     * FaultsIT's rates on every service the proxy serves, not EC2 alone: the instance path also
     * reads SSM (the registration wait) and publishes to EventBridge and SNS.
     */
    @Test
    void instancesUnderFaults() {
        faults.rates(FaultInjector.Rates.of(FaultsIT.THROTTLE, FaultsIT.SERVER_ERRORS, FaultsIT.LATENCY, FaultsIT.MAX_LATENCY)
                .forAllServices());
        Launches launches = new Launches(world, SUBNETS, INSTANCES_PER_SUBNET_UNDER_FAULTS);

        long started = System.nanoTime();
        Map<String, Execution> executions = runAtOnce(launches.events());
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;

        assertInstancePath(launches, executions);
        List<Execution> all = List.copyOf(executions.values());
        long worst = all.stream().mapToLong(Audit::retries).max().orElse(0);
        System.out.printf("[reliability] instances under faults, %d%% throttling + %d%% 5xx on every service: %d instances, "
                        + "%d executions %s in %d s; requests %d (not EC2: %d calls), faults %s; SDK retries %d; StateRetried %d %s "
                        + "(worst execution %d); mutating calls %d; %s sent %d (re-read %d)%n",
                (int) (FaultsIT.THROTTLE * 100), (int) (FaultsIT.SERVER_ERRORS * 100), launches.instances.size(), all.size(),
                Concurrent.outcomes(all), seconds, faults.requests(),
                stack.calls.calls().stream().filter(c -> !"Ec2".equals(c.service())).count(), faults.counts(), faults.sdkRetries(),
                all.stream().mapToLong(Audit::retries).sum(), Audit.retried(all), worst, stack.calls.mutatingCalls().size(), ASSOCIATE,
                calls(ASSOCIATE).size(), calls(REREAD).size());
        Audit.assertSdkRetriesOnlyFailures(faults, stack.proxy.throttling());
        assertTrue(worst <= RETRIES_PER_EXECUTION, "workflow retries per execution bounded: worst " + worst);
    }

    /**
     * The same running event twice at once. Both executions are made to decide to associate before
     * either does: the first AssociateIamInstanceProfile is held until the second is about to be
     * sent, and the second until the first association is visible. So both send it, and the second
     * meets the association the first made, as two deliveries racing in AWS can (the emulator checks
     * and associates in two steps; AWS in one, so the order is set here rather than left to it).
     */
    @Test
    void sameRunningEventTwiceAtOnce() {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        String instance = world.instance(subnet, null);
        bothDecideBeforeEitherAssociates(instance);
        String event = Launches.runningEvent(instance);

        List<Execution> twice = Concurrent.runConcurrently(workflow, List.of(event, event));

        twice.forEach(e -> assertTrue(e.succeeded(), () -> Audit.describe(e)));
        assertEquals(List.of(OURS), profilesAssociated(instance), instance + ": one association, the stack's profile");
        assertEquals(Map.of(instance, 1), associationsClaimed(twice), "AssociateIamInstanceProfile reported by exactly one execution");
        List<String> actions = new ArrayList<>();
        for (Execution execution : twice) {
            assertTrue(Set.of("remediated", "compliant").contains(execution.output().path("outcome").asText()),
                    () -> "outcome: " + execution.output());
            JsonNode reported = reported(execution, instance);
            assertNotNull(reported, () -> instance + " not in the result: " + execution.output().path("instances"));
            assertEquals("Online", reported.path("registration").asText(), () -> instance + " in " + execution.output());
            actions.add(reported.path("profileAction").asText());
        }
        assertEquals(List.of("associated", "existing-ok"), actions.stream().sorted().toList(), "profile actions reported");
        // CallLog records a call when it is sent, before any answer: both deliveries sent it. The one
        // refused with IncorrectState re-read the association (DescribeIamInstanceProfileAssociations,
        // which nothing else calls), found the stack's profile and claimed nothing; so one call made
        // the association.
        List<CallLog.Call> sent = calls(ASSOCIATE);
        List<CallLog.Call> reread = calls(REREAD);
        assertEquals(2, sent.size(), "both deliveries sent AssociateIamInstanceProfile: " + sent);
        assertEquals(1, reread.size(), "one was refused and re-read: " + reread);
        assertTrue(reread.getFirst().request().contains(instance), reread.getFirst().request());
        assertEquals(1, sent.size() - reread.size(), "AssociateIamInstanceProfile calls that made an association");
        Audit.converged(Audit.endState(ec2, vpc), Set.of("us-east-1a"));
        Audit.safety(stack.calls, ec2, vpc);
        System.out.printf("[reliability] same running event twice at once: %s; %s sent %d, refused with IncorrectState and re-read %d, "
                        + "claimed %d; mutating calls %d%n", Concurrent.outcomes(twice), ASSOCIATE, sent.size(), reread.size(),
                associationsClaimed(twice).get(instance), stack.calls.mutatingCalls().size());
    }

    /** The end-state and reporting checks every scenario of launches ends with. */
    private void assertInstancePath(Launches launches, Map<String, Execution> executions) {
        executions.values().forEach(e -> assertTrue(e.succeeded(), () -> Audit.describe(e)));
        executions.forEach((target, e) -> assertTrue(Set.of("remediated", "compliant").contains(e.output().path("outcome").asText()),
                () -> target + ": " + e.output()));
        Map<String, Integer> expectedClaims = new TreeMap<>();
        launches.instances.keySet().forEach(instance -> expectedClaims.put(instance, 1));
        assertEquals(expectedClaims, associationsClaimed(executions.values()),
                "AssociateIamInstanceProfile reported by exactly one execution per instance");
        for (Map.Entry<String, String> launched : launches.instances.entrySet()) {
            String instance = launched.getKey();
            // The emulator keeps one association per instance: a second one made would replace the
            // first, which the claims above (one per call that succeeded) would show.
            assertEquals(List.of(OURS), profilesAssociated(instance), instance + ": one association, the stack's profile");
            JsonNode own = reported(executions.get(instance), instance);
            assertNotNull(own, () -> instance + " not in its own execution's result: " + executions.get(instance).output());
            JsonNode inSubnet = reported(executions.get(launched.getValue()), instance);
            assertNotNull(inSubnet, () -> instance + " not in its subnet's execution's result: " + executions.get(launched.getValue()).output());
            int associated = 0;
            for (Map.Entry<String, Execution> execution : executions.entrySet()) {
                JsonNode reported = reported(execution.getValue(), instance);
                if (reported == null) {
                    continue;
                }
                assertEquals("Online", reported.path("registration").asText(), () -> instance + " in the execution of " + execution.getKey()
                        + ": " + reported);
                assertEquals(OURS, reported.path("profileArn").asText(), () -> instance + " in the execution of " + execution.getKey());
                String action = reported.path("profileAction").asText();
                assertTrue(Set.of("associated", "existing-ok").contains(action), () -> instance + ": " + reported);
                associated += "associated".equals(action) ? 1 : 0;
            }
            assertEquals(1, associated, instance + ": reported as associated by exactly one execution");
        }
        for (String subnet : launches.vpc.subnets.keySet()) {
            List<String> reported = new ArrayList<>();
            executions.get(subnet).output().path("instances").forEach(i -> reported.add(i.path("instanceId").asText()));
            assertEquals(launches.instancesIn(subnet).stream().sorted().toList(), reported.stream().sorted().toList(),
                    subnet + ": its execution reports the instances launched in it");
        }
        Audit.converged(Audit.endState(ec2, launches.vpc.vpc), launches.vpc.zones());
        Audit.safety(stack.calls, ec2, launches.vpc.vpc);
    }

    /** Every event started at once; each execution by what its event is about. */
    private Map<String, Execution> runAtOnce(Map<String, String> events) {
        List<Execution> executions = Concurrent.runConcurrently(workflow, List.copyOf(events.values()));
        Map<String, Execution> byTarget = new LinkedHashMap<>();
        int i = 0;
        for (String target : events.keySet()) {
            byTarget.put(target, executions.get(i++));
        }
        return byTarget;
    }

    private void bothDecideBeforeEitherAssociates(String instance) {
        CountDownLatch bothSending = new CountDownLatch(2);
        AtomicInteger arrivals = new AtomicInteger();
        stack.calls.onCall(call -> {
            if (!ASSOCIATE.equals(call.operation())) {
                return;
            }
            int arrival = arrivals.incrementAndGet();
            bothSending.countDown();
            try {
                if (arrival == 1) {
                    bothSending.await(60, TimeUnit.SECONDS);
                } else if (arrival == 2) {
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (profilesAssociated(instance).isEmpty() && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** The profiles of the instance's associations that count (associating or associated), read from the emulator. */
    private List<String> profilesAssociated(String instance) {
        return ec2.describeIamInstanceProfileAssociations(r -> r.filters(f -> f.name("instance-id").values(instance),
                        f -> f.name("state").values("associating", "associated")))
                .iamInstanceProfileAssociations().stream().map(IamInstanceProfileAssociation::iamInstanceProfile)
                .map(p -> p.arn()).toList();
    }

    /** Instance id → how many execution outputs claim an AssociateIamInstanceProfile done (not planned) on it. */
    private static Map<String, Integer> associationsClaimed(Collection<Execution> executions) {
        Map<String, Integer> claims = new TreeMap<>();
        for (Execution execution : executions) {
            execution.output().path("actions").forEach(a -> {
                if (ASSOCIATE.equals(a.path("operation").asText()) && !a.path("planned").asBoolean()) {
                    claims.merge(a.path("resource").asText(), 1, Integer::sum);
                }
            });
        }
        return claims;
    }

    /** The instance as the execution's result reports it; null when it is not there. */
    private static JsonNode reported(Execution execution, String instance) {
        for (JsonNode i : execution.output().path("instances")) {
            if (instance.equals(i.path("instanceId").asText())) {
                return i;
            }
        }
        return null;
    }

    private List<CallLog.Call> calls(String operation) {
        return stack.calls.calls().stream().filter(c -> operation.equals(c.operation())).toList();
    }
}
