package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.LocalAws;
import ssmreach.local.run.Timeline;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioReport;
import ssmreach.local.scenario.ScenarioRunner;
import ssmreach.local.scenario.TriggerRun;
import ssmreach.testing.LocalAwsExtension;

/**
 * Scenario files of local/scenarios, the default one first (subnets and instances, registration
 * included), while every service the proxy serves throttles, fails with 500/503 and answers
 * slowly, at FaultsIT's rates: each must still end exactly as its file expects (the safety rules
 * of {@link ssmreach.local.Safety} included, as for every scenario), with bounded retries.
 */
@ExtendWith(LocalAwsExtension.class)
class ScenarioFilesUnderFaultsIT {
    private final LocalAws aws;

    ScenarioFilesUnderFaultsIT(LocalAws aws) {
        this.aws = aws;
    }

    @AfterEach
    void noMoreFaults() {
        aws.faults().rates(FaultInjector.Rates.NONE).clear();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "concurrent-subnets", "instance-foreign-role-attach-policy"})
    void scenarioEndsAsExpectedUnderFaults(String name) {
        Scenario scenario = Scenario.load(name);
        FaultInjector faults = aws.faults();
        faults.clear();
        faults.rates(FaultInjector.Rates.of(FaultsIT.THROTTLE, FaultsIT.SERVER_ERRORS, FaultsIT.LATENCY, FaultsIT.MAX_LATENCY)
                .forAllServices());
        ByteArrayOutputStream timeline = new ByteArrayOutputStream();

        ScenarioReport report = ScenarioRunner.run(aws, scenario, new Timeline(new PrintStream(timeline, true, StandardCharsets.UTF_8)));

        assertTrue(report.passed(), () -> name + ": " + String.join("\n  ", report.failures())
                + "\n\ntimeline:\n" + timeline.toString(StandardCharsets.UTF_8));
        List<Execution> executions = report.runs().stream().map(TriggerRun::execution).toList();
        long worst = executions.stream().mapToLong(Audit::retries).max().orElse(0);
        System.out.printf("[reliability] faults on every service, scenario %s: %d executions; requests %d, faults %s; "
                        + "SDK retries %d; StateRetried %d %s (worst execution %d)%n", name, executions.size(), faults.requests(),
                faults.counts(), faults.sdkRetries(), executions.stream().mapToLong(Audit::retries).sum(), Audit.retried(executions),
                worst);
        Audit.assertSdkRetriesOnlyFailures(faults, aws.throttling());
        assertTrue(worst <= FaultsIT.RETRIES_PER_EXECUTION, "workflow retries per execution bounded: worst " + worst);
    }
}
