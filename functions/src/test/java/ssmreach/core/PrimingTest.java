package ssmreach.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import ssmreach.SdkMocks;
import ssmreach.TestInputs;
import ssmreach.diagnosis.DiagnoseHandler;
import ssmreach.endpoint.CheckEndpointsHandler;
import ssmreach.endpoint.EnsureEndpointsHandler;
import ssmreach.instance.CheckRegistrationHandler;
import ssmreach.instance.EnsureInstanceProfileHandler;
import ssmreach.instance.SelectInstancesHandler;
import ssmreach.result.ReportHandler;
import ssmreach.subnet.ClassifySubnetsHandler;
import ssmreach.trigger.GroupTargetsHandler;
import ssmreach.trigger.ParseTriggerHandler;
import ssmreach.trigger.TakeTurnHandler;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * SnapStart priming of every function: it goes through twins of the function's clients that the
 * canned AWS answers, never through the function's own clients; it asks for reads only; it opens
 * no connection and leaves no thread behind; it covers each client the function uses; and the
 * function answers afterwards as before.
 */
class PrimingTest {
    /** The read operations of the AWS APIs the functions use: no mutation has such a name. */
    private static final Pattern READ = Pattern.compile("(ec2|iam|ssm|events|sns|states):(Describe|Get|List|Simulate)[A-Za-z]+");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T14:06:53Z"), ZoneOffset.UTC);
    private static final Settings SETTINGS = TestInputs.settings(Map.of("AWS_REGION", "eu-central-1",
            "INSTANCE_PROFILE_ARN", "arn:aws:iam::123456789012:instance-profile/ssm-reach-SsmInstanceProfile-AbCdEf123456",
            "RESULT_TOPIC_ARN", "arn:aws:sns:eu-central-1:123456789012:ssm-reach-results"));

    /** The function's own clients: mocks, which must see no call at all. */
    record Own(Ec2Client ec2, IamClient iam, SsmClient ssm, EventBridgeClient events, SnsClient sns, SfnClient states) {
        static Own mocks() {
            return new Own(SdkMocks.ec2(), SdkMocks.iam(), SdkMocks.ssm(), SdkMocks.eventBridge(), SdkMocks.sns(), SdkMocks.sfn());
        }
    }

    /** Each function, built with mock clients, and the services (signing names) its code calls. */
    static Stream<Arguments> functions() {
        return Stream.of(
                function("ParseTrigger", own -> new ParseTriggerHandler(SETTINGS)),
                function("GroupTargets", own -> new GroupTargetsHandler(SETTINGS, own.ec2()), "ec2"),
                function("TakeTurn", own -> new TakeTurnHandler(own.states(), 20), "states"),
                function("ClassifySubnets", own -> new ClassifySubnetsHandler(SETTINGS, own.ec2()), "ec2"),
                function("PrepareVpc", own -> new PrepareVpcHandler(SETTINGS, own.ec2()), "ec2"),
                function("EnsureEndpoints", own -> new EnsureEndpointsHandler(SETTINGS, own.ec2()), "ec2"),
                function("CheckEndpoints", own -> new CheckEndpointsHandler(own.ec2()), "ec2"),
                function("SelectInstances", own -> new SelectInstancesHandler(SETTINGS, own.ec2(), CLOCK), "ec2"),
                function("EnsureInstanceProfile", own -> new EnsureInstanceProfileHandler(SETTINGS, own.ec2(), own.iam()),
                        "ec2", "iam"),
                function("CheckRegistration", own -> new CheckRegistrationHandler(own.ssm(), CLOCK), "ssm"),
                function("Diagnose", own -> new DiagnoseHandler(SETTINGS, own.ec2(), own.iam(), own.ssm()), "ec2", "iam", "ssm"),
                function("Report", own -> new ReportHandler(SETTINGS, own.ec2(), own.events(), own.sns(), CLOCK),
                        "ec2", "events", "sns"));
    }

