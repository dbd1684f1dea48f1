package ssmreach.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;

/**
 * Cold start per function: a fresh JVM per measurement, from starting it to reading the response
 * of one real invocation served against the local AWS. Four variants, interleaved so that the
 * machine's background load falls on all of them alike:
 * <ul>
 *   <li>{@code ours}: the functions jar and its runtime dependencies (what {@code sam build} ships),
 *       JAVA_TOOL_OPTIONS as template.yaml sets it;</li>
 *   <li>{@code oursNoFlags}: the same without JVM flags, to isolate what the flags give;</li>
 *   <li>{@code naive}: the same handler code with ssmreach.core.Clients as samples write it
 *       (src/naive: client discovery, default Region chain), apache5-client and netty-nio-client
 *       instead of url-connection-client on the classpath, no JVM flags;</li>
 *   <li>{@code floor}: a handler that does nothing, on our classpath and flags.</li>
 * </ul>
 */
final class ColdStart {
    static final List<String> ALL_FUNCTIONS = List.of("ParseTrigger", "ClassifySubnets", "PrepareVpc", "EnsureEndpoints",
            "CheckEndpoints", "SelectInstances", "EnsureInstanceProfile", "CheckRegistration", "Diagnose", "Report");
    static final Map<String, String> HANDLERS = Map.of(
            "ParseTrigger", "ssmreach.trigger.ParseTriggerHandler",
            "ClassifySubnets", "ssmreach.subnet.ClassifySubnetsHandler",
            "PrepareVpc", "ssmreach.vpc.PrepareVpcHandler",
            "EnsureEndpoints", "ssmreach.endpoint.EnsureEndpointsHandler",
            "CheckEndpoints", "ssmreach.endpoint.CheckEndpointsHandler",
            "SelectInstances", "ssmreach.instance.SelectInstancesHandler",
            "EnsureInstanceProfile", "ssmreach.instance.EnsureInstanceProfileHandler",
            "CheckRegistration", "ssmreach.instance.CheckRegistrationHandler",
            "Diagnose", "ssmreach.diagnosis.DiagnoseHandler",
            "Report", "ssmreach.result.ReportHandler");
    /** As template.yaml's Globals set it. */
    static final String TEMPLATE_JAVA_TOOL_OPTIONS = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";
    static final List<String> VARIANTS = List.of("ours", "oursNoFlags", "naive", "floor");
    /** With --before: another build's package (e.g. the previous commit's), on our flags. */
    static final String BEFORE = "before";

    /** The access key of a function's role, as the local AWS knows it: its cold JVMs sign with it. */
    record RoleKeys(String accessKeyId, String secretAccessKey) {}

    private final Bench.Options options;
    private final LocalAws aws;
    private final String topicArn;
    private final Map<String, RoleKeys> roles;
    final String oursClasspath;
    private final String naiveClasspath;
    private final String beforeClasspath;
    private final List<String> variants;

    ColdStart(Bench.Options options, LocalAws aws, String topicArn, Map<String, RoleKeys> roles) {
        this.options = options;
        this.aws = aws;
        this.topicArn = topicArn;
        this.roles = roles;
        Path target = options.target().toAbsolutePath();
        String bench = target.resolve("classes").toString();
        Packages.Layout layout = Packages.Layout.of(options);
        List<String> ours = new ArrayList<>(List.of(layout.classes().toString()));
        layout.lib().forEach(jar -> ours.add(jar.toString()));
        ours.add(bench);
        this.oursClasspath = join(ours);
        List<String> naive = new ArrayList<>(List.of(target.resolve("naive-classes").toString(), layout.classes().toString()));
        layout.naiveLib().forEach(jar -> naive.add(jar.toString()));
        naive.add(bench);
        this.naiveClasspath = join(naive);
        if (options.before() == null) {
            this.beforeClasspath = null;
            this.variants = VARIANTS;
        } else {
            Path before = options.before().toAbsolutePath();
            List<String> parts = new ArrayList<>(List.of(before.resolve("classes").toString()));
            Packages.jars(before.resolve("dependency")).forEach(jar -> parts.add(jar.toString()));
            parts.add(bench);
            this.beforeClasspath = join(parts);
            this.variants = new ArrayList<>(VARIANTS);
            variants.add(BEFORE);
        }
    }

