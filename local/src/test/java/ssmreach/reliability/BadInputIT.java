package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.extension.ExtendWith;
import ssmreach.core.InvalidInputException;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.StrictEc2Rules;
import ssmreach.testing.LocalAwsExtension;

/**
 * The corpus of malformed triggers and manual inputs in {@code reliability/bad-input/} (missing and
 * mistyped fields, ids of the wrong kind, other account or Region, oversized and hostile strings,
 * unknown event types): each execution fails in ParseTrigger with a named
 * {@link InvalidInputException} (or a subclass) and a short message, and no AWS call is made but
 * the publication of the failed result.
 */
@ExtendWith(LocalAwsExtension.class)
class BadInputIT {
    static final Path CORPUS = LocalWorkflow.repositoryRoot().resolve("local/src/test/resources/reliability/bad-input");
    /** The failure is published (EventBridge event and SNS message): the only calls allowed. */
    static final Set<String> NOTIFICATIONS = Set.of("PutEvents", "Publish");

    private final LocalAws aws;
    private StrictStack stack;
    private LocalWorkflow workflow;

    BadInputIT(LocalAws aws) {
        this.aws = aws;
    }

    @BeforeEach
    void setUp() {
        stack = new StrictStack(aws, StrictEc2Rules.Config.AWS, FaultInjector.none());
        workflow = stack.workflow();
    }

    @AfterEach
    void tearDown() {
        stack.close();
    }

    @Test
    void everyMalformedInputFailsFastWithANamedErrorAndNoAwsCall() throws Exception {
        List<Path> files;
        try (Stream<Path> listing = Files.list(CORPUS)) {
            files = listing.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(files.size() >= 50, "corpus of at least 50 inputs, found " + files.size());

        Map<String, Execution> executions = new TreeMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            Map<String, Future<Execution>> running = new TreeMap<>();
            for (Path file : files) {
                String input = Files.readString(file);
                running.put(file.getFileName().toString(), threads.submit(() -> workflow.execute(input)));
            }
            for (Map.Entry<String, Future<Execution>> entry : running.entrySet()) {
                executions.put(entry.getKey(), entry.getValue().get());
            }
        } finally {
            threads.shutdownNow();
        }

        List<Executable> checks = new ArrayList<>();
        Map<String, Integer> errors = new TreeMap<>();
        executions.forEach((file, execution) -> checks.add(() -> {
            assertEquals(Execution.Status.FAILED, execution.status(), file + ": " + Audit.describe(execution));
            JsonNode failure = execution.events().stream().filter(e -> "ParseTrigger".equals(e.state()) && e.error() != null)
                    .map(Execution.Event::json).findFirst().orElse(null);
            assertTrue(failure != null, file + ": ParseTrigger failed: " + Audit.describe(execution));
            String error = failure.get("Error").asText();
            assertTrue(isInvalidInput(error), file + ": named input error, got " + error);
            String message = message(failure);
            assertTrue(!message.isBlank() && message.length() <= 600, file + ": a clear, bounded message, got " + message.length()
                    + " characters: " + message.substring(0, Math.min(200, message.length())));
            assertTrue(execution.path().contains("ReportFailure"), file + ": the failure is reported");
            synchronized (errors) {
                errors.merge(error.substring(error.lastIndexOf('.') + 1), 1, Integer::sum);
            }
        }));
        List<CallLog.Call> calls = stack.calls.calls();
        checks.add(() -> assertEquals(List.of(), calls.stream().filter(c -> !NOTIFICATIONS.contains(c.operation()))
                .map(c -> c.service() + ":" + c.operation() + " " + c.request()).toList(), "AWS calls other than the failure notice"));
        checks.add(() -> assertEquals(List.of(), stack.calls.mutatingCalls(), "mutating calls"));
        assertAll(checks);
        System.out.printf("[reliability] bad input: %d inputs, %d FAILED with %s; AWS calls other than the failure notice: %d "
                        + "(notices: %d)%n", files.size(), executions.values().stream().filter(e -> e.status() == Execution.Status.FAILED).count(),
                errors, calls.stream().filter(c -> !NOTIFICATIONS.contains(c.operation())).count(), calls.size());
    }

    private static boolean isInvalidInput(String error) {
        try {
            return InvalidInputException.class.isAssignableFrom(Class.forName(error));
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** The errorMessage of a Lambda failure's Cause (an object, or JSON text). */
    private static String message(JsonNode failure) {
        JsonNode cause = failure.path("Cause");
        if (cause.isTextual()) {
            try {
                cause = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cause.asText());
            } catch (IOException e) {
                return cause.asText();
            }
        }
        return cause.path("errorMessage").asText("");
    }
}
