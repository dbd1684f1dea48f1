package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The repository as the static checks see it: its root (the folder holding template.yaml, found by
 * walking up from the working directory), the template read as a tree, and external tools.
 *
 * <p>The template is read with Jackson's YAML parser, which keeps the value of a CloudFormation
 * short tag and drops the tag: {@code !Ref Foo.Alias} reads as the text {@code Foo.Alias}.
 */
final class Repo {
    static final Path ROOT = findRoot();

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static JsonNode template;

    private Repo() {}

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized JsonNode template() {
        if (template == null) {
            try {
                template = YAML.readTree(path("template.yaml").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("template.yaml is not readable YAML", e);
            }
        }
        return template;
    }

    /** Logical id → resource, for every resource of the given type, in template order. */
    static Map<String, JsonNode> resources(String type) {
        Map<String, JsonNode> found = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = template().path("Resources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> resource = it.next();
            if (type.equals(resource.getValue().path("Type").asText())) {
                found.put(resource.getKey(), resource.getValue());
            }
        }
        return found;
    }

    static Map<String, JsonNode> functions() {
        return resources("AWS::Serverless::Function");
    }

    /** The one state machine of the template. */
    static Map.Entry<String, JsonNode> stateMachine() {
        Map<String, JsonNode> machines = resources("AWS::Serverless::StateMachine");
        if (machines.size() != 1) {
            fail("template.yaml must define exactly one AWS::Serverless::StateMachine, found " + machines.keySet());
        }
        return machines.entrySet().iterator().next();
    }

    /**
     * The statements of one inline policy (an element of a resource's {@code Policies}). A statement
     * given as {@code Fn::If: [condition, statement, statement or !Ref AWS::NoValue]} (long form: the
     * short {@code !If} would read as a plain list) counts with each of its statement branches.
     */
    static List<JsonNode> statements(JsonNode policy) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode statement : policy.path("Statement")) {
            if (statement.has("Fn::If")) {
                JsonNode branches = statement.path("Fn::If");
                for (int i = 1; i < branches.size(); i++) {
                    if (branches.get(i).isObject()) {
                        found.add(branches.get(i));
                    }
                }
            } else {
                found.add(statement);
            }
        }
        return found;
    }

    /** Every statement of every inline policy of a function or state machine. */
    static List<JsonNode> allStatements(JsonNode resource) {
        List<JsonNode> found = new ArrayList<>();
        resource.path("Properties").path("Policies").forEach(policy -> found.addAll(statements(policy)));
        return found;
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A node that is a single string or a list of strings, as a list. */
    static List<String> strings(JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> values.add(n.asText()));
        } else if (!node.isMissingNode() && !node.isNull()) {
            values.add(node.asText());
        }
        return values;
    }

    /** An executable on the PATH or in one of {@code extraDirs}, the PATH first. */
    static Optional<Path> executable(String name, Path... extraDirs) {
        List<Path> dirs = new ArrayList<>();
        String pathVariable = System.getenv("PATH");
        if (pathVariable != null) {
            for (String dir : pathVariable.split(File.pathSeparator)) {
                if (!dir.isBlank()) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        dirs.addAll(List.of(extraDirs));
        return dirs.stream().map(dir -> dir.resolve(name)).filter(Files::isRegularFile).filter(Files::isExecutable).findFirst();
    }

    static Path home() {
        return Path.of(System.getProperty("user.home"));
    }

    /** What an external command printed (stdout and stderr together) and how it ended. */
    record Run(int exitCode, String output) {}

    /** Runs a command in the repository root; fails the test if it does not end within the timeout. */
    static Run run(Duration timeout, List<String> command) {
        return run(ROOT, timeout, true, Map.of(), command);
    }

    /**
     * Runs a command in {@code directory} with {@code environment} added to this one's; its output is
     * stdout, with stderr too when {@code withStderr} (stderr is discarded otherwise). Fails the test
     * if it does not end within the timeout.
     */
    static Run run(Path directory, Duration timeout, boolean withStderr, Map<String, String> environment, List<String> command) {
        try {
            Path log = Files.createTempFile("ssm-reach-staticcheck", ".log");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectOutput(log.toFile());
                builder.environment().putAll(environment);
                if (withStderr) {
                    builder.redirectErrorStream(true);
                } else {
                    builder.redirectError(ProcessBuilder.Redirect.DISCARD);
                }
                Process process = builder.start();
                process.getOutputStream().close();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    fail(String.join(" ", command) + " did not finish within " + timeout);
                }
                return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    private static Path findRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path candidate = dir; candidate != null; candidate = candidate.getParent()) {
            if (Files.isRegularFile(candidate.resolve("template.yaml"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("No template.yaml in " + dir + " or any folder above it");
    }

    static List<Path> list(String folder) {
        try (Stream<Path> files = Files.list(path(folder))) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
