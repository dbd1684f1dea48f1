package ssmreach.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import ssmreach.local.LocalAws;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioReport;
import ssmreach.local.scenario.ScenarioRunner;
import ssmreach.local.scenario.TriggerRun;
import ssmreach.testing.LocalAwsExtension;

/**
 * The scenario checks can fail: a scenario whose every expectation is wrong (the workflow itself
 * works) is reported as failed, each wrong expectation by name; the same scenario with the right
 * expectations passes.
 */
@ExtendWith(LocalAwsExtension.class)
class WorkflowExpectationsIT {
    private static final String WORLD = """
            "world": {
              "vpcs": [{"name": "main", "cidr": "10.0.0.0/16"}],
              "subnets": [{"name": "isolated-a", "cidr": "10.0.1.0/24", "zone": "us-east-1a"}]
            }""";

    @Test
    void everyWrongExpectationIsReported(LocalAws aws) {
        Scenario wrong = Scenario.parse("wrong-on-purpose", """
                {"description": "an isolated subnet, with wrong expectations", %s,
                 "triggers": [{"input": {"subnetId": "${isolated-a}"},
                   "expect": {"status": "FAILED", "path": ["ParseTrigger", "ReportFailure"], "notEntered": ["PrepareVpc"],
                              "retried": ["EnsureEndpoints"], "caught": ["ClassifySubnets"],
                              "output": {"outcome": "skipped", "subnets.0.subnetId": "${main}", "actions.*.planned": true},
                              "findings": ["NO_SUCH_FINDING"], "mutations": ["CreateTags"]}}],
                 "expect": {"vpcs": {"main": {"dnsHostnames": false, "managedSecurityGroups": 2,
                                              "endpoints": {"ssm": {"count": 2, "zones": ["us-east-1b"], "managedGroup": false}}}},
                            "subnets": {"isolated-a": {"tags": {"ssm-reach:status": "out-of-scope", "ssm-reach:route": null}}}}}
                """.formatted(WORLD));

        ScenarioReport report = ScenarioRunner.run(aws, wrong, new ScenarioRunner.Listener() {});

        assertFalse(report.passed());
        TriggerRun run = report.runs().getFirst();
        assertTrue(run.execution().succeeded(), "the workflow itself succeeded: only the expectations are wrong");
        assertEquals(List.of("status", "path", "path", "retried", "caught", "output.outcome", "output.subnets.0.subnetId",
                "output.actions.*.planned", "findings", "mutations"), kinds(run.failures()));
        assertEquals(List.of("vpc main", "vpc main", "vpc main", "vpc main", "vpc main", "subnet isolated-a", "subnet isolated-a"),
                kinds(report.worldFailures()));
        assertTrue(report.failures().getFirst().startsWith("[1] status: expected FAILED, got SUCCEEDED"), report.failures().getFirst());
    }

    @Test
    void rightExpectationsPass(LocalAws aws) {
        Scenario right = Scenario.parse("right", """
                {"description": "an isolated subnet, with right expectations", %s,
                 "triggers": [{"input": {"subnetId": "${isolated-a}"},
                   "expect": {"status": "SUCCEEDED", "path": ["ParseTrigger", "PrepareVpc", "Report"], "notEntered": ["ReportFailure"],
                              "output": {"outcome": "remediated", "subnets.0.subnetId": "${isolated-a}", "actions.*.planned": false}}}],
                 "expect": {"vpcs": {"main": {"dnsHostnames": true, "managedSecurityGroups": 1,
                                              "endpoints": {"ssm": {"count": 1, "zones": ["us-east-1a"], "managedGroup": true}}}},
                            "subnets": {"isolated-a": {"tags": {"ssm-reach:status": "reachable", "ssm-reach:skip": null}}}}}
                """.formatted(WORLD));

        ScenarioReport report = ScenarioRunner.run(aws, right, new ScenarioRunner.Listener() {});

        assertTrue(report.passed(), () -> String.join("\n", report.failures()));
    }

    /** What each failure is about: the text before its first colon. */
    private static List<String> kinds(List<String> failures) {
        return failures.stream().map(f -> f.substring(0, f.indexOf(':'))).toList();
    }
}
