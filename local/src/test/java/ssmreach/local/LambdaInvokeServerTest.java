package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import ssmreach.core.RetryableAwsException;

class LambdaInvokeServerTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final List<String> invokedArns = new CopyOnWriteArrayList<>();
    private final List<LambdaInvokeServer.Invocation> invocations = new CopyOnWriteArrayList<>();
    private final CountDownLatch allInFlight = new CountDownLatch(4);
    private LambdaInvokeServer server;

    @BeforeEach
    void start() {
        RequestStreamHandler echo = (in, out, context) -> {
            invokedArns.add(context.getInvokedFunctionArn());
            context.getLogger().log("echo " + context.getAwsRequestId() + "\n");
            out.write(("{\"function\":\"" + context.getFunctionName() + "\",\"input\":").getBytes(StandardCharsets.UTF_8));
            in.transferTo(out);
            out.write('}');
        };
        RequestStreamHandler throwing = (in, out, context) -> {
            throw new RetryableAwsException("Rate exceeded");
        };
        RequestStreamHandler silent = (in, out, context) -> {
            throw new IllegalStateException();
        };
        RequestStreamHandler rendezvous = (in, out, context) -> {
            allInFlight.countDown();
            try {
                if (!allInFlight.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("invocations did not run at the same time");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write("{}".getBytes(StandardCharsets.UTF_8));
        };
        server = new LambdaInvokeServer(Map.of("Echo", echo, "Throwing", throwing, "Silent", silent, "Rendezvous", rendezvous));
        server.onInvocation(invocations::add);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void servesTheHandlerOutputOnLoopback() throws Exception {
        HttpResponse<String> response = invoke("Echo", "{\"a\":1}");

        assertEquals("127.0.0.1", server.endpoint().getHost());
        assertEquals(200, response.statusCode());
        assertFalse(response.headers().firstValue("X-Amz-Function-Error").isPresent());
        assertEquals(MAPPER.readTree("{\"function\":\"Echo\",\"input\":{\"a\":1}}"), MAPPER.readTree(response.body()));
        assertEquals(1, invocations.size());
        LambdaInvokeServer.Invocation invocation = invocations.getFirst();
        assertEquals("Echo", invocation.functionName());
        assertEquals("{\"a\":1}", invocation.input());
        assertEquals(response.body(), invocation.output());
        assertFalse(invocation.failed());
    }

    @Test
    void reportsAnExceptionAsTheJavaRuntimeDoes() throws Exception {
        HttpResponse<String> response = invoke("Throwing", "{}");

        assertEquals(200, response.statusCode());
        assertEquals("Unhandled", response.headers().firstValue("X-Amz-Function-Error").orElseThrow());
        JsonNode body = MAPPER.readTree(response.body());
        assertEquals("ssmreach.core.RetryableAwsException", body.get("errorType").asText());
        assertEquals("Rate exceeded", body.get("errorMessage").asText());
        assertTrue(body.get("stackTrace").isArray());
        assertTrue(body.get("stackTrace").get(0).asText().startsWith(LambdaInvokeServerTest.class.getName()),
                "the trace starts in the function: " + body.get("stackTrace"));
        body.get("stackTrace").forEach(frame -> assertFalse(frame.asText().contains("LambdaInvokeServer."),
                "the server's own frames are cut: " + frame));
        LambdaInvokeServer.Invocation invocation = invocations.getFirst();
        assertEquals("ssmreach.core.RetryableAwsException", invocation.errorType());
        assertNull(invocation.output());
    }

    @Test
    void namesAnExceptionWithoutMessageByItsClass() throws Exception {
        JsonNode body = MAPPER.readTree(invoke("Silent", "{}").body());

        assertEquals("java.lang.IllegalStateException", body.get("errorType").asText());
        assertEquals("java.lang.IllegalStateException", body.get("errorMessage").asText());
    }

    @Test
    void resolvesNamesArnsAndQualifiers() throws Exception {
        List<String> names = List.of(
                "Echo",
                "Echo:live",
                "123456789012:function:Echo",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo:live",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo:7");

        for (String name : names) {
            HttpResponse<String> response = invoke(name, "{}");
            assertEquals(200, response.statusCode(), name);
            assertEquals("Echo", MAPPER.readTree(response.body()).get("function").asText(), name);
        }

        assertEquals(List.of(
                "arn:aws:lambda:us-east-1:123456789012:function:Echo",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo:live",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo:live",
                "arn:aws:lambda:us-east-1:123456789012:function:Echo:7"), invokedArns);
        assertEquals(names, invocations.stream().map(LambdaInvokeServer.Invocation::invokedName).toList());
    }

    @Test
    void answersResourceNotFoundForAnUnknownFunction() throws Exception {
        HttpResponse<String> response = invoke("arn:aws:lambda:us-east-1:123456789012:function:Nope:live", "{}");

        assertEquals(404, response.statusCode());
        assertEquals("ResourceNotFoundException", response.headers().firstValue("X-Amzn-ErrorType").orElseThrow());
        assertEquals("Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope:live",
                MAPPER.readTree(response.body()).get("Message").asText());
        assertTrue(invocations.isEmpty());
    }

    @Test
    void failsTheNextInvocationsThenRunsTheHandler() throws Exception {
        server.failNext("Echo", 2, () -> new RetryableAwsException("Throttling"));

        List<HttpResponse<String>> responses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            responses.add(invoke("Echo", "{}"));
        }

        for (HttpResponse<String> failed : responses.subList(0, 2)) {
            assertEquals("Unhandled", failed.headers().firstValue("X-Amz-Function-Error").orElseThrow());
            assertEquals("ssmreach.core.RetryableAwsException", MAPPER.readTree(failed.body()).get("errorType").asText());
        }
        assertFalse(responses.get(2).headers().firstValue("X-Amz-Function-Error").isPresent());
        assertEquals(List.of(true, true, false), invocations.stream().map(LambdaInvokeServer.Invocation::failed).toList());
        assertEquals(1, invokedArns.size(), "the handler ran for the third invocation only");
        assertThrows(IllegalArgumentException.class, () -> server.failNext("Nope", 1, IllegalStateException::new));
    }

    @Test
    void answersServiceFaultsAsTheLambdaServiceDoesWithoutRunningTheHandler() throws Exception {
        server.failNext("Echo", 1, LambdaInvokeServer.ServiceFault.TOO_MANY_REQUESTS);
        server.failNext("Echo", 1, LambdaInvokeServer.ServiceFault.SERVICE);
        server.failNext("Echo", 1, LambdaInvokeServer.ServiceFault.AWS_LAMBDA);

        HttpResponse<String> throttled = invoke("Echo", "{}");
        HttpResponse<String> failed = invoke("Echo", "{}");
        HttpResponse<String> unavailable = invoke("Echo", "{}");
        HttpResponse<String> served = invoke("Echo", "{}");

        assertEquals(429, throttled.statusCode());
        assertEquals("TooManyRequestsException", throttled.headers().firstValue("X-Amzn-ErrorType").orElseThrow());
        assertEquals("Rate Exceeded.", MAPPER.readTree(throttled.body()).get("message").asText());
        assertEquals(500, failed.statusCode());
        assertEquals("ServiceException", failed.headers().firstValue("X-Amzn-ErrorType").orElseThrow());
        assertEquals(503, unavailable.statusCode());
        assertFalse(unavailable.headers().firstValue("X-Amzn-ErrorType").isPresent());
        assertEquals(200, served.statusCode());
        assertEquals(3, server.serviceFaultsServed());
        assertEquals(1, invokedArns.size(), "the handler ran for the fourth invocation only");
        assertEquals(1, invocations.size(), "a fault of the service is no invocation of the function");
    }

    @Test
    void aLostAnswerDropsTheConnection() throws Exception {
        server.failNext("Echo", 1, LambdaInvokeServer.ServiceFault.named("Lambda.SdkClientException"));

        assertThrows(IOException.class, () -> invoke("Echo", "{}"));
        assertEquals(200, invoke("Echo", "{}").statusCode());
        assertTrue(invokedArns.size() == 1, "the handler ran once, for the second call");
    }

    @Test
    void serviceFaultsAreNamedAsStepFunctionsNamesThem() {
        assertEquals(List.of("Lambda.TooManyRequestsException", "Lambda.ServiceException", "Lambda.AWSLambdaException",
                        "Lambda.SdkClientException"),
                java.util.Arrays.stream(LambdaInvokeServer.ServiceFault.values()).map(LambdaInvokeServer.ServiceFault::stepFunctionsName)
                        .toList());
        assertThrows(IllegalArgumentException.class, () -> LambdaInvokeServer.ServiceFault.named("Lambda.Unknown"));
        assertThrows(IllegalArgumentException.class,
                () -> server.failNext("Nope", 1, LambdaInvokeServer.ServiceFault.SERVICE));
    }

    @Test
    void runsInvocationsInParallel() throws Exception {
        try (var callers = Executors.newFixedThreadPool(4)) {
            List<Future<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                responses.add(callers.submit(() -> invoke("Rendezvous", "{}")));
            }
            for (Future<HttpResponse<String>> response : responses) {
                HttpResponse<String> answered = response.get(20, TimeUnit.SECONDS);
                assertFalse(answered.headers().firstValue("X-Amz-Function-Error").isPresent(), answered.body());
            }
        }
    }

    private HttpResponse<String> invoke(String functionName, String payload) throws IOException, InterruptedException {
        URI uri = server.endpoint().resolve("/2015-03-31/functions/"
                + URLEncoder.encode(functionName, StandardCharsets.UTF_8) + "/invocations");
        return HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(payload)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
