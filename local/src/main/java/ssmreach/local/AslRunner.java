package ssmreach.local;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Executes a state machine definition (the real {@code statemachine/} ASL) with the
 * aws-local-stepfunctions interpreter, through {@code local/asl/execute.mjs} under Node. Lambda
 * Tasks are invoked through the Lambda Invoke API at the endpoint given, e.g. a
 * {@link LambdaInvokeServer}. Wait states last {@code waitSeconds} (0 by default); nothing else is
 * changed: Retry intervals, Catch, Choice and intrinsic functions run as defined.
 */
public final class AslRunner {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Definitions (after substitution) the interpreter has validated: it takes a second, so once is enough. */
    private static final Set<String> VALIDATED = ConcurrentHashMap.newKeySet();

    private final Path aslDirectory;
    private final Duration timeout;
    private final Integer waitSeconds;

    /**
     * @param aslDirectory the folder holding execute.mjs and its node_modules (local/asl)
     * @param timeout how long one execution may take before the interpreter is killed
     * @param waitSeconds how long every Wait state lasts; null for the durations the definition sets
     */
    public AslRunner(Path aslDirectory, Duration timeout, Integer waitSeconds) {
        this.aslDirectory = Objects.requireNonNull(aslDirectory, "aslDirectory").toAbsolutePath().normalize();
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (waitSeconds != null && waitSeconds < 0) {
            throw new IllegalArgumentException("waitSeconds must be >= 0, got " + waitSeconds);
        }
        this.waitSeconds = waitSeconds;
    }

    /** local/asl found from the working directory (the repository or one of its modules), 5 minutes, no waiting. */
    public static AslRunner create() {
        return new AslRunner(locateAslDirectory(), DEFAULT_TIMEOUT, 0);
    }

    public AslRunner withTimeout(Duration newTimeout) {
        return new AslRunner(aslDirectory, newTimeout, waitSeconds);
    }

    public AslRunner withWaitSeconds(Integer newWaitSeconds) {
        return new AslRunner(aslDirectory, timeout, newWaitSeconds);
    }

    /** Runs one execution; see {@link #run(Path, Map, String, URI, Consumer)}. */
    public Execution run(Path definition, Map<String, String> substitutions, String inputJson, URI lambdaEndpoint) {
        return run(definition, substitutions, inputJson, lambdaEndpoint, event -> {});
    }

    /**
     * Runs one execution of {@code definition} once its {@code ${Key}} placeholders are replaced
     * by {@code substitutions} (as SAM's DefinitionSubstitutions do), and returns how it ended.
     * A failed execution is a result, not an exception; an exception means the execution could
     * not run (missing placeholder, invalid definition, Node or the interpreter missing or broken,
     * timeout).
     *
     * @param onEvent called with each event as it happens, e.g. to print a live timeline
     */
    public Execution run(Path definition, Map<String, String> substitutions, String inputJson, URI lambdaEndpoint,
            Consumer<Execution.Event> onEvent) {
        return run(definition, substitutions, inputJson, lambdaEndpoint, null, onEvent);
    }

    /**
     * As {@link #run(Path, Map, String, URI, Consumer)}, as the execution {@code executionArn} (its
     * name and state machine in {@code $$.Execution} and {@code $$.StateMachine}); null: a local one.
     */
    public Execution run(Path definition, Map<String, String> substitutions, String inputJson, URI lambdaEndpoint,
            String executionArn, Consumer<Execution.Event> onEvent) {
        String substituted = substitute(read(definition), substitutions);
        ObjectNode request = MAPPER.createObjectNode();
        request.set("definition", parse(substituted, "the definition " + definition + " after substitution"));
        request.set("input", parse(inputJson, "the execution input"));
        request.put("lambdaEndpoint", lambdaEndpoint.toString());
        if (executionArn != null) {
            request.put("executionArn", executionArn);
        }
        if (waitSeconds != null) {
            request.put("waitSeconds", waitSeconds);
        }
        request.put("validate", !VALIDATED.contains(substituted));
        Set<String> topLevelStates = new HashSet<>();
        request.get("definition").path("States").fieldNames().forEachRemaining(topLevelStates::add);
        Execution execution = execute(request, topLevelStates, onEvent);
        VALIDATED.add(substituted);
        return execution;
    }

    /** Replaces every {@code ${Key}}; fails naming every key that has no value. */
    public static String substitute(String template, Map<String, String> substitutions) {
        Matcher matcher = PLACEHOLDER.matcher(template);
        TreeSet<String> missing = new TreeSet<>();
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            String value = substitutions.get(matcher.group(1));
            if (value == null) {
                missing.add(matcher.group(1));
                value = matcher.group();
            }
            matcher.appendReplacement(result, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(result);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("no substitution for placeholder(s) " + missing
                    + " (given: " + new TreeSet<>(substitutions.keySet()) + ")");
        }
        return result.toString();
    }

