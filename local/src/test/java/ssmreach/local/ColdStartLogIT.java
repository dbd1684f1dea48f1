package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ssmreach.testing.RuntimeApiFunction;

/**
 * A function's cold start as Lambda runs it: the built handler under Lambda's own Java runtime
 * client (SnapStart init, snapshot hooks, restore, one invocation), against a stand-in for the
 * Runtime API, the runtime's credentials endpoint and EC2 on loopback, with the environment a
 * SnapStart function gets and JSON log format. Everything the process writes is its log.
 *
 * <p>The credentials endpoint hands out credentials about to expire, which the SDK reports at
 * WARN: the log must show that warning as JSON, nothing below WARN, and none of SLF4J's
 * "no binding" lines.
 */
class ColdStartLogIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUNTIME = "/2018-06-01/runtime";
    private static final String REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

    @Test
    void aSnapStartFunctionsColdStartLogIsJsonAndHoldsOnlyTheSdksWarnings(@TempDir Path taskRoot) throws Exception {
        String event = Files.readString(LocalWorkflow.repositoryRoot().resolve("events/check-endpoints.json"));
        CompletableFuture<String> response = new CompletableFuture<>();
        List<String> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean served = new AtomicBoolean();
        CountDownLatch end = new CountDownLatch(1);
        ExecutorService threads = Executors.newCachedThreadPool();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(threads);
        server.createContext(RUNTIME + "/restore/next", exchange -> reply(exchange, 200, ""));
        server.createContext(RUNTIME + "/invocation/next", exchange -> {
            if (served.getAndSet(true)) {
                await(end); // the runtime asks for the next invocation: none comes before it is stopped
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().set("Lambda-Runtime-Aws-Request-Id", REQUEST_ID);
            exchange.getResponseHeaders().set("Lambda-Runtime-Deadline-Ms", String.valueOf(System.currentTimeMillis() + 60_000));
            exchange.getResponseHeaders().set("Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:ssm-reach-CheckEndpointsFunction:live");
            // Lambda always sends it (Tracing: Active); the runtime client's native code needs it.
            exchange.getResponseHeaders().set("Lambda-Runtime-Trace-Id",
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1");
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            reply(exchange, 200, event);
        });
        server.createContext(RUNTIME + "/invocation/" + REQUEST_ID + "/response", exchange -> {
            response.complete(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            reply(exchange, 202, "");
        });
        server.createContext(RUNTIME, exchange -> {
            unexpected.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            response.complete(null);
            reply(exchange, 202, "");
        });
        server.createContext("/credentials", exchange -> {
            boolean authorized = "container-token".equals(exchange.getRequestHeaders().getFirst("Authorization"));
            // Within the SDK's one-minute margin: it takes them, with a warning.
            reply(exchange, authorized ? 200 : 403, authorized ? """
                    {"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "secret", "Token": "session", "Expiration": "%s"}"""
                    .formatted(Instant.now().plus(30, ChronoUnit.SECONDS).truncatedTo(ChronoUnit.SECONDS)) : "");
        });
        server.createContext("/", exchange -> reply(exchange, 200, describeVpcEndpoints(JSON.readTree(event))));
        server.start();
        String address = "127.0.0.1:" + server.getAddress().getPort();

        Path log = taskRoot.resolve("function.log");
        ProcessBuilder builder = new ProcessBuilder(command()).directory(taskRoot.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().putAll(snapStartEnvironment(address, taskRoot));
        Process process = builder.start();
        process.getOutputStream().close();
        try {
            String output;
            try {
                output = response.get(90, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("no answer from the function; its log:\n" + Files.readString(log), e);
            }
            assertEquals(List.of(), unexpected, "the runtime reported an error");
            JsonNode report = JSON.readTree(output);
            assertTrue(report.path("allAvailable").asBoolean(), output);
        } finally {
            // Stopped while it waits for the next invocation, as Lambda freezes and ends an environment.
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            end.countDown();
            server.stop(0);
            threads.shutdownNow();
        }

        List<String> lines = Files.readAllLines(log).stream().filter(line -> !line.isBlank()).toList();
        System.out.println("[cold start] the function's log:\n  " + String.join("\n  ", lines));
        assertFalse(lines.stream().anyMatch(line -> line.contains("SLF4J")), "no SLF4J set-up lines: " + lines);
        List<JsonNode> records = new ArrayList<>();
        for (String line : lines) {
            try {
                records.add(JSON.readTree(line));
            } catch (IOException e) {
                fail("not a JSON log record: " + line);
            }
        }
        assertTrue(records.stream().allMatch(r -> r.isObject() && r.hasNonNull("timestamp") && r.hasNonNull("level")),
                "each record has the timestamp and level Lambda reads: " + lines);
        assertTrue(records.stream().allMatch(r -> List.of("WARN", "ERROR").contains(r.path("level").asText())),
                "nothing below WARN: " + lines);
        assertTrue(records.stream().anyMatch(r -> r.path("logger").asText().startsWith("software.amazon.awssdk.")
                        && r.path("message").asText().contains("expiration is in the past")),
                "the SDK's warning about the credentials is there, as JSON: " + lines);
    }

    /** What Lambda sets for a SnapStart java21 function with JSON logs, plus the stack's variables; AWS here is the stand-in. */
    private static Map<String, String> snapStartEnvironment(String address, Path taskRoot) {
        Map<String, String> environment = new HashMap<>();
        environment.put("AWS_LAMBDA_RUNTIME_API", address);
        environment.put("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
        environment.put("AWS_LAMBDA_LOG_FORMAT", "JSON");
        environment.put("AWS_LAMBDA_LOG_LEVEL", "INFO");
        environment.put("AWS_LAMBDA_FUNCTION_NAME", "ssm-reach-CheckEndpointsFunction");
        environment.put("AWS_LAMBDA_FUNCTION_VERSION", "1");
        environment.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024");
        environment.put("AWS_REGION", "us-east-1");
        environment.put("AWS_DEFAULT_REGION", "us-east-1");
        environment.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://" + address + "/credentials");
        environment.put("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token");
        environment.put("AWS_ENDPOINT_URL", "http://" + address);
        environment.put("LAMBDA_TASK_ROOT", taskRoot.toString());
        environment.put("HOME", taskRoot.toString());
        environment.put("TZ", ":UTC");
        environment.put("ACCOUNT_ID", "123456789012");
        return environment;
    }

    /** java with Lambda's runtime client as the main class and the handler as its argument, as the java21 runtime starts it. */
    private List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 24) {
            // Lambda's java21 prints nothing when the runtime client loads its JNI library and uses
            // Unsafe; newer JDKs warn on stderr unless told these are allowed.
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                "ssmreach.endpoint.CheckEndpointsHandler::handleRequest"));
        return command;
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        RuntimeApiFunction.reply(exchange, status, body);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** EC2's answer to DescribeVpcEndpoints: every endpoint of the event, available. */
    private static String describeVpcEndpoints(JsonNode event) {
        StringBuilder items = new StringBuilder();
        for (JsonNode endpoint : event.path("endpoints")) {
            items.append("<item><vpcEndpointId>").append(endpoint.path("id").asText()).append("</vpcEndpointId>")
                    .append("<vpcEndpointType>").append(endpoint.path("type").asText()).append("</vpcEndpointType>")
                    .append("<state>available</state></item>");
        }
        return "<DescribeVpcEndpointsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r-1</requestId>"
                + "<vpcEndpointSet>" + items + "</vpcEndpointSet></DescribeVpcEndpointsResponse>";
    }
}
