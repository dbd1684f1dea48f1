package ssmreach.local.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;

/**
 * One execution of a scenario and how it measured up.
 *
 * @param input the execution input as sent, ids filled in
 * @param result the result document: the execution's output, or the one ReportFailure published
 *     for a failed execution; null when there is none
 * @param mutations the mutating AWS calls made while it ran (by every execution of its concurrent group)
 * @param failures the expectations it did not meet; empty when it passed
 */
public record TriggerRun(Scenario.Trigger trigger, String input, Execution execution, JsonNode result,
                         List<CallLog.Call> mutations, List<String> failures) {
    public TriggerRun {
        mutations = List.copyOf(mutations);
        failures = List.copyOf(failures);
    }

    public boolean passed() {
        return failures.isEmpty();
    }

    /** The result document's outcome, e.g. remediated, skipped, gone, failed; null without a document. */
    public String outcome() {
        return result == null || !result.hasNonNull("outcome") ? null : result.get("outcome").asText();
    }
}