    private Execution execute(ObjectNode request, Set<String> topLevelStates, Consumer<Execution.Event> onEvent) {
        Path script = aslDirectory.resolve("execute.mjs");
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException(script + " not found");
        }
        if (!Files.isDirectory(aslDirectory.resolve("node_modules").resolve("aws-local-stepfunctions"))) {
            throw new IllegalStateException("the ASL interpreter is not installed in " + aslDirectory.resolve("node_modules")
                    + ": run npm ci --prefix local/asl");
        }
        String node = locateNode().orElseThrow(() -> new IllegalStateException(
                "node not found on PATH: install Node.js (20 or later) to execute the state machine locally"));
        ProcessBuilder builder = new ProcessBuilder(node, script.toString()).directory(aslDirectory.toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("AWS_"));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + node, e);
        }
        try {
            return collect(process, request, topLevelStates, onEvent);
        } finally {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    private Execution collect(Process process, ObjectNode request, Set<String> topLevelStates,
            Consumer<Execution.Event> onEvent) {
        // One thread per stream: the common pool may have a single thread on a small machine, and a
        // stderr reader blocked there would leave stdout unread and the interpreter stuck writing.
        ExecutorService streams = Executors.newVirtualThreadPerTaskExecutor();
        try {
            return collect(process, request, topLevelStates, onEvent, streams);
        } finally {
            streams.shutdownNow();
        }
    }

    private Execution collect(Process process, ObjectNode request, Set<String> topLevelStates,
            Consumer<Execution.Event> onEvent, ExecutorService streams) {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream stdin = process.getOutputStream()) {
                MAPPER.writeValue(stdin, request);
            } catch (IOException e) {
                // The process died early; its exit code and stderr tell why.
            }
        }, streams);
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        CompletableFuture<Void> errors = CompletableFuture.runAsync(() -> {
            try {
                process.getErrorStream().transferTo(stderr);
            } catch (IOException e) {
                // process killed
            }
        }, streams);
        List<Execution.Event> events = new ArrayList<>();
        CompletableFuture<RuntimeException> reader = CompletableFuture.supplyAsync(() -> readEvents(process, events, onEvent), streams);
        boolean finished;
        RuntimeException problem = null;
        try {
            finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (finished) {
                problem = reader.get(10, TimeUnit.SECONDS);
                errors.get(10, TimeUnit.SECONDS);
                writer.get(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the state machine ran", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the interpreter's output did not end after it exited", e);
        }
        if (!finished) {
            throw new IllegalStateException("the execution did not end within " + timeout + "; the interpreter was killed"
                    + lastState(events).map(state -> " in state " + state).orElse(""));
        }
        String stderrText = stderr.toString(StandardCharsets.UTF_8).strip();
        if (process.exitValue() != 0) {
            throw new IllegalStateException("the ASL interpreter failed (exit code " + process.exitValue() + ")"
                    + (stderrText.isEmpty() ? "" : ": " + stderrText));
        }
        if (problem != null) {
            throw problem;
        }
        return toExecution(events, topLevelStates, stderrText);
    }

    /** Reads every line to the end, so the interpreter never blocks; returns the first problem met, if any. */
    private static RuntimeException readEvents(Process process, List<Execution.Event> events, Consumer<Execution.Event> onEvent) {
        RuntimeException problem = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isBlank() || problem != null) {
                    continue;
                }
                try {
                    Execution.Event event = toEvent(parse(line, "a line of the interpreter's output"));
                    synchronized (events) {
                        events.add(event);
                    }
                    onEvent.accept(event);
                } catch (RuntimeException e) {
                    problem = e;
                }
            }
        } catch (IOException e) {
            // The process was killed: the timeout reports it.
        }
        return problem;
    }

    private static Execution.Event toEvent(JsonNode json) {
        return Execution.Event.of(json, Instant.ofEpochMilli(json.path("timestamp").asLong()));
    }

    private static Execution toExecution(List<Execution.Event> events, Set<String> topLevelStates, String stderr) {
        if (events.isEmpty()) {
            throw new IllegalStateException("the ASL interpreter reported no event" + (stderr.isEmpty() ? "" : ": " + stderr));
        }
        try {
            return Execution.of(events, event -> !event.nested() && topLevelStates.contains(event.state()));
        } catch (IllegalStateException e) {
            throw new IllegalStateException("the interpreter did not report the end of the execution: " + e.getMessage()
                    + (stderr.isEmpty() ? "" : ": " + stderr), e);
        }
    }

    private static Optional<String> lastState(List<Execution.Event> events) {
        synchronized (events) {
            return events.reversed().stream().map(Execution.Event::state).filter(Objects::nonNull).findFirst();
        }
    }

    private static String read(Path definition) {
        try {
            return Files.readString(definition);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state machine definition " + definition, e);
        }
    }

    private static JsonNode parse(String json, String what) {
        try {
            return MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** local/asl, looked for from the working directory up: works from the repository root and from local/. */
    static Path locateAslDirectory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            for (Path candidate : List.of(dir.resolve("local").resolve("asl"), dir.resolve("asl"))) {
                if (Files.isRegularFile(candidate.resolve("execute.mjs"))) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("local/asl/execute.mjs not found from " + Path.of("").toAbsolutePath()
                + ": run from the ssm-reach repository");
    }

    private static Optional<String> locateNode() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry, "node"))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst();
    }
}
