package ssmreach.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench/run}: every figure of BENCHMARKS.md in one run, each beside the baseline it is
 * judged against, measured in the same run. Prints one table, writes {@code results.json} and
 * {@code results.png} to the output folder. Exit code 0 when it measured everything (whether the
 * targets are met is in the table, not in the exit code), 2 when it could not run.
 */
public final class Bench {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param runs fresh JVMs per function and variant (median reported)
     * @param functions the functions measured cold (all ten unless quick)
     * @param scaling subnet counts of the one-VPC scaling series
     * @param burstVpcs VPCs of the burst, each with {@code burstSubnetsPerVpc} isolated subnets
     * @param burstPool executions started at once
     * @param coldOnly only the figures of fresh JVMs (cold start, restored path) and the package
     * @param trace functions whose primed first invocation is traced (classes it still loads) instead of measured
     * @param target the bench module's target folder (lib-ours, lib-naive, naive-classes, classes)
     * @param packageDir the functions module's target folder: the deployment package (classes/, dependency/)
     * @param before another build's package folder, measured cold beside ours (null: none)
     * @param out where results.json, results.png and the logs go
     */
    record Options(int runs, List<String> functions, List<Integer> scaling, int burstVpcs, int burstSubnetsPerVpc,
            int burstPool, boolean coldOnly, List<String> trace, Path target, Path packageDir, Path before, Path out) {

        static Options parse(String[] args) {
            int runs = 5;
            boolean quick = false;
            boolean coldOnly = false;
            List<String> trace = new ArrayList<>();
            Path target = Path.of(System.getProperty("bench.target", "bench/target"));
            Path packageDir = Path.of(System.getProperty("bench.package", "functions/target"));
            Path before = null;
            Path out = Path.of("bench/out");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--runs" -> runs = Integer.parseInt(args[++i]);
                    case "--quick" -> quick = true;
                    case "--cold-only" -> coldOnly = true;
                    case "--trace" -> trace.add(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    case "--target" -> target = Path.of(args[++i]);
                    case "--package" -> packageDir = Path.of(args[++i]);
                    case "--before" -> before = Path.of(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]
                            + "; usage: bench/run [--runs N] [--quick] [--cold-only] [--before PACKAGE_DIR] [--trace FUNCTION] [--out DIR] | --replot RESULTS_JSON");
                }
            }
            if (runs < 1) {
                throw new IllegalArgumentException("--runs must be at least 1");
            }
            return quick
                    ? new Options(1, List.of("ClassifySubnets"), List.of(1, 2), 2, 2, 4, coldOnly, List.copyOf(trace), target, packageDir,
                            before, out)
                    : new Options(runs, ColdStart.ALL_FUNCTIONS, List.of(1, 2, 4, 8), 10, 10, 8, coldOnly, List.copyOf(trace), target,
                            packageDir, before, out);
        }
    }

    private Bench() {}

    public static void main(String[] args) {
        try {
            if (args.length == 2 && args[0].equals("--replot")) {
                // The table and the plot again from a results.json, without measuring.
                Path json = Path.of(args[1]);
                ObjectNode results = (ObjectNode) MAPPER.readTree(json.toFile());
                Plot.write(results, json.resolveSibling("results.png"));
                System.out.println(Table.render(results));
                System.exit(0);
            }
            Options options = Options.parse(args);
            ObjectNode results = run(options);
            if (!options.trace().isEmpty()) {
                System.exit(0);
            }
            System.out.println(Table.render(results));
            System.out.println("results: " + options.out().resolve("results.json") + ", plot: " + options.out().resolve("results.png"));
            System.exit(0);
        } catch (IOException e) {
            System.err.println("bench: " + e);
            System.exit(2);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("bench: could not complete: " + e);
            e.printStackTrace();
            System.exit(2);
        }
    }

    /** Measures everything and writes results.json and results.png; returns the results. */
    public static ObjectNode run(Options options) {
        // The functions log to stdout (as in Lambda): theirs goes to a file, the table stays alone on stdout.
        PrintStream stdout = System.out;
        try {
            Files.createDirectories(options.out());
            System.setOut(new PrintStream(Files.newOutputStream(options.out().resolve("functions.log")), true, StandardCharsets.UTF_8));
            return measure(options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            System.out.close();
            System.setOut(stdout);
        }
    }

    private static ObjectNode measure(Options options) {
        ObjectNode results = MAPPER.createObjectNode();
        results.set("machine", machine());
        results.put("startedAt", Instant.now().toString());
        try (var aws = ssmreach.local.LocalAws.start(options.out().toAbsolutePath().resolve("moto.log"))) {
            Scenarios scenarios = new Scenarios(aws);
            if (!options.coldOnly()) {
                progress("AWS calls and state transitions per scenario");
                results.set("scenarios", scenarios.perScenario());
                progress("one VPC, " + options.scaling() + " subnets");
                results.set("scaling", scenarios.scaling(options.scaling()));
                progress("state transitions per wait iteration, cost");
                results.set("transitions", scenarios.transitions(results.get("scenarios")));
            }
            progress("cold start: capturing one real input per function");
            Map<String, String> inputs = scenarios.captureInputs(options.functions());
            ColdStart coldStart = new ColdStart(options, aws, scenarios.topicArn(), ColdStart.roles(aws, scenarios.topicArn()));
            if (!options.trace().isEmpty()) {
                RestoredPath restored = new RestoredPath(options, coldStart);
                options.trace().forEach(f -> progress("traced " + f + ": " + restored.trace(f, inputs.get(f))));
                return results;
            }
            progress("cold start: " + options.runs() + " fresh JVMs per function and variant");
            results.set("coldStart", coldStart.measure(inputs));
            progress("restored path: " + options.runs() + " fresh JVMs per function, unprimed and primed");
            results.set("restoredPath", new RestoredPath(options, coldStart).measure(inputs));
            if (!options.coldOnly()) {
                progress("burst: " + options.burstVpcs() * options.burstSubnetsPerVpc() + " subnets in " + options.burstVpcs()
                        + " VPCs, " + options.burstPool() + " executions at a time");
                results.set("burst", scenarios.burst(options.burstVpcs(), options.burstSubnetsPerVpc(), options.burstPool()));
            }
        }
        progress("deployment package");
        results.set("package", Packages.measure(Packages.Layout.of(options), options.out()));
        results.put("finishedAt", Instant.now().toString());
        try {
            MAPPER.writeValue(options.out().resolve("results.json").toFile(), results);
            Plot.write(results, options.out().resolve("results.png"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return results;
    }

    static void progress(String message) {
        System.err.println("bench: " + message + "...");
    }

    static ObjectNode machine() {
        ObjectNode machine = MAPPER.createObjectNode();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        machine.put("memoryGiB", Math.round(((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1073741824.0));
        try {
            machine.put("host", InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            machine.put("host", "unknown");
        }
        machine.put("loadAverageAtStart", String.format(Locale.ROOT, "%.2f",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        return machine;
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int n = sorted.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }

    static ArrayNode array(List<?> values) {
        ArrayNode array = MAPPER.createArrayNode();
        values.forEach(value -> array.add(MAPPER.valueToTree(value) instanceof JsonNode node ? node : null));
        return array;
    }
}