    /** The captured inputs as files of the output folder, by function: what each cold JVM serves. */
    Map<String, Path> inputFiles(Map<String, String> inputs) {
        Map<String, Path> files = new LinkedHashMap<>();
        try {
            Path dir = Files.createDirectories(options.out().toAbsolutePath().resolve("inputs"));
            for (var entry : inputs.entrySet()) {
                files.put(entry.getKey(), Files.writeString(dir.resolve(entry.getKey() + ".json"), entry.getValue()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** The cold JVMs' HOME: empty, as in Lambda (no profile file). */
    Path home() {
        try {
            return Files.createDirectories(options.out().toAbsolutePath().resolve("home"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ObjectNode measure(Map<String, String> inputs) {
        Map<String, Path> inputFiles = inputFiles(inputs);
        Path home = home();
        Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (String function : inputs.keySet()) {
            Map<String, List<Double>> perVariant = new LinkedHashMap<>();
            variants.forEach(v -> perVariant.put(v, new ArrayList<>()));
            samples.put(function, perVariant);
        }
        // One warm-up JVM of each classpath: the first start after a build pays for the page cache.
        for (String variant : variants) {
            String function = inputs.keySet().iterator().next();
            once(variant, function, inputFiles.get(function), home);
        }
        for (int run = 0; run < options.runs(); run++) {
            for (String function : inputs.keySet()) {
                for (String variant : variants) {
                    Sample sample = once(variant, function, inputFiles.get(function), home);
                    if (sample.error() != null) {
                        errors.computeIfAbsent(function + "/" + variant, k -> new ArrayList<>()).add(sample.error());
                    } else {
                        samples.get(function).get(variant).add(sample.millis());
                    }
                }
            }
        }
        ObjectNode node = Bench.MAPPER.createObjectNode();
        node.put("runsPerVariant", options.runs());
        node.put("java", System.getProperty("java.home"));
        node.put("javaToolOptions", TEMPLATE_JAVA_TOOL_OPTIONS);
        node.put("oursClasspathJars", oursClasspath.split(File.pathSeparator).length - 2);
        node.put("naiveClasspathJars", naiveClasspath.split(File.pathSeparator).length - 3);
        ArrayNode rows = node.putArray("functions");
        List<Double> ours = new ArrayList<>();
        List<Double> naive = new ArrayList<>();
        List<Double> floors = new ArrayList<>();
        for (var entry : samples.entrySet()) {
            ObjectNode row = rows.addObject();
            row.put("function", entry.getKey());
            for (String variant : variants) {
                List<Double> values = entry.getValue().get(variant);
                row.put(variant + "Ms", Math.round(Bench.median(values)));
                row.set(variant + "SamplesMs", Bench.MAPPER.valueToTree(values.stream().map(Math::round).toList()));
            }
            double o = Bench.median(entry.getValue().get("ours"));
            double n = Bench.median(entry.getValue().get("naive"));
            double f = Bench.median(entry.getValue().get("floor"));
            row.put("ratio", Bench.round(o / n, 2));
            row.put("flagsRatio", Bench.round(o / Bench.median(entry.getValue().get("oursNoFlags")), 2));
            row.put("aboveFloorRatio", Bench.round((o - f) / (n - f), 2));
            if (beforeClasspath != null) {
                row.put("toBeforeRatio", Bench.round(o / Bench.median(entry.getValue().get(BEFORE)), 2));
            }
            ours.add(o);
            naive.add(n);
            floors.addAll(entry.getValue().get("floor"));
        }
        double sumOurs = ours.stream().mapToDouble(Double::doubleValue).sum();
        double sumNaive = naive.stream().mapToDouble(Double::doubleValue).sum();
        node.put("floorMs", Math.round(Bench.median(floors)));
        node.put("ratioOfTotals", Bench.round(sumOurs / sumNaive, 2));
        node.put("target", 0.6);
        node.set("errors", Bench.MAPPER.valueToTree(errors));
        return node;
    }

    private record Sample(double millis, String error) {}

    /**
     * Each function's role as the stack deploys it with the benchmark's settings: the local AWS
     * authorizes a cold JVM's calls as that role, as AWS authorizes the function's.
     */
    static Map<String, RoleKeys> roles(LocalAws aws, String topicArn) {
        var deployed = aws.deploy(LocalFunctions.settings(Map.of("RESULT_TOPIC_ARN", topicArn)));
        Map<String, RoleKeys> roles = new LinkedHashMap<>();
        for (String function : ALL_FUNCTIONS) {
            LocalFunctions.Clients clients = deployed.apply(function + "Function");
            var keys = clients.ec2().serviceClientConfiguration().credentialsProvider().resolveIdentity().join();
            roles.put(function, new RoleKeys(keys.accessKeyId(), keys.secretAccessKey()));
            Stream.of(clients.ec2(), clients.iam(), clients.ssm(), clients.events(), clients.sns()).forEach(c -> c.close());
        }
        return roles;
    }

    private Sample once(String variant, String function, Path input, Path home) {
        String handler = variant.equals("floor") ? NoopHandler.class.getName() : HANDLERS.get(function);
        String classpath = variant.equals("naive") ? naiveClasspath : variant.equals(BEFORE) ? beforeClasspath : oursClasspath;
        ProcessBuilder builder = jvm(classpath, List.of(ColdStartMain.class.getName(), handler, input.toString()), function,
                variant.equals("ours") || variant.equals("floor") || variant.equals(BEFORE), home);
        long start = System.nanoTime();
        return run(builder, reader -> {
            String answer = answer(reader);
            double millis = (System.nanoTime() - start) / 1e6;
            if (answer == null) {
                return new Sample(millis, "no answer");
            }
            return answer.startsWith("OK ") ? new Sample(millis, null) : new Sample(millis, answer.substring(4));
        });
    }

    /** What is read from a JVM's stdout. */
    interface Reading<T> {
        T from(BufferedReader stdout) throws IOException;
    }

    /** Starts {@code builder}'s JVM, reads its stdout with {@code read}, then lets it end (at most a minute). */
    static <T> T run(ProcessBuilder builder, Reading<T> read) {
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + builder.command().getFirst(), e);
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            T result = read.from(reader);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    /** The first line a harness JVM answers with ({@code OK …} or {@code ERR …}); null when it ends without one. */
    static String answer(BufferedReader reader) throws IOException {
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("OK ") || line.startsWith("ERR ")) {
                return line;
            }
        }
        return null;
    }

    /**
     * A fresh JVM for {@code function} running {@code command} (main class and arguments) on
     * {@code classpath}, in the environment Lambda gives the function: its Region, its role's
     * credentials, the stack's variables, an empty HOME; the template's JVM flags with {@code flags}.
     */
    ProcessBuilder jvm(String classpath, List<String> command, String function, boolean flags, Path home) {
        return jvm(classpath, List.of(), command, function, flags, home);
    }

    /** As {@link #jvm(String, List, String, boolean, Path)}, with {@code options} for the JVM. */
    ProcessBuilder jvm(String classpath, List<String> options, List<String> command, String function, boolean flags, Path home) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> line = new ArrayList<>(List.of(java.toString()));
        line.addAll(options);
        line.addAll(List.of("-cp", classpath));
        line.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", home.toString());
        env.put("LANG", "en_US.UTF-8");
        env.put("TZ", ":UTC");
        // What Lambda sets, then the stack's variables (the settings the local workflow uses).
        env.put("AWS_REGION", LocalAws.REGION.id());
        env.put("AWS_DEFAULT_REGION", LocalAws.REGION.id());
        RoleKeys role = roles.get(function);
        env.put("AWS_ACCESS_KEY_ID", role.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", role.secretAccessKey());
        env.put("AWS_SESSION_TOKEN", "local-session");
        env.put("AWS_LAMBDA_FUNCTION_NAME", function);
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
        env.put("AWS_EXECUTION_ENV", "AWS_Lambda_java21");
        env.put("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
        env.put("AWS_ENDPOINT_URL", aws.endpoint().toString());
        env.put("ACCOUNT_ID", LocalAws.ACCOUNT_ID);
        env.put("INSTANCE_PROFILE_ARN", LocalFunctions.settings(Map.of()).instanceProfileArn());
        env.put("RESULT_TOPIC_ARN", topicArn);
        if (flags) {
            env.put("JAVA_TOOL_OPTIONS", TEMPLATE_JAVA_TOOL_OPTIONS);
        }
        return builder;
    }

    private static String join(List<String> parts) {
        return String.join(File.pathSeparator, parts);
    }
}
