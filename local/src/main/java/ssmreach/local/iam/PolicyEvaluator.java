package ssmreach.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * IAM policy evaluation by {@code @cloud-copilot/iam-simulate}, an evaluator maintained against
 * AWS's own documentation, run in one Node process ({@code local/iam/evaluate.mjs}) for the life
 * of this object. Requests are answered concurrently; the process ends when this is closed or the
 * JVM exits (its stdin closes).
 */
public final class PolicyEvaluator implements AutoCloseable {
    /** The evaluator's folder, relative to the repository root (its node_modules come from {@code npm ci}). */
    public static final String FOLDER = "local/iam";

    /** What IAM decides for one check. */
    public enum Decision {
        ALLOWED, IMPLICITLY_DENIED, EXPLICITLY_DENIED;

        static Decision of(String wire) {
            return switch (wire) {
                case "Allowed" -> ALLOWED;
                case "ImplicitlyDenied" -> IMPLICITLY_DENIED;
                case "ExplicitlyDenied" -> EXPLICITLY_DENIED;
                default -> throw new IllegalStateException("iam-simulate answered an unknown decision: " + wire);
            };
        }
    }

    /**
     * One action on one resource, with the request context AWS would set for it: each value a
     * String (a single-valued key) or a List of Strings (a multi-valued key, such as aws:TagKeys).
     */
    public record Check(String action, String resource, Map<String, Object> context) {}

    /** A policy document with its name. */
    public record Policy(String name, JsonNode document) {}

    /**
     * The answer for one check: the decision, the policies whose statements made it, the keys of
     * conditions that kept a statement on this action and resource from applying, and (with a
     * permissions boundary) whether the boundary allows it.
     */
    public record Result(Decision decision, List<String> matched, List<String> conditionKeys, Boolean boundaryAllows) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 30;

    private final Process process;
    private final OutputStream stdin;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    private PolicyEvaluator(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(this::readAnswers, "iam-evaluator");
        reader.setDaemon(true);
        reader.start();
    }

    public static PolicyEvaluator start(Path repositoryRoot) {
        Path folder = repositoryRoot.resolve(FOLDER);
        if (!Files.isRegularFile(folder.resolve("node_modules/@cloud-copilot/iam-simulate/package.json"))) {
            throw new IllegalStateException("The IAM evaluator is not installed: run 'npm ci' in " + folder
                    + " (the Maven build does it on a fresh clone)");
        }
        try {
            Process process = new ProcessBuilder("node", "evaluate.mjs").directory(folder.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new PolicyEvaluator(process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node (Node.js 20 or newer is needed for the IAM evaluator)", e);
        }
    }

    /**
     * Who asks and what applies to them: the principal (an ARN, or a service principal such as
     * {@code ec2.amazonaws.com}), its identity policies, a permissions boundary (null for none)
     * and the resource's own policy (null for none).
     */
    public record Subject(String principal, String accountId, List<Policy> policies, List<Policy> boundary, JsonNode resourcePolicy) {
        public static Subject of(String principal, String accountId, List<Policy> policies) {
            return new Subject(principal, accountId, policies, null, null);
        }
    }

    /** The result of each check, in order. */
    public List<Result> evaluate(Subject subject, List<Check> checks) {
        String principalArn = subject.principal();
        String accountId = subject.accountId();
        List<Policy> policies = subject.policies();
        List<Policy> boundary = subject.boundary();
        if (checks.isEmpty()) {
            return List.of();
        }
        long id = ids.incrementAndGet();
        ObjectNode request = JSON.createObjectNode().put("id", id).put("principal", principalArn).put("accountId", accountId);
        ArrayNode documents = request.putArray("policies");
        policies.forEach(p -> documents.addObject().put("name", p.name()).set("policy", p.document()));
        if (boundary != null) {
            ArrayNode boundaries = request.putArray("boundary");
            boundary.forEach(p -> boundaries.addObject().put("name", p.name()).set("policy", p.document()));
        }
        if (subject.resourcePolicy() != null) {
            request.set("resourcePolicy", subject.resourcePolicy());
        }
        ArrayNode array = request.putArray("checks");
        for (Check check : checks) {
            ObjectNode entry = array.addObject().put("action", check.action()).put("resource", check.resource());
            ObjectNode context = entry.putObject("context");
            check.context().forEach((key, value) -> {
                if (value instanceof List<?> values) {
                    values.forEach(v -> context.withArray(key).add(String.valueOf(v)));
                } else {
                    context.put(key, String.valueOf(value));
                }
            });
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            synchronized (stdin) {
                stdin.write((request + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            }
            JsonNode result = answer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (result.has("error")) {
                throw new IllegalStateException("iam-simulate could not evaluate: " + result.path("error").asText());
            }
            return java.util.stream.StreamSupport.stream(result.path("results").spliterator(), false)
                    .map(r -> new Result(Decision.of(r.path("decision").asText()), strings(r.path("matched")),
                            strings(r.path("conditionKeys")), r.has("boundaryAllows") ? r.path("boundaryAllows").asBoolean() : null))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("the IAM evaluator stopped", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while evaluating IAM policies", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the IAM evaluator gave no answer within " + TIMEOUT_SECONDS + " s", e);
        } finally {
            pending.remove(id);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new java.util.ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return List.copyOf(values);
    }

    private void readAnswers() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode answer = JSON.readTree(line);
                CompletableFuture<JsonNode> waiting = pending.get(answer.path("id").asLong(-1));
                if (waiting != null) {
                    waiting.complete(answer);
                }
            }
        } catch (IOException e) {
            // the process ended; the callers waiting time out with a clear message
        }
        IllegalStateException ended = new IllegalStateException("the IAM evaluator (node evaluate.mjs) ended");
        pending.values().forEach(waiting -> waiting.completeExceptionally(ended));
    }

    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        process.destroy();
    }
}
