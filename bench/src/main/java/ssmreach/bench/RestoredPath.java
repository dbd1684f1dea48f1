package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local proxy of the restored path (BENCHMARKS.md): per function, fresh JVMs of our classpath
 * and flags running {@link RestoredPathMain}, interleaved: {@code unprimed} (constructor, first
 * invocation, warm invocations) and {@code primed} (constructor, the priming hook, first
 * invocation, warm invocations), all on the captured input against the local AWS. Reported per
 * function: (a) the constructor, (b) the first invocation unprimed, (c) the first invocation
 * primed, (d) a warm invocation (median of the warm ones of both), the ratios (c)/(b) and (c)/(d),
 * and (b−c)/(b−d), the part of the first invocation's extra cost that the priming removes. The
 * estimated restored cold start is (c) plus SnapStart's restore, which is not measured here.
 */
final class RestoredPath {
    static final double TARGET_PRIMED_TO_UNPRIMED = 0.25;
    static final double TARGET_PRIMED_TO_WARM = 2.0;
    /** Warm invocations after the first, per JVM. */
    static final int WARM = 5;
    private static final List<String> MODES = List.of("unprimed", "primed");

    private final Bench.Options options;
    private final ColdStart jvms;

    RestoredPath(Bench.Options options, ColdStart jvms) {
        this.options = options;
        this.jvms = jvms;
    }

    ObjectNode measure(Map<String, String> inputs) {
        Map<String, Path> files = jvms.inputFiles(inputs);
        Path home = jvms.home();
        Map<String, Map<String, List<JsonNode>>> samples = new LinkedHashMap<>();
        Map<String, List<String>> errors = new LinkedHashMap<>();
        inputs.keySet().forEach(function -> samples.put(function, Map.of("unprimed", new ArrayList<>(), "primed", new ArrayList<>())));
        for (int run = 0; run < options.runs(); run++) {
            for (String function : inputs.keySet()) {
                for (String mode : MODES) {
                    try {
                        samples.get(function).get(mode).add(once(function, mode, files.get(function), home));
                    } catch (IllegalStateException e) {
                        errors.computeIfAbsent(function + "/" + mode, k -> new ArrayList<>()).add(e.getMessage());
                    }
                }
            }
        }
        ObjectNode node = Bench.MAPPER.createObjectNode();
        node.put("runsPerMode", options.runs());
        node.put("warmInvocationsPerJvm", WARM);
        node.put("javaToolOptions", ColdStart.TEMPLATE_JAVA_TOOL_OPTIONS);
        node.put("targetPrimedToUnprimed", TARGET_PRIMED_TO_UNPRIMED);
        node.put("targetPrimedToWarm", TARGET_PRIMED_TO_WARM);
        ArrayNode rows = node.putArray("functions");
        for (var entry : samples.entrySet()) {
            List<JsonNode> unprimed = entry.getValue().get("unprimed");
            List<JsonNode> primed = entry.getValue().get("primed");
            ObjectNode row = rows.addObject();
            row.put("function", entry.getKey());
            List<Double> constructs = new ArrayList<>(values(unprimed, "constructMs"));
            constructs.addAll(values(primed, "constructMs"));
            List<Double> warm = new ArrayList<>(warm(unprimed));
            warm.addAll(warm(primed));
            double a = Bench.median(constructs);
            double b = Bench.median(values(unprimed, "firstMs"));
            double c = Bench.median(values(primed, "firstMs"));
            double d = Bench.median(warm);
            row.put("constructMs", Bench.round(a, 1));
            row.put("primeMs", Bench.round(Bench.median(values(primed, "primeMs")), 1));
            row.put("firstUnprimedMs", Bench.round(b, 1));
            row.put("firstPrimedMs", Bench.round(c, 1));
            row.put("warmMs", Bench.round(d, 1));
            row.put("primedToUnprimed", Bench.round(c / b, 3));
            row.put("primedToWarm", Bench.round(c / d, 2));
            // Of what the first invocation costs beyond a warm one, the part the priming took away.
            row.put("firstCallOverheadRemoved", Bench.round((b - c) / (b - d), 2));
            row.set("firstUnprimedSamplesMs", Bench.MAPPER.valueToTree(values(unprimed, "firstMs")));
            row.set("firstPrimedSamplesMs", Bench.MAPPER.valueToTree(values(primed, "firstMs")));
            row.set("warmSamplesMs", Bench.MAPPER.valueToTree(warm));
        }
        node.set("errors", Bench.MAPPER.valueToTree(errors));
        return node;
    }

    /**
     * Diagnosis: one primed JVM of {@code function} with class loading logged; writes the classes
     * its first invocation still loaded (what the priming missed) to {@code trace-<function>.txt}.
     */
    Path trace(String function, String input) {
        Path file = jvms.inputFiles(Map.of(function, input)).get(function);
        ProcessBuilder builder = jvms.jvm(jvms.oursClasspath, List.of("-Xlog:class+load=info:stdout:uptime"),
                List.of(RestoredPathMain.class.getName(), ColdStart.HANDLERS.get(function), file.toString(), "primed", "0"),
                function, true, jvms.home());
        builder.environment().put("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
        List<String> loaded = new ArrayList<>();
        boolean inFirst = false;
        for (String line : lines(builder)) {
            if (line.startsWith("MARK ")) {
                inFirst = line.equals("MARK first invocation");
            } else if (inFirst || line.startsWith("OK ") || line.startsWith("ERR ")) {
                loaded.add(line);
            }
        }
        try {
            return Files.write(options.out().toAbsolutePath().resolve("trace-" + function + ".txt"), loaded);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One JVM's figures; {@link IllegalStateException} with its error when it gave none. */
    private JsonNode once(String function, String mode, Path input, Path home) {
        ProcessBuilder builder = jvms.jvm(jvms.oursClasspath, List.of(RestoredPathMain.class.getName(), ColdStart.HANDLERS.get(function),
                input.toString(), mode, String.valueOf(WARM)), function, true, home);
        // A SnapStart init, as Lambda runs it when it publishes a version.
        builder.environment().put("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
        List<String> lines = lines(builder);
        String answer = lines.stream().filter(l -> l.startsWith("OK ") || l.startsWith("ERR ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no answer"));
        if (!answer.startsWith("OK ")) {
            throw new IllegalStateException(answer.substring(4));
        }
        try {
            return Bench.MAPPER.readTree(answer.substring(3));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a JVM printed on stdout. */
    private static List<String> lines(ProcessBuilder builder) {
        return ColdStart.run(builder, reader -> reader.lines().toList());
    }

    private static List<Double> values(List<JsonNode> samples, String field) {
        return samples.stream().map(s -> s.path(field).asDouble()).toList();
    }

    private static List<Double> warm(List<JsonNode> samples) {
        List<Double> warm = new ArrayList<>();
        samples.forEach(s -> s.path("warmMs").forEach(v -> warm.add(v.asDouble())));
        return warm;
    }
}
