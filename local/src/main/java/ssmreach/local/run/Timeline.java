package ssmreach.local.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.iam.Authorizer;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioRunner;
import ssmreach.local.scenario.ScenarioWorld;
import ssmreach.local.scenario.TriggerRun;

/**
 * The readable timeline of a run, printed as it happens: each state entered ({@code >}) and left
 * ({@code <}, with the time spent in it), each mutating AWS call the functions make ({@code +}),
 * failures ({@code !}), retries ({@code ~}) and catches ({@code ^}), times in ms since the
 * execution started. Lines of executions running at once carry their number; those of an
 * execution it started (a batch's per VPC, the one that waits) carry that execution's name.
 */
public final class Timeline implements ScenarioRunner.Listener {
    private static final Pattern REQUEST_FIELDS = Pattern.compile("^\\w+\\((.*)\\)$", Pattern.DOTALL);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final PrintStream out;
    private final Map<Integer, Long> starts = new HashMap<>();
    private final Map<String, Long> entered = new HashMap<>();
    private ScenarioWorld world;

    public Timeline(PrintStream out) {
        this.out = out;
    }

    @Override
    public synchronized void seeded(ScenarioWorld seeded) {
        this.world = seeded;
        out.println("Seeded: " + String.join(", ", seeded.ids().entrySet().stream()
                .filter(e -> !e.getValue().startsWith("arn:")).map(e -> e.getKey() + " " + e.getValue()).toList()));
    }

    @Override
    public synchronized void action(Scenario.Action action) {
        out.println();
        out.println("-- " + action.label());
    }

    @Override
    public synchronized void started(Scenario.Trigger trigger, String input) {
        out.println();
        out.println("[" + trigger.number() + "] " + trigger.label() + (trigger.concurrent() ? " (concurrently)" : ""));
        starts.put(trigger.number(), System.currentTimeMillis());
    }

    @Override
    public synchronized void event(Scenario.Trigger trigger, Execution.Event event) {
        long start = starts.computeIfAbsent(trigger.number(), n -> event.timestamp().toEpochMilli());
        if (event.type().equals("ExecutionStarted")) {
            starts.put(trigger.number(), event.timestamp().toEpochMilli());
            return;
        }
        long at = event.timestamp().toEpochMilli() - starts.getOrDefault(trigger.number(), start);
        if (event.type().equals("ChildExecution")) {
            String name = event.json().path("execution").asText();
            render(trigger, Execution.Event.of(event.json().path("event"), event.timestamp()), at, name + ": ", name + "/");
        } else {
            render(trigger, event, at, "", "");
        }
    }

