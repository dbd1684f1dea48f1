package ssmreach.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;

/**
 * A loopback proxy between the SDK and moto that answers the way AWS does where moto is more
 * lenient. It honours EC2's DryRun on every action (moto ignores it on some, e.g.
 * CreateVpcEndpoint, and would create the resource), and it passes DescribeVpcEndpointServices'
 * {@code service-name} filter in a form moto 5.2 reads (its filter parser fails on it).
 *
 * <p>It also answers two calls moto lacks, from moto's state: {@code ssm:DescribeInstanceInformation}
 * by a simulated fleet ({@link SsmFleet}) and {@code iam:SimulatePrincipalPolicy} by
 * {@link IamPolicySimulator}. Everything else is forwarded unchanged.
 */
public final class StrictAwsProxy implements AutoCloseable {
    private static final Set<String> HOP_BY_HOP = Set.of("host", "content-length", "connection", "transfer-encoding",
            "expect", "upgrade", "keep-alive");
    private static final String SSM_DESCRIBE_INSTANCE_INFORMATION = "AmazonSSM.DescribeInstanceInformation";

    private final URI upstream;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(16);
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final SdkHttpClient sdkHttp = UrlConnectionHttpClient.create();
    private final Ec2Client ec2;
    private final IamClient iam;
    private final IamPolicySimulator simulator;
    private final SsmFleet fleet;

    public StrictAwsProxy(URI upstream) {
        this(upstream, SsmFleet.DEFAULT_REGISTRATION_DELAY);
    }

    /** @param registrationDelay how long an instance's prerequisites must hold before its agent is Online */
    public StrictAwsProxy(URI upstream, Duration registrationDelay) {
        this.upstream = upstream;
        // The simulated services read moto directly: not through this proxy, not recorded.
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
        this.ec2 = Ec2Client.builder().httpClient(sdkHttp).region(Region.US_EAST_1).endpointOverride(upstream)
                .credentialsProvider(credentials).build();
        this.iam = IamClient.builder().httpClient(sdkHttp).region(Region.US_EAST_1).endpointOverride(upstream)
                .credentialsProvider(credentials).build();
        this.simulator = new IamPolicySimulator(iam);
        this.fleet = new SsmFleet(ec2, iam, Region.US_EAST_1.id(), registrationDelay, Clock.systemUTC());
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The simulated SSM fleet behind DescribeInstanceInformation; reset it with the emulator. */
    public SsmFleet fleet() {
        return fleet;
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        ec2.close();
        iam.close();
        sdkHttp.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (SSM_DESCRIBE_INSTANCE_INFORMATION.equals(exchange.getRequestHeaders().getFirst("X-Amz-Target"))) {
                answer(exchange, simulated(() -> fleet.describeInstanceInformation(body),
                        e -> AwsReply.jsonError(500, "InternalServerError", "local SSM fleet: " + e)));
                return;
            }
            Map<String, String> form = queryForm(exchange, body);
            if ("SimulatePrincipalPolicy".equals(form.get("Action"))) {
                answer(exchange, simulated(() -> simulator.answer(form),
                        e -> AwsReply.iamError(500, "ServiceFailure", "local policy simulator: " + e)));
                return;
            }
            if ("true".equalsIgnoreCase(form.get("DryRun"))) {
                reply(exchange, 412, ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set."));
                return;
            }
            forward(exchange, "DescribeVpcEndpointServices".equals(form.get("Action")) ? serviceNameFilterAsNames(form) : body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A simulated answer; a failure reading moto becomes the service's own 500 error, not a dropped connection. */
    private static AwsReply simulated(Supplier<AwsReply> answer, Function<RuntimeException, AwsReply> failure) {
        try {
            return answer.get();
        } catch (RuntimeException e) {
            return failure.apply(e);
        }
    }

    private static void answer(HttpExchange exchange, AwsReply reply) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", reply.contentType());
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        reply(exchange, reply.status(), reply.body());
    }

    private void forward(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve(exchange.getRequestURI().toString()))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase())) {
                values.forEach(v -> request.header(name, v));
            }
        });
        HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        response.headers().map().forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase()) && !name.startsWith(":")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        reply(exchange, response.statusCode(), response.body());
    }

    /** The parameters of a Query-protocol call (EC2, SNS): form-encoded in the body. */
    private static Map<String, String> queryForm(HttpExchange exchange, byte[] body) {
        Map<String, String> form = new LinkedHashMap<>();
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.startsWith("application/x-www-form-urlencoded")) {
            return form;
        }
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    /** Filter.N (Name=service-name, Value.M) becomes ServiceName.M, which moto filters the same way. */
    private static byte[] serviceNameFilterAsNames(Map<String, String> form) {
        Map<String, String> rewritten = new LinkedHashMap<>();
        java.util.List<String> names = new java.util.ArrayList<>();
        form.forEach((key, value) -> {
            if (key.startsWith("Filter.")) {
                String prefix = key.substring(0, key.indexOf('.', "Filter.".length()) + 1);
                if ("service-name".equals(form.get(prefix + "Name"))) {
                    if (key.startsWith(prefix + "Value.")) {
                        names.add(value);
                    }
                    return;
                }
            }
            rewritten.put(key, value);
        });
        for (int i = 0; i < names.size(); i++) {
            rewritten.put("ServiceName." + (i + 1), names.get(i));
        }
        return rewritten.entrySet().stream()
                .map(e -> java.net.URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + java.net.URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(java.util.stream.Collectors.joining("&")).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] ec2Error(String code, String message) {
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>" + code + "</Code><Message>"
                + message + "</Message></Error></Errors><RequestID>" + UUID.randomUUID() + "</RequestID></Response>")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
