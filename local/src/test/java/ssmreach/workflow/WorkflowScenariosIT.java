package ssmreach.workflow;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import ssmreach.local.LocalAws;
import ssmreach.local.run.Timeline;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioReport;
import ssmreach.local.scenario.ScenarioRunner;
import ssmreach.testing.LocalAwsExtension;

/**
 * Every scenario of local/scenarios through the real state machine definition and functions on
 * the emulator: each execution's status, path and result, and the emulator's state afterwards,
 * as the scenario expects. A new case is a new file there, no code. To run some of them only:
 * {@code -Dssmreach.scenarios=NAME,PREFIX*} (names, or prefixes ending in *).
 */
@ExtendWith(LocalAwsExtension.class)
class WorkflowScenariosIT {
    static List<String> scenarios() {
        String only = System.getProperty("ssmreach.scenarios", "").strip();
        if (only.isEmpty()) {
            return Scenario.names();
        }
        List<String> wanted = Stream.of(only.split(",")).map(String::strip).filter(w -> !w.isEmpty()).toList();
        List<String> chosen = Scenario.names().stream().filter(name -> wanted.stream()
                .anyMatch(w -> w.endsWith("*") ? name.startsWith(w.substring(0, w.length() - 1)) : name.equals(w))).toList();
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("ssmreach.scenarios=" + only + " names no scenario of " + Scenario.DIRECTORY);
        }
        return chosen;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void scenarioEndsAsItExpects(String name, LocalAws aws) {
        Scenario scenario = Scenario.load(name);
        assumeTrue(scenario.pending() == null, () -> "pending: " + scenario.pending());
        ByteArrayOutputStream timeline = new ByteArrayOutputStream();

        ScenarioReport report = ScenarioRunner.run(aws, scenario, new Timeline(new PrintStream(timeline, true, StandardCharsets.UTF_8)));

        assertTrue(report.passed(), () -> name + ": " + String.join("\n  ", report.failures())
                + "\n\ntimeline:\n" + timeline.toString(StandardCharsets.UTF_8));
    }
}
