package ssmreach.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * SnapStart priming. Lambda snapshots a SnapStart function after its constructor; what the first
 * invocation after a restore would still pay for (loading, verifying and compiling the JSON
 * mapping, the SDK's marshalling, signing and unmarshalling, the function's own logic) is run
 * before the snapshot instead, by {@link JsonHandler#beforeCheckpoint}: each function serves its
 * sample inputs ({@code /ssmreach/priming/inputs/<Handler>.json}) through {@link Twins} of its
 * clients, which an in-process canned AWS answers with reads only. The function's own clients are
 * not touched, no credentials are resolved, nothing goes to the network, and the twins are closed
 * before the snapshot is taken.
 */
public final class Priming {
    /**
     * The sample invocations are served in rounds: the first loads the classes, the next ones get
     * the hottest methods compiled (C1, as the template's JAVA_TOOL_OPTIONS ask) before the
     * snapshot. At least {@link #MIN_ROUNDS}, then more while they take less than
     * {@link #ROUNDS_TIME} in all (a function whose invocation is cheap gets as warm), at most
     * {@link #MAX_ROUNDS}.
     */
    static final int MIN_ROUNDS = 5;
    static final int MAX_ROUNDS = 200;
    private static final Duration ROUNDS_TIME = Duration.ofMillis(300);
    /** How long the JIT compiler must have been idle, and the longest wait for it, after the rounds. */
    private static final Duration COMPILER_QUIET = Duration.ofMillis(100);
    private static final Duration COMPILER_WAIT = Duration.ofSeconds(2);
    private static final Logger LOG = Logger.getLogger(Priming.class.getName());

    /** What a priming did: the rounds served, the canned AWS's answers ("service:Operation"), how long it took. */
    public record Result(int rounds, List<String> answered, Duration took) {}

    private Priming() {}

    /**
     * Primes {@code handler} for a stack with {@code settings}. Throws what failed, and
     * {@link IllegalStateException} when the handler asked the canned AWS for something it does
     * not answer (anything but the reads it holds).
     */
    public static Result prime(JsonHandler<?, ?> handler, Settings settings) throws IOException {
        long start = System.nanoTime();
        try (Twins twins = new Twins(settings)) {
            int rounds = 0;
            while (rounds < MIN_ROUNDS || (rounds < MAX_ROUNDS && System.nanoTime() - start < ROUNDS_TIME.toNanos())) {
                handler.prime(twins);
                rounds++;
            }
            if (!twins.refused().isEmpty()) {
                throw new IllegalStateException(handler.getClass().getSimpleName() + " priming asked for " + twins.refused()
                        + ", which the canned AWS does not answer (it answers reads only)");
            }
            List<String> answered = twins.answered();
            awaitCompiler();
            return new Result(rounds, answered, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /**
     * Waits, boundedly, until the JIT compiler is idle: the compilations the rounds queued then end
     * up in the snapshot instead of competing with the first invocation after a restore.
     */
    private static void awaitCompiler() {
        CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
        if (compiler == null || !compiler.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long deadline = System.nanoTime() + COMPILER_WAIT.toNanos();
        long compiled = compiler.getTotalCompilationTime();
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - quietSince < COMPILER_QUIET.toNanos()) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = compiler.getTotalCompilationTime();
            if (now != compiled) {
                compiled = now;
                quietSince = System.nanoTime();
            }
        }
    }

    /**
     * The hook's work: a priming that fails is reported at WARN and the snapshot goes on without
     * it. The function then works as before; only its first invocation after a restore is slower.
     */
    static void beforeSnapshot(JsonHandler<?, ?> handler, Settings settings) {
        try {
            prime(handler, settings);
        } catch (IOException | RuntimeException | LinkageError e) {
            JsonLogHandler.install();
            LOG.log(Level.WARNING, "SnapStart priming of " + handler.getClass().getSimpleName()
                    + " failed; the function is not affected, its first invocation after a restore is slower", e);
        }
    }

    /** The sample inputs of a function (a JSON array in its resource), in the canned world's Region and account. */
    static List<byte[]> samples(Class<?> handler, Twins twins) {
        String resource = CannedAws.RESOURCES + "inputs/" + handler.getSimpleName() + ".json";
        try (InputStream in = handler.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no priming inputs " + resource);
            }
            JsonNode inputs = Json.MAPPER.readTree(twins.fill(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            List<byte[]> samples = new ArrayList<>();
            for (JsonNode input : inputs) {
                samples.add(Json.MAPPER.writeValueAsBytes(input));
            }
            return samples;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
