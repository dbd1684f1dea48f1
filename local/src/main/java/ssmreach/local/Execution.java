package ssmreach.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One execution of a state machine definition, as the interpreter logged it.
 *
 * @param status how it ended
 * @param output the execution's output; null unless it succeeded
 * @param error the error name (an exception class, a Fail state's Error, States.*); null if it succeeded
 * @param cause the error's cause, as text (JSON text when the interpreter gave an object); may be null
 * @param path the top-level states entered, in order (a state retried is entered once)
 * @param events every event, in order, including those of Map iterations and Parallel branches
 * @param duration wall-clock time from start to end, as the interpreter measured it
 */
public record Execution(
        Status status,
        JsonNode output,
        String error,
        String cause,
        List<String> path,
        List<Event> events,
        Duration duration) {

    /** As the Step Functions API names an execution's status. */
    public enum Status { SUCCEEDED, FAILED, TIMED_OUT, ABORTED }

    /**
     * One event of the interpreter's log: {@code type} is ExecutionStarted, StateEntered,
     * StateExited, StateFailed, StateRetried, StateCaught, MapIteration*, ParallelBranch*,
     * ExecutionSucceeded, ExecutionFailed, ExecutionAborted or ExecutionTimeout. {@code state} and
     * {@code stateType} are null for execution events; {@code json} is the event as logged.
     */
    public record Event(String type, Instant timestamp, String state, String stateType, JsonNode json) {
        /**
         * True for an event of a Map iteration (it has an {@code index}) or a Map/Parallel
         * iteration event. The interpreter marks a Parallel branch's state events in no way:
         * {@link Execution#path()} leaves them out by their names, those of no top-level state.
         */
        public boolean nested() {
            return json.has("index") || json.has("parentState");
        }

        /** The Error of a StateFailed or Execution/iteration failure event; null otherwise. */
        public String error() {
            return json.hasNonNull("Error") ? json.get("Error").asText() : null;
        }
    }

    public Execution {
        path = List.copyOf(path);
        events = List.copyOf(events);
    }

    public boolean succeeded() {
        return status == Status.SUCCEEDED;
    }

    /** The output as JSON text; null unless the execution succeeded. */
    public String outputJson() {
        return output == null ? null : output.toString();
    }

    /** The top-level events of one type about one state, e.g. ("StateRetried", "ParseTrigger"). */
    public List<Event> events(String type, String state) {
        return events.stream()
                .filter(event -> !event.nested() && type.equals(event.type()) && state.equals(event.state()))
                .toList();
    }

    /** The output of the last time {@code state} was left at the top level; null if it never was. */
    public JsonNode stateOutput(String state) {
        List<Event> exits = events("StateExited", state);
        return exits.isEmpty() ? null : exits.getLast().json().path("state").get("output");
    }
}
