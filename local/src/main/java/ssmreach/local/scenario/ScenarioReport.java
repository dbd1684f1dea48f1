package ssmreach.local.scenario;

import java.util.ArrayList;
import java.util.List;
import ssmreach.local.iam.Authorizer;

/**
 * A scenario run: every execution, the expectations on the world that were not met, and the calls
 * the local AWS refused as AWS would (IAM denials, DryRun probes included).
 */
public record ScenarioReport(Scenario scenario, ScenarioWorld world, List<TriggerRun> runs, List<String> worldFailures,
                             List<Authorizer.Denial> denials) {
    public ScenarioReport {
        runs = List.copyOf(runs);
        worldFailures = List.copyOf(worldFailures);
        denials = List.copyOf(denials);
    }

    /** Every execution ended as expected and the world is as expected. */
    public boolean passed() {
        return runs.stream().allMatch(TriggerRun::passed) && worldFailures.isEmpty();
    }

    /** Every unmet expectation, prefixed by its execution number ("[2] ...") or "world: ". */
    public List<String> failures() {
        List<String> all = new ArrayList<>();
        runs.forEach(run -> run.failures().forEach(f -> all.add("[" + run.trigger().number() + "] " + f)));
        worldFailures.forEach(f -> all.add("world: " + f));
        return all;
    }
}