    private static Arguments function(String name, Function<Own, JsonHandler<?, ?>> build, String... services) {
        return Arguments.of(name, build, Set.of(services));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void primingAsksTheCannedAwsForReadsOnlyAndNeverTheFunctionsOwnClients(String name, Function<Own, JsonHandler<?, ?>> build,
                                                                          Set<String> services) throws IOException {
        Own own = Own.mocks();

        Priming.Result result = Priming.prime(build.apply(own), SETTINGS);

        List<String> notReads = result.answered().stream().filter(op -> !READ.matcher(op).matches()).toList();
        assertEquals(List.of(), notReads, name + " primes with reads only");
        assertEquals(services, result.answered().stream().map(op -> op.substring(0, op.indexOf(':')))
                .collect(Collectors.toCollection(TreeSet::new)), name + " primes each client it uses, and only those");
        verifyNoInteractions(own.ec2(), own.iam(), own.ssm(), own.events(), own.sns(), own.states());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void primingOpensNoConnectionAndLeavesNoThread(String name, Function<Own, JsonHandler<?, ?>> build, Set<String> services)
            throws IOException {
        JsonHandler<?, ?> handler = build.apply(Own.mocks());
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        // Every SDK client reads this endpoint: one that really sent a request would connect here.
        try (ServerSocket aws = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            System.setProperty("aws.endpointUrl", "http://127.0.0.1:" + aws.getLocalPort());
            try {
                Priming.prime(handler, SETTINGS);
            } finally {
                System.clearProperty("aws.endpointUrl");
            }
            aws.setSoTimeout(1);
            assertThrows(SocketTimeoutException.class, aws::accept, name + " connected to the endpoint while priming");
        }
        Set<Thread> left = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                .collect(Collectors.toSet());
        assertEquals(Set.of(), left, name + " leaves no thread running after priming");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void primingRunsTheFunctionsOwnPathSeveralTimes(String name, Function<Own, JsonHandler<?, ?>> build, Set<String> services)
            throws IOException {
        Priming.Result result = Priming.prime(build.apply(Own.mocks()), SETTINGS);

        assertTrue(result.rounds() >= Priming.MIN_ROUNDS && result.rounds() <= Priming.MAX_ROUNDS, result.toString());
        assertEquals(0, result.answered().size() % result.rounds(), name + ": the same calls each round " + result.answered());
        assertTrue(services.isEmpty() || result.answered().size() >= result.rounds() * services.size(), result.answered().toString());
    }

    /**
     * Priming leaves nothing behind in the function: it answers an invocation after it exactly as
     * before. The function's own clients here are answered by the canned AWS too (Report's, whose
     * calls are mutations, by mocks), so that the invocation before and after has real answers.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void theFunctionAnswersAfterPrimingAsBefore(String name, Function<Own, JsonHandler<?, ?>> build, Set<String> services)
            throws IOException {
        try (Twins aws = new Twins(SETTINGS)) {
            EventBridgeClient events = SdkMocks.eventBridge();
            when(events.putEvents(any(PutEventsRequest.class))).thenReturn(PutEventsResponse.builder().failedEntryCount(0).build());
            Own own = name.equals("Report") ? new Own(SdkMocks.ec2(), aws.iam(), aws.ssm(), events, SdkMocks.sns(), aws.states())
                    : new Own(aws.ec2(), aws.iam(), aws.ssm(), events, SdkMocks.sns(), aws.states());
            JsonHandler<?, ?> function = build.apply(own);
            byte[] input = Priming.samples(function.getClass(), aws).getFirst();

            String before = invoke(function, input);
            Priming.prime(function, SETTINGS);
            String after = invoke(function, input);

            assertTrue(before.startsWith("{") && before.length() > 2, before);
            assertEquals(before, after);
        }
    }

    private static String invoke(JsonHandler<?, ?> function, byte[] input) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        function.handleRequest(new java.io.ByteArrayInputStream(input), out, null);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void aMutationIsNotAnsweredAndFailsThePriming() {
        JsonHandler<String, String> mutating = primingWith(twins ->
                twins.ec2().createTags(r -> r.resources("subnet-0123456789abcdef0").tags(t -> t.key("k").value("v"))));

        RuntimeException failure = assertThrows(RuntimeException.class, () -> Priming.prime(mutating, SETTINGS));

        assertTrue(String.valueOf(failure.getMessage()).contains("ec2:CreateTags"), failure.toString());
    }

    @Test
    void aFailedPrimingLeavesTheSnapshotToGoOnUnprimed() {
        JsonHandler<String, String> failing = primingWith(twins -> {
            throw new IllegalStateException("a priming bug");
        });
        failing.primeBeforeSnapshot(SETTINGS);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertDoesNotThrow(() -> failing.beforeCheckpoint(null));
        } finally {
            System.setOut(stdout);
        }

        String line = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(line.contains("\"level\":\"WARN\"") && line.contains("SnapStart priming") && line.contains("a priming bug"), line);
    }

    /** A function whose priming is {@code priming}. */
    private static JsonHandler<String, String> primingWith(java.util.function.Consumer<Twins> priming) {
        return new JsonHandler<>(String.class) {
            @Override
            public String handle(String input) {
                return input;
            }

            @Override
            protected void prime(Twins twins) {
                priming.accept(twins);
            }
        };
    }
}
