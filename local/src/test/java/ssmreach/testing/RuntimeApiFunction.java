package ssmreach.testing;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One function as Lambda runs a SnapStart version of it: a JVM running Lambda's own Java runtime
 * client on a class path (the deployment package), against a stand-in for the Runtime API and for
 * the runtime's container credentials endpoint. The runtime client constructs the handler, runs
 * the snapshot hooks ({@code beforeCheckpoint}: the priming), asks for the restore, and then serves
 * the invocations handed to {@link #handleRequest}, one at a time, as an environment does.
 *
 * <p>What the stand-in saw is kept: when the restore was asked for, when credentials were first
 * fetched, and any init or restore error the runtime reported.
 */
public final class RuntimeApiFunction implements RequestStreamHandler, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUNTIME = "/2018-06-01/runtime";
    private static final String TOKEN = "container-token";

    /** An invocation waiting for the runtime to take it. */
    private record Pending(String id, byte[] event, CompletableFuture<byte[]> result) {}

    private final String name;
    private final Path log;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<String, Pending> running = new ConcurrentHashMap<>();
    private final CountDownLatch restored = new CountDownLatch(1);
    private final List<String> runtimeErrors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean credentialsBeforeRestore = new AtomicBoolean();
    private volatile boolean restoreAsked;
    private volatile boolean closed;
    private final Process process;

    /**
     * @param command java and its options (the runtime client's main class and the handler follow)
     * @param environment what Lambda sets for the function, without the Runtime API and credentials endpoint
     * @param keys the access key id and secret the credentials endpoint hands out
     */
    public RuntimeApiFunction(String name, String handler, List<String> command, Map<String, String> environment, String[] keys, Path log)
            throws IOException {
        this.name = name;
        this.log = log;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(threads);
        server.createContext(RUNTIME + "/restore/next", exchange -> {
            restoreAsked = true;
            restored.countDown();
            reply(exchange, 200, "");
        });
        server.createContext(RUNTIME + "/invocation/next", this::next);
        server.createContext(RUNTIME + "/invocation/", this::answer);
        server.createContext(RUNTIME, exchange -> {
            runtimeErrors.add(exchange.getRequestURI().getPath() + " " + body(exchange));
            restored.countDown();
            reply(exchange, 202, "");
        });
        server.createContext("/credentials", exchange -> {
            if (!restoreAsked) {
                credentialsBeforeRestore.set(true);
            }
            boolean authorized = TOKEN.equals(exchange.getRequestHeaders().getFirst("Authorization"));
            reply(exchange, authorized ? 200 : 403, authorized ? JSON.createObjectNode().put("AccessKeyId", keys[0])
                    .put("SecretAccessKey", keys[1]).put("Token", "session-" + name)
                    .put("Expiration", Instant.now().plus(6, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString()).toString() : "");
        });
        server.start();
        String address = "127.0.0.1:" + server.getAddress().getPort();
        List<String> line = new ArrayList<>(command);
        line.addAll(List.of("com.amazonaws.services.lambda.runtime.api.client.AWSLambda", handler));
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.environment().put("AWS_LAMBDA_RUNTIME_API", address);
        builder.environment().put("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + address + "/credentials");
        builder.environment().put("AWS_CONTAINER_AUTHORIZATION_TOKEN", TOKEN);
        this.process = builder.start();
        process.getOutputStream().close();
    }

    /** Waits until the runtime asked for the restore (init and hooks done) or reported an error. */
    public boolean awaitRestore(long seconds) throws InterruptedException {
        return restored.await(seconds, TimeUnit.SECONDS) && restoreAsked;
    }

    /** Init, hook or invocation errors the runtime client reported to the Runtime API. */
    public List<String> runtimeErrors() {
        return List.copyOf(runtimeErrors);
    }

    /** Whether credentials were fetched before the restore was asked for (during init or the hooks). */
    public boolean fetchedCredentialsBeforeRestore() {
        return credentialsBeforeRestore.get();
    }

    public Path log() {
        return log;
    }

    /** "running", or how the process ended. */
    public String state() {
        return process.isAlive() ? "running" : "exited with " + process.exitValue();
    }

    public String name() {
        return name;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Pending pending = new Pending(UUID.randomUUID().toString(), input.readAllBytes(), new CompletableFuture<>());
        running.put(pending.id(), pending);
        queue.add(pending);
        try {
            output.write(pending.result().get(2, TimeUnit.MINUTES));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + " interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (RuntimeException) e.getCause();
        } catch (TimeoutException e) {
            throw new IllegalStateException(name + " did not answer within 2 minutes; its log: " + log, e);
        } finally {
            running.remove(pending.id());
        }
    }

    private void next(HttpExchange exchange) throws IOException {
        Pending pending = null;
        try {
            while (pending == null && !closed) {
                pending = queue.poll(200, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pending == null) {
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", pending.id());
        exchange.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms", String.valueOf(System.currentTimeMillis() + 120_000));
        exchange.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:123456789012:function:ssm-reach-" + name + "Function:live");
        exchange.getResponseHeaders().set("Lambda-Runtime-Trace-Id",
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1");
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, pending.event().length);
        exchange.getResponseBody().write(pending.event());
        exchange.close();
    }

    /** {@code /invocation/<id>/response} or {@code /invocation/<id>/error}. */
    private void answer(HttpExchange exchange) throws IOException {
        String[] parts = exchange.getRequestURI().getPath().substring((RUNTIME + "/invocation/").length()).split("/");
        byte[] body = exchange.getRequestBody().readAllBytes();
        Pending pending = parts.length == 2 ? running.get(parts[0]) : null;
        if (pending == null) {
            runtimeErrors.add(exchange.getRequestURI().getPath() + " " + new String(body, StandardCharsets.UTF_8));
        } else if (parts[1].equals("response")) {
            pending.result().complete(body);
        } else {
            JsonNode error = JSON.readTree(body);
            pending.result().completeExceptionally(new IllegalStateException(name + " failed: "
                    + error.path("errorType").asText() + ": " + error.path("errorMessage").asText()));
        }
        reply(exchange, 202, "");
    }

    private static String body(HttpExchange exchange) throws IOException {
        return new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Answers an exchange of a stand-in: {@code body} (none when empty) with {@code status}. */
    public static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    /** Stops the environment as Lambda does: while it waits for the next invocation. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        server.stop(0);
        threads.shutdownNow();
    }
}
