package ssmreach.local;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Lambda Invoke API on 127.0.0.1, as {@code sam local start-lambda} serves it, in front of
 * {@link RequestStreamHandler}s running in this JVM: {@code POST /2015-03-31/functions/{name}/invocations}
 * where {name} is a function name, a partial or full function ARN, with or without a version or alias.
 *
 * <p>A handler's output is the response body. A handler's exception is reported the way the Java
 * runtime reports it: HTTP 200, {@code X-Amz-Function-Error: Unhandled} and {@code {"errorMessage",
 * "errorType" (the exception's fully qualified class name), "stackTrace"}}, so that the workflow's
 * Retry and Catch match on the class name as they do in AWS. An unknown function is a 404
 * {@code ResourceNotFoundException}. Faults of the Lambda service itself ({@link ServiceFault}:
 * throttling, a service error, a lost answer) can be injected too; the handler does not run then.
 */
public final class LambdaInvokeServer implements AutoCloseable {
    /** As many invocations at once as a Map state would run in the tests and the local runner. */
    public static final int DEFAULT_CONCURRENCY = 8;

    private static final String ACCOUNT = "123456789012";
    private static final Pattern INVOKE_PATH = Pattern.compile("^/2015-03-31/functions/([^/]+)/invocations$");
    private static final Pattern PARTIAL_ARN = Pattern.compile("^\\d{12}:function:([^:]+)(?::([^:]+))?$");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * One invocation as it happened: the input, and either the output or the error the caller saw.
     * {@code errorType} is null on success.
     */
    public record Invocation(
            String functionName,
            String invokedName,
            String requestId,
            String input,
            String output,
            String errorType,
            String errorMessage,
            Duration duration) {

        public boolean failed() {
            return errorType != null;
        }
    }

    /**
     * A fault of the Lambda service, not of the function, named as Step Functions names it when it
     * reaches a Task whose Resource is a function ARN; each is answered as the Invoke API answers it.
     */
    public enum ServiceFault {
        /** Throttled: HTTP 429 {@code TooManyRequestsException}. */
        TOO_MANY_REQUESTS("Lambda.TooManyRequestsException", 429, "TooManyRequestsException",
                "{\"Reason\":\"ReservedFunctionConcurrentInvocationLimitExceeded\",\"Type\":\"User\",\"message\":\"Rate Exceeded.\"}"),
        /** The service failed: HTTP 500 {@code ServiceException}. */
        SERVICE("Lambda.ServiceException", 500, "ServiceException",
                "{\"Type\":\"Service\",\"Message\":\"Lambda was unable to process the request. Try again.\"}"),
        /** An error answer that names no modeled exception: HTTP 503, no error type. */
        AWS_LAMBDA("Lambda.AWSLambdaException", 503, null, "{\"Message\":\"Service Unavailable\"}"),
        /** The connection closed before any answer. */
        SDK_CLIENT("Lambda.SdkClientException", 0, null, null);

        private final String stepFunctionsName;
        private final int status;
        private final String errorType;
        private final String body;

        ServiceFault(String stepFunctionsName, int status, String errorType, String body) {
            this.stepFunctionsName = stepFunctionsName;
            this.status = status;
            this.errorType = errorType;
            this.body = body;
        }

        /** The error name the workflow's Retry and Catch see, e.g. {@code Lambda.TooManyRequestsException}. */
        public String stepFunctionsName() {
            return stepFunctionsName;
        }

        /** The fault Step Functions names {@code name}. */
        public static ServiceFault named(String name) {
            for (ServiceFault fault : values()) {
                if (fault.stepFunctionsName.equals(name)) {
                    return fault;
                }
            }
            throw new IllegalArgumentException("no Lambda service fault named " + name + "; known: "
                    + Arrays.stream(values()).map(ServiceFault::stepFunctionsName).toList());
        }
    }

    private final Map<String, RequestStreamHandler> handlers;
    private final Map<String, Deque<Supplier<? extends RuntimeException>>> faults = new ConcurrentHashMap<>();
    private final Map<String, Deque<ServiceFault>> serviceFaults = new ConcurrentHashMap<>();
    private final AtomicInteger serviceFaultsServed = new AtomicInteger();
    private final List<Consumer<Invocation>> listeners = new CopyOnWriteArrayList<>();
    private final String region;
    private final HttpServer server;
    private final ExecutorService executor;

    /** Starts serving {@code handlers}, keyed by function name, on a free loopback port. */
    public LambdaInvokeServer(Map<String, ? extends RequestStreamHandler> handlers) {
        this(handlers, DEFAULT_CONCURRENCY);
    }

    /** Starts serving with at most {@code concurrency} invocations at once; others queue. */
    public LambdaInvokeServer(Map<String, ? extends RequestStreamHandler> handlers, int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        this.handlers = Map.copyOf(handlers);
        this.region = System.getenv().getOrDefault("AWS_REGION", "us-east-1");
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(concurrency, runnable -> {
            Thread thread = new Thread(runnable, "lambda-invoke-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("could not bind the Lambda Invoke server to 127.0.0.1", e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** {@code http://127.0.0.1:PORT}: what {@code AWS_ENDPOINT_URL_LAMBDA} should be. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /**
     * Makes the next {@code times} invocations of {@code functionName} throw what {@code fault}
     * supplies instead of running the handler, reported exactly as a handler's own exception.
     * Calls add up: two calls of once each fail the next two invocations.
     */
    public void failNext(String functionName, int times, Supplier<? extends RuntimeException> fault) {
        Objects.requireNonNull(fault, "fault");
        checkFault(functionName, times);
        Deque<Supplier<? extends RuntimeException>> queue = faults.computeIfAbsent(functionName, name -> new ArrayDeque<>());
        synchronized (queue) {
            for (int i = 0; i < times; i++) {
                queue.addLast(fault);
            }
        }
    }

    /**
     * Makes the next {@code times} invocations of {@code functionName} meet {@code fault} instead of
     * the function, as the Lambda service answers it. Calls add up, and come before the function's
     * own injected errors ({@link #failNext(String, int, Supplier)}).
     */
    public void failNext(String functionName, int times, ServiceFault fault) {
        Objects.requireNonNull(fault, "fault");
        checkFault(functionName, times);
        Deque<ServiceFault> queue = serviceFaults.computeIfAbsent(functionName, name -> new ArrayDeque<>());
        synchronized (queue) {
            for (int i = 0; i < times; i++) {
                queue.addLast(fault);
            }
        }
    }

    /** How many service faults have been answered so far. */
    public int serviceFaultsServed() {
        return serviceFaultsServed.get();
    }

    /** Calls {@code listener} after every invocation, before the caller gets the response. */
    public void onInvocation(Consumer<Invocation> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private void checkFault(String functionName, int times) {
        if (!handlers.containsKey(functionName)) {
            throw new IllegalArgumentException("no function named " + functionName + "; known: " + handlers.keySet());
        }
        if (times < 1) {
            throw new IllegalArgumentException("times must be at least 1, got " + times);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Matcher matcher = INVOKE_PATH.matcher(exchange.getRequestURI().getRawPath());
            if (!matcher.matches()) {
                sendError(exchange, 404, "UnknownOperationException", "Unknown operation "
                        + exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                sendError(exchange, 405, "MethodNotAllowedException", "Invoke takes POST");
                return;
            }
            String invokedName = URLDecoder.decode(matcher.group(1), StandardCharsets.UTF_8);
            String functionName = functionName(invokedName);
            RequestStreamHandler handler = handlers.get(functionName);
            if (handler == null) {
                sendError(exchange, 404, "ResourceNotFoundException",
                        "Function not found: " + functionArn(functionName, qualifier(invokedName, exchange)));
                return;
            }
            String invocationType = exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type");
            if ("DryRun".equals(invocationType)) {
                send(exchange, 204, new byte[0]);
                return;
            }
            String arn = functionArn(functionName, qualifier(invokedName, exchange));
            ServiceFault serviceFault = nextServiceFault(functionName);
            if (serviceFault != null) {
                serviceFaultsServed.incrementAndGet();
                answer(exchange, serviceFault);
                return;
            }
            if ("Event".equals(invocationType)) {
                send(exchange, 202, new byte[0]);
                executor.execute(() -> invoke(functionName, invokedName, arn, handler, body));
                return;
            }
            Result result = invoke(functionName, invokedName, arn, handler, body);
            exchange.getResponseHeaders().set("X-Amz-Executed-Version", "$LATEST");
            exchange.getResponseHeaders().set("X-Amzn-RequestId", result.requestId());
            if (result.error() != null) {
                exchange.getResponseHeaders().set("X-Amz-Function-Error", "Unhandled");
            }
            send(exchange, 200, result.body());
        }
    }

    private record Result(String requestId, byte[] body, Throwable error) {}

    private Result invoke(String functionName, String invokedName, String arn, RequestStreamHandler handler, byte[] input) {
        String requestId = UUID.randomUUID().toString();
        long start = System.nanoTime();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Throwable error = null;
        try {
            RuntimeException fault = nextFault(functionName);
            if (fault != null) {
                throw fault;
            }
            handler.handleRequest(new ByteArrayInputStream(input), output, new LocalContext(requestId, functionName, arn, start));
        } catch (Throwable e) {
            error = e;
        }
        byte[] body = error == null ? output.toByteArray() : errorBody(error);
        Invocation invocation = new Invocation(functionName, invokedName, requestId,
                new String(input, StandardCharsets.UTF_8),
                error == null ? new String(body, StandardCharsets.UTF_8) : null,
                error == null ? null : error.getClass().getName(),
                error == null ? null : errorMessage(error),
                Duration.ofNanos(System.nanoTime() - start));
        for (Consumer<Invocation> listener : listeners) {
            try {
                listener.accept(invocation);
            } catch (RuntimeException e) {
                System.err.println("Lambda Invoke server: an invocation listener failed: " + e);
            }
        }
        return new Result(requestId, body, error);
    }

    private RuntimeException nextFault(String functionName) {
        Deque<Supplier<? extends RuntimeException>> queue = faults.get(functionName);
        if (queue == null) {
            return null;
        }
        Supplier<? extends RuntimeException> fault;
        synchronized (queue) {
            fault = queue.pollFirst();
        }
        return fault == null ? null : fault.get();
    }

    private ServiceFault nextServiceFault(String functionName) {
        Deque<ServiceFault> queue = serviceFaults.get(functionName);
        if (queue == null) {
            return null;
        }
        synchronized (queue) {
            return queue.pollFirst();
        }
    }

    /**
     * The Invoke API's answer to {@code fault}; for a lost answer, none: an exchange closed before
     * its headers were sent closes the connection.
     */
    private static void answer(HttpExchange exchange, ServiceFault fault) throws IOException {
        if (fault.status == 0) {
            return;
        }
        exchange.getResponseHeaders().set("X-Amzn-RequestId", UUID.randomUUID().toString());
        if (fault.errorType != null) {
            exchange.getResponseHeaders().set("X-Amzn-ErrorType", fault.errorType);
        }
        send(exchange, fault.status, fault.body.getBytes(StandardCharsets.UTF_8));
    }

    /** The body the Java runtime reports for an exception the handler let out. */
    static byte[] errorBody(Throwable error) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("errorMessage", errorMessage(error));
        body.put("errorType", error.getClass().getName());
        var trace = body.putArray("stackTrace");
        // Like the runtime, which cuts its own frames, show the function's frames only.
        Arrays.stream(error.getStackTrace())
                .takeWhile(frame -> !isServerFrame(frame))
                .forEach(frame -> trace.add(frame.toString()));
        try {
            return MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isServerFrame(StackTraceElement frame) {
        String name = LambdaInvokeServer.class.getName();
        return frame.getClassName().equals(name) || frame.getClassName().startsWith(name + "$");
    }

    private static String errorMessage(Throwable error) {
        return error.getLocalizedMessage() == null ? error.getClass().getName() : error.getLocalizedMessage();
    }

    /** Name from "Name", "Name:alias", "123456789012:function:Name[:alias]" or a full function ARN. */
    static String functionName(String invokedName) {
        if (invokedName.startsWith("arn:")) {
            String[] parts = invokedName.split(":", -1);
            return parts.length >= 7 && "function".equals(parts[5]) ? parts[6] : invokedName;
        }
        Matcher partial = PARTIAL_ARN.matcher(invokedName);
        if (partial.matches()) {
            return partial.group(1);
        }
        int colon = invokedName.indexOf(':');
        return colon < 0 ? invokedName : invokedName.substring(0, colon);
    }

    private static String qualifier(String invokedName, HttpExchange exchange) {
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith("Qualifier=")) {
                    return URLDecoder.decode(pair.substring("Qualifier=".length()), StandardCharsets.UTF_8);
                }
            }
        }
        String[] parts = invokedName.split(":", -1);
        if (invokedName.startsWith("arn:")) {
            return parts.length >= 8 ? parts[7] : null;
        }
        if (PARTIAL_ARN.matcher(invokedName).matches()) {
            return parts.length >= 4 ? parts[3] : null;
        }
        return parts.length == 2 ? parts[1] : null;
    }

    private String functionArn(String functionName, String qualifier) {
        return "arn:aws:lambda:" + region + ":" + ACCOUNT + ":function:" + functionName
                + (qualifier == null || qualifier.isEmpty() ? "" : ":" + qualifier);
    }

    private static void sendError(HttpExchange exchange, int status, String type, String message) throws IOException {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("Type", "User");
        body.put("Message", message);
        exchange.getResponseHeaders().set("X-Amzn-ErrorType", type);
        send(exchange, status, MAPPER.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    /** What a handler can ask of its invocation; the log goes to stderr. */
    private static final class LocalContext implements Context {
        private static final Duration TIMEOUT = Duration.ofMinutes(15);
        private static final LambdaLogger LOGGER = new LambdaLogger() {
            @Override
            public void log(String message) {
                System.err.print(message);
                System.err.flush();
            }

            @Override
            public void log(byte[] message) {
                System.err.write(message, 0, message.length);
                System.err.flush();
            }
        };

        private final String requestId;
        private final String functionName;
        private final String arn;
        private final long startNanos;

        LocalContext(String requestId, String functionName, String arn, long startNanos) {
            this.requestId = requestId;
            this.functionName = functionName;
            this.arn = arn;
            this.startNanos = startNanos;
        }

        @Override
        public String getAwsRequestId() {
            return requestId;
        }

        @Override
        public String getLogGroupName() {
            return "/aws/lambda/" + functionName;
        }

        @Override
        public String getLogStreamName() {
            return "local/" + functionName;
        }

        @Override
        public String getFunctionName() {
            return functionName;
        }

        @Override
        public String getFunctionVersion() {
            return "$LATEST";
        }

        @Override
        public String getInvokedFunctionArn() {
            return arn;
        }

        @Override
        public CognitoIdentity getIdentity() {
            return null;
        }

        @Override
        public ClientContext getClientContext() {
            return null;
        }

        @Override
        public int getRemainingTimeInMillis() {
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            return (int) Math.max(0, TIMEOUT.toMillis() - elapsed);
        }

        @Override
        public int getMemoryLimitInMB() {
            return 512;
        }

        @Override
        public LambdaLogger getLogger() {
            return LOGGER;
        }
    }
}
