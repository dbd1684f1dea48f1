package ssmreach.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The executions of the local workflow as Step Functions lists and describes them: every
 * execution {@link LocalWorkflow} runs, and those it starts (one per VPC of a batch, the ones that
 * wait), from start to end. The proxy answers {@code states:ListExecutions} and
 * {@code states:DescribeExecution} from here, so that a function asking which executions run sees
 * the ones that do.
 */
public final class LocalExecutions {
    /** One execution as DescribeExecution shows it. */
    public record Entry(String executionArn, String stateMachineArn, String name, String status, Instant startDate,
                        Instant stopDate, String input) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    /** ListExecutions' page size when the caller names none, and its largest (AWS's). */
    private static final int DEFAULT_PAGE = 100;
    private static final int LARGEST_PAGE = 1000;

    private final Map<String, Entry> executions = new ConcurrentHashMap<>();

    public void started(String executionArn, String name, Instant startDate, String input) {
        String machine = executionArn.substring(0, executionArn.lastIndexOf(':')).replace(":execution:", ":stateMachine:");
        executions.put(executionArn, new Entry(executionArn, machine, name, "RUNNING", startDate, null, input));
    }

    /** @param status SUCCEEDED, FAILED, TIMED_OUT or ABORTED (an execution that already ended keeps its own) */
    public void stopped(String executionArn, String status, Instant stopDate) {
        executions.computeIfPresent(executionArn, (arn, e) -> !"RUNNING".equals(e.status()) ? e
                : new Entry(arn, e.stateMachineArn(), e.name(), status, e.startDate(), stopDate, e.input()));
    }

    /** Forgets every execution (with the emulator's reset). */
    public void clear() {
        executions.clear();
    }

    public List<Entry> all() {
        return List.copyOf(executions.values());
    }

    /** states:ListExecutions: most recent first, filtered by status, a page at a time. */
    AwsReply list(byte[] body) throws IOException {
        JsonNode request = JSON.readTree(body);
        String machine = request.path("stateMachineArn").asText();
        String status = request.path("statusFilter").asText(null);
        int page = Math.min(LARGEST_PAGE, request.path("maxResults").asInt(0) <= 0 ? DEFAULT_PAGE : request.path("maxResults").asInt());
        List<Entry> matching = executions.values().stream()
                .filter(e -> e.stateMachineArn().equals(machine) && (status == null || e.status().equals(status)))
                .sorted(Comparator.comparing(Entry::startDate).reversed().thenComparing(Entry::executionArn)).toList();
        if (matching.isEmpty() && executions.values().stream().noneMatch(e -> e.stateMachineArn().equals(machine))) {
            return AwsReply.jsonError(400, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + machine + "'");
        }
        int from = request.hasNonNull("nextToken") ? Integer.parseInt(request.get("nextToken").asText()) : 0;
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode listed = answer.putArray("executions");
        for (Entry e : matching.subList(Math.min(from, matching.size()), Math.min(from + page, matching.size()))) {
            ObjectNode item = listed.addObject().put("executionArn", e.executionArn()).put("stateMachineArn", e.stateMachineArn())
                    .put("name", e.name()).put("status", e.status()).put("startDate", seconds(e.startDate()));
            if (e.stopDate() != null) {
                item.put("stopDate", seconds(e.stopDate()));
            }
        }
        if (from + page < matching.size()) {
            answer.put("nextToken", String.valueOf(from + page));
        }
        return AwsReply.json(200, answer.toString());
    }

    /** states:DescribeExecution. */
    AwsReply describe(byte[] body) throws IOException {
        String arn = JSON.readTree(body).path("executionArn").asText();
        Entry e = executions.get(arn);
        if (e == null) {
            return AwsReply.jsonError(400, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
        }
        ObjectNode answer = JSON.createObjectNode().put("executionArn", e.executionArn()).put("stateMachineArn", e.stateMachineArn())
                .put("name", e.name()).put("status", e.status()).put("startDate", seconds(e.startDate())).put("input", e.input());
        answer.putObject("inputDetails").put("included", true);
        if (e.stopDate() != null) {
            answer.put("stopDate", seconds(e.stopDate()));
        }
        return AwsReply.json(200, answer.toString());
    }

    /** Timestamps in the JSON protocol: epoch seconds, with milliseconds. */
    private static double seconds(Instant instant) {
        return instant.toEpochMilli() / 1000.0;
    }
}