    private void render(Scenario.Trigger trigger, Execution.Event event, long at, String label, String keyPrefix) {
        String indent = label + (event.nested() ? "    " : "");
        String state = event.state() + (event.json().has("index") ? " #" + event.json().get("index").asInt() : "");
        String key = trigger.number() + "/" + keyPrefix + state;
        switch (event.type()) {
            case "StateEntered" -> {
                entered.put(key, event.timestamp().toEpochMilli());
                line(trigger, at, indent + "> " + state);
            }
            case "StateExited" -> {
                Long since = entered.remove(key);
                String spent = since == null ? "" : String.format("%6d ms", event.timestamp().toEpochMilli() - since);
                line(trigger, at, indent + "< " + pad(state, 28) + spent);
            }
            case "StateFailed" -> line(trigger, at, indent + "! " + state
                    + ("Fail".equals(event.stateType()) ? " (Fail state): " : " failed: ")
                    + event.error() + cause(event.error(), event.json().get("Cause")));
            case "StateRetried" -> line(trigger, at, indent + "~ " + state + " retried (retry "
                    + event.json().path("retry").path("attempt").asInt() + ")");
            case "StateCaught" -> line(trigger, at, indent + "^ " + state + " caught, next "
                    + event.json().path("catch").path("catcher").path("Next").asText("?"));
            case "MapIterationFailed", "ParallelBranchFailed" -> line(trigger, at, indent + "! "
                    + event.json().path("parentState").path("name").asText() + " iteration failed: " + event.error());
            case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimeout", "ExecutionAborted" -> {
                if (!label.isEmpty()) {
                    line(trigger, at, label + "= " + event.type().substring("Execution".length()).toUpperCase()
                            + (event.error() == null ? "" : " (" + event.error() + ")"));
                }
            }
            default -> { } // iteration starts and ends, this execution's end: the summary line says it
        }
    }

    @Override
    public synchronized void mutation(Scenario.Trigger trigger, CallLog.Call call) {
        Long start = trigger == null ? null : starts.get(trigger.number());
        long at = start == null ? -1 : System.currentTimeMillis() - start;
        String text = "+ " + call.service().toLowerCase() + " " + call.operation() + "  " + request(call.request());
        if (trigger == null) {
            out.println("             " + text);
        } else {
            line(trigger, at, "    " + text);
        }
    }

    @Override
    public synchronized void denied(Scenario.Trigger trigger, Authorizer.Denial denial) {
        Long start = trigger == null ? null : starts.get(trigger.number());
        long at = start == null ? -1 : System.currentTimeMillis() - start;
        String role = denial.principal().arn().replaceFirst("^.*:assumed-role/([^/]+)/.*$", "$1");
        String text = "! denied " + denial.action() + " on " + request(denial.resource()) + " (" + role + ")";
        if (trigger == null) {
            out.println("             " + text);
        } else {
            line(trigger, at, "    " + text);
        }
    }

    @Override
    public synchronized void finished(TriggerRun run) {
        Execution execution = run.execution();
        String outcome = run.outcome() == null ? "" : ": " + run.outcome();
        String error = execution.error() == null ? "" : " (" + execution.error() + ")";
        line(run.trigger(), execution.duration().toMillis(), "= " + execution.status() + outcome + error + ", "
                + run.mutations().size() + " mutating call" + (run.mutations().size() == 1 ? "" : "s")
                + (run.trigger().concurrent() ? " in the concurrent group" : ""));
        JsonNode resultError = run.result() == null ? null : run.result().get("error");
        if (resultError != null && !resultError.isNull()) {
            String name = resultError.path("errorType").asText();
            line(run.trigger(), execution.duration().toMillis(), "  error published: " + name + cause(name, resultError.get("errorMessage")));
        }
        for (String failure : run.failures()) {
            out.println("    EXPECTATION NOT MET: " + failure);
        }
    }

    private void line(Scenario.Trigger trigger, long at, String text) {
        String prefix = trigger.concurrent() ? "[" + trigger.number() + "] " : "    ";
        out.println(prefix + (at < 0 ? "         " : String.format("%6d ms", at)) + "  " + text);
    }

    /** The request's fields as the SDK prints them, with the seeded names beside the ids. */
    private String request(String request) {
        Matcher matcher = REQUEST_FIELDS.matcher(request);
        String fields = matcher.matches() ? matcher.group(1) : request;
        fields = fields.replace(", DryRun=false", "").replace("DryRun=false, ", "");
        if (world != null) {
            for (Map.Entry<String, String> id : world.ids().entrySet()) {
                fields = fields.replace(id.getValue(), id.getValue() + " (" + id.getKey() + ")");
            }
        }
        return fields.length() <= 160 ? fields : fields.substring(0, 157) + "...";
    }

    /** ": message" of a Lambda error body or a plain cause, short, without the error's name again. */
    static String cause(String error, JsonNode cause) {
        if (cause == null || cause.isNull()) {
            return "";
        }
        String text = cause.isTextual() ? cause.asText() : cause.toString();
        try {
            JsonNode body = MAPPER.readTree(text);
            if (body != null && body.hasNonNull("errorMessage")) {
                text = body.get("errorMessage").asText();
            }
        } catch (java.io.IOException e) {
            // not JSON: keep the text
        }
        text = text.replaceAll("\\s+", " ");
        if (error != null && text.startsWith(error + ": ")) {
            text = text.substring(error.length() + 2);
        }
        return ": " + (text.length() <= 140 ? text : text.substring(0, 137) + "...");
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }
}
