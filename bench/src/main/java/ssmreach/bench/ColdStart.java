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

    private final Bench.Options options;
    private final LocalAws aws;
    private final String topicArn;
    private final String oursClasspath;
    private final String naiveClasspath;

    ColdStart(Bench.Options options, LocalAws aws, String topicArn) {
        this.options = options;
        this.aws = aws;
        this.topicArn = topicArn;
        Path target = options.target().toAbsolutePath();
        String bench = target.resolve("classes").toString();
        List<Path> ours = jars(target.resolve("lib-ours"));
        List<Path> naiveExtra = jars(target.resolve("lib-naive"));
        if (ours.stream().noneMatch(p -> p.getFileName().toString().startsWith("ssm-reach-functions"))) {
            throw new IllegalStateException(target.resolve("lib-ours") + " has no functions jar: build first (bench/run does)");
        }
        this.oursClasspath = join(Stream.concat(ours.stream().map(Path::toString), Stream.of(bench)).toList());
        List<String> naive = new ArrayList<>();
        naive.add(target.resolve("naive-classes").toString());
        ours.stream().filter(p -> !p.getFileName().toString().startsWith("url-connection-client")).map(Path::toString).forEach(naive::add);
        naiveExtra.stream().map(Path::toString).forEach(naive::add);
        naive.add(bench);
        this.naiveClasspath = join(naive);
    }

    ObjectNode measure(Map<String, String> inputs) {
        Path inputDir = options.out().toAbsolutePath().resolve("inputs");
        Path home = options.out().toAbsolutePath().resolve("home");
        Map<String, Path> inputFiles = new LinkedHashMap<>();
        Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();
        Map<String, List<String>> errors = new LinkedHashMap<>();
        try {
            Files.createDirectories(inputDir);
            Files.createDirectories(home);
            for (var entry : inputs.entrySet()) {
                Path file = inputDir.resolve(entry.getKey() + ".json");
                Files.writeString(file, entry.getValue());
                inputFiles.put(entry.getKey(), file);
                Map<String, List<Double>> perVariant = new LinkedHashMap<>();
                VARIANTS.forEach(v -> perVariant.put(v, new ArrayList<>()));
                samples.put(entry.getKey(), perVariant);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // One warm-up JVM of each classpath: the first start after a build pays for the page cache.
        for (String variant : VARIANTS) {
            String function = inputs.keySet().iterator().next();
            once(variant, function, inputFiles.get(function), home);
        }
        for (int run = 0; run < options.runs(); run++) {
            for (String function : inputs.keySet()) {
                for (String variant : VARIANTS) {
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
        node.put("oursClasspathJars", oursClasspath.split(File.pathSeparator).length - 1);
        node.put("naiveClasspathJars", naiveClasspath.split(File.pathSeparator).length - 2);
        ArrayNode rows = node.putArray("functions");
        List<Double> ours = new ArrayList<>();
        List<Double> naive = new ArrayList<>();
        List<Double> floors = new ArrayList<>();
        for (var entry : samples.entrySet()) {
            ObjectNode row = rows.addObject();
            row.put("function", entry.getKey());
            for (String variant : VARIANTS) {
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

    private Sample once(String variant, String function, Path input, Path home) {
        String handler = variant.equals("floor") ? NoopHandler.class.getName() : HANDLERS.get(function);
        String classpath = variant.equals("naive") ? naiveClasspath : oursClasspath;
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", classpath, ColdStartMain.class.getName(),
                handler, input.toString()).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("HOME", home.toString());
        env.put("LANG", "en_US.UTF-8");
        env.put("TZ", ":UTC");
        // What Lambda sets, then the stack's variables (the settings the local workflow uses).
        env.put("AWS_REGION", LocalAws.REGION.id());
        env.put("AWS_DEFAULT_REGION", LocalAws.REGION.id());
        env.put("AWS_ACCESS_KEY_ID", "testing");
        env.put("AWS_SECRET_ACCESS_KEY", "testing");
        env.put("AWS_SESSION_TOKEN", "testing");
        env.put("AWS_LAMBDA_FUNCTION_NAME", function);
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
        env.put("AWS_EXECUTION_ENV", "AWS_Lambda_java21");
        env.put("AWS_ENDPOINT_URL", aws.endpoint().toString());
        env.put("ACCOUNT_ID", LocalAws.ACCOUNT_ID);
        env.put("INSTANCE_PROFILE_ARN", LocalFunctions.settings(Map.of()).instanceProfileArn());
        env.put("RESULT_TOPIC_ARN", topicArn);
        if (variant.equals("ours") || variant.equals("floor")) {
            env.put("JAVA_TOOL_OPTIONS", TEMPLATE_JAVA_TOOL_OPTIONS);
        }
        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + java, e);
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            String answer = null;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("OK ") || line.startsWith("ERR ")) {
                    answer = line;
                    break;
                }
            }
            double millis = (System.nanoTime() - start) / 1e6;
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            if (answer == null) {
                return new Sample(millis, "no answer (exit code " + process.exitValue() + ")");
            }
            return answer.startsWith("OK ") ? new Sample(millis, null) : new Sample(millis, answer.substring(4));
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

    private static List<Path> jars(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + " missing: build first (bench/run does)", e);
        }
    }

    private static String join(List<String> parts) {
        return String.join(File.pathSeparator, parts);
    }
}
