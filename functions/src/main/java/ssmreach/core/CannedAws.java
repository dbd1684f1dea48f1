package ssmreach.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * The AWS that priming talks to: an HTTP client that never opens a connection and answers each
 * request with a canned response of the operation it names, from
 * {@code /ssmreach/priming/<service>/<Operation>.xml|json} ({@code ${region}} and {@code ${account}}
 * filled in). The service is the one the request is signed for (SigV4 credential scope), so only
 * a request that went through signing is answered. The canned responses are reads only: a request
 * for any other operation (a mutation above all) gets an error, and priming fails.
 */
final class CannedAws implements SdkHttpClient {
    static final String RESOURCES = "/ssmreach/priming/";
    private static final Pattern SCOPE = Pattern.compile("Credential=[^/]+/\\d{8}/[^/]+/([^/]+)/aws4_request");
    private static final Pattern ACTION = Pattern.compile("(?:^|&)Action=([^&]+)");

    private final Map<String, String> substitutions;
    private final List<String> answered = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();

    /** @param substitutions placeholder (without {@code ${}}) to value, e.g. region to us-east-1 */
    CannedAws(Map<String, String> substitutions) {
        this.substitutions = Map.copyOf(substitutions);
    }

    /** "service:Operation" of each request answered, in order. */
    List<String> answered() {
        return List.copyOf(answered);
    }

    /** "service:Operation" of each request that had no canned answer. */
    List<String> refused() {
        return List.copyOf(refused);
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() {
                return answer(request);
            }

            @Override
            public void abort() {
                // Nothing in flight: the answer is produced in the calling thread.
            }
        };
    }

    private HttpExecuteResponse answer(HttpExecuteRequest request) {
        SdkHttpRequest http = request.httpRequest();
        String service = http.firstMatchingHeader("Authorization").map(SCOPE::matcher).filter(Matcher::find)
                .map(m -> m.group(1)).orElse("unsigned");
        Optional<String> target = http.firstMatchingHeader("X-Amz-Target");
        String operation = target.map(t -> t.substring(t.indexOf('.') + 1)).orElseGet(() -> action(request));
        boolean json = target.isPresent();
        String name = service + ":" + operation;
        String body = load(RESOURCES + service + "/" + operation + (json ? ".json" : ".xml"));
        if (body == null) {
            refused.add(name);
            return response(400, json, json
                    ? "{\"__type\":\"PrimingNoCannedAnswer\",\"message\":\"priming answers reads only; no answer for " + name + "\"}"
                    : "<Response><Errors><Error><Code>PrimingNoCannedAnswer</Code><Message>priming answers reads only; no answer for "
                            + name + "</Message></Error></Errors><RequestID>priming</RequestID></Response>");
        }
        answered.add(name);
        return response(200, json, body);
    }

    /** The Action parameter of a query-protocol request (EC2, IAM, SNS): form-encoded in the body. */
    private static String action(HttpExecuteRequest request) {
        String form = request.contentStreamProvider().map(provider -> {
            try (InputStream in = provider.newStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).orElse("");
        Matcher action = ACTION.matcher(form);
        return action.find() ? URLDecoder.decode(action.group(1), StandardCharsets.UTF_8) : "unknown";
    }

    private String load(String resource) {
        try (InputStream in = CannedAws.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            return fill(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code text} with the placeholders filled in. */
    String fill(String text) {
        for (var substitution : substitutions.entrySet()) {
            text = text.replace("${" + substitution.getKey() + "}", substitution.getValue());
        }
        return text;
    }

    private static HttpExecuteResponse response(int status, boolean json, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        SdkHttpResponse response = SdkHttpResponse.builder().statusCode(status)
                .putHeader("Content-Type", json ? "application/x-amz-json-1.1" : "text/xml;charset=UTF-8")
                .putHeader("Content-Length", String.valueOf(bytes.length))
                .putHeader("x-amzn-RequestId", "priming")
                .build();
        return HttpExecuteResponse.builder().response(response)
                .responseBody(AbortableInputStream.create(new ByteArrayInputStream(bytes))).build();
    }

    @Override
    public String clientName() {
        return "CannedAws";
    }

    @Override
    public void close() {
        // Holds nothing open.
    }
}
