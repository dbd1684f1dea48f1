package ssmreach.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

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
        /** An event as the interpreter logged it, at that time. */
        public static Event of(JsonNode json, Instant timestamp) {
            JsonNode state = json.path("state");
            return new Event(json.path("type").asText(), timestamp, state.hasNonNull("name") ? state.get("name").asText() : null,
                    state.hasNonNull("type") ? state.get("type").asText() : null, json);
        }

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

    private static final Set<String> END_EVENTS = Set.of("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimeout", "ExecutionAborted");

    public Execution {
        path = List.copyOf(path);
        events = List.copyOf(events);
    }

    /**
     * An execution from its events: how it ended is its last end event (the executions it started
     * without waiting may log on after it); its path, the StateEntered events {@code inPath} keeps.
     *
     * @throws IllegalStateException when no event ends it
     */
    public static Execution of(List<Event> events, Predicate<Event> inPath) {
        Event end = events.reversed().stream().filter(e -> END_EVENTS.contains(e.type())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no end among its events; the last is "
                        + (events.isEmpty() ? "none" : events.getLast().type())));
        Status status = switch (end.type()) {
            case "ExecutionSucceeded" -> Status.SUCCEEDED;
            case "ExecutionFailed" -> Status.FAILED;
            case "ExecutionTimeout" -> Status.TIMED_OUT;
            default -> Status.ABORTED;
        };
        JsonNode cause = end.json().get("Cause");
        String error = switch (status) {
            case FAILED -> end.json().path("Error").asText(null);
            case TIMED_OUT -> "States.Timeout";
            default -> null;
        };
        List<String> path = events.stream().filter(e -> "StateEntered".equals(e.type()) && inPath.test(e)).map(Event::state).toList();
        return new Execution(status, status == Status.SUCCEEDED ? end.json().get("output") : null, error,
                cause == null || cause.isNull() ? null : cause.isTextual() ? cause.asText() : cause.toString(), path, events,
                Duration.between(events.getFirst().timestamp(), end.timestamp()));
    }

    /**
     * The executions this one started (one per VPC of a batch, and those that wait), each as it ran,
     * by name in the order they started; one that did not end is left out.
     */
    public Map<String, Execution> children() {
        Map<String, List<Event>> byName = new LinkedHashMap<>();
        for (Event event : events) {
            if ("ChildExecution".equals(event.type())) {
                byName.computeIfAbsent(event.json().path("execution").asText(), name -> new ArrayList<>())
                        .add(Event.of(event.json().path("event"), event.timestamp()));
            }
        }
        Map<String, Execution> children = new LinkedHashMap<>();
        byName.forEach((name, childEvents) -> {
            if (childEvents.stream().anyMatch(e -> END_EVENTS.contains(e.type()))) {
                children.put(name, of(childEvents, e -> !e.nested()));
            }
        });
        return children;
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
