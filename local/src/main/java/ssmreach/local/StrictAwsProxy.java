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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import ssmreach.local.iam.Authorizer;
import ssmreach.local.iam.PolicyEvaluator;

/**
 * A loopback proxy between the SDK and moto that answers the way AWS does where moto is more
 * lenient. It honours EC2's DryRun on every action (moto ignores it on some, e.g.
 * CreateVpcEndpoint, and would create the resource), and it passes DescribeVpcEndpointServices'
 * {@code service-name} filter in a form moto 5.2 reads (its filter parser fails on it).
 *
 * <p>It enforces the VPC endpoint rules moto skips ({@link StrictEc2Rules}: ClientToken
 * idempotency, the private-DNS conflict, one subnet per zone, {@code pending} before
 * {@code available}), on by default, and injects faults on demand ({@link FaultInjector}: none by
 * default).
 *
 * <p>It authorizes every request as AWS does ({@link Authorizer}): each caller signs with the
 * access key of a registered principal (a function's role as the template deploys it, or the
 * account's administrator, {@link #ADMIN_ACCESS_KEY}), and a request its policies do not allow is
 * refused in the service's own format (EC2 {@code UnauthorizedOperation} with an encoded message,
 * IAM and STS {@code AccessDenied}, SNS {@code AuthorizationError}, SSM and EventBridge
 * {@code AccessDeniedException}) before it reaches moto. A DryRun answers {@code DryRunOperation}
 * only when the call would be allowed.
 *
 * <p>It also answers calls moto lacks, from moto's state: {@code ssm:DescribeInstanceInformation}
 * by a simulated fleet ({@link SsmFleet}), {@code iam:SimulatePrincipalPolicy} by
 * {@link IamPolicySimulator}, {@code sts:DecodeAuthorizationMessage} for its own messages and
 * {@code states:ListExecutions} and {@code DescribeExecution} by {@link LocalExecutions}.
 * Everything else is forwarded unchanged.
 */
public final class StrictAwsProxy implements AutoCloseable {
    private static final Set<String> HOP_BY_HOP = Set.of("host", "content-length", "connection", "transfer-encoding",
            "expect", "upgrade", "keep-alive");
    private static final String SSM_DESCRIBE_INSTANCE_INFORMATION = "AmazonSSM.DescribeInstanceInformation";
    private static final String STATES_LIST_EXECUTIONS = "AWSStepFunctions.ListExecutions";
    private static final String STATES_DESCRIBE_EXECUTION = "AWSStepFunctions.DescribeExecution";
    private static final Pattern CREDENTIAL_KEY = Pattern.compile("Credential=([^/,\\s]+)/");

    /**
     * The access key of the account's administrator (allowed everything): what tests and the local
     * runner sign with when they act as a person rather than as a function.
     */
    public static final String ADMIN_ACCESS_KEY = "testing";
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final com.fasterxml.jackson.databind.JsonNode ADMINISTRATOR_ACCESS = IamPolicySimulator.parse("""
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}""");

    private final URI upstream;
    private final HttpServer server;
    private static final Pattern CREDENTIAL_SERVICE = Pattern.compile("Credential=[^/]*/[^/]*/[^/]*/([^/]+)/");

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final SdkHttpClient sdkHttp = UrlConnectionHttpClient.create();
    private final Ec2Client ec2;
    private final IamClient iam;
    private final IamPolicySimulator simulator;
    private final SsmFleet fleet;
    private final LocalExecutions executions = new LocalExecutions();
    private final StrictEc2Rules rules;
    private final FaultInjector faults;
    private final Authorizer authorizer;
    private final Ec2Throttling throttling = new Ec2Throttling(true);

    public StrictAwsProxy(URI upstream) {
        this(upstream, SsmFleet.DEFAULT_REGISTRATION_DELAY);
    }

    /** @param registrationDelay how long an instance's prerequisites must hold before its agent is Online */
    public StrictAwsProxy(URI upstream, Duration registrationDelay) {
        this(upstream, registrationDelay, StrictEc2Rules.Config.AWS, FaultInjector.none());
    }

    /**
     * @param rules which of AWS's endpoint rules to enforce ({@link StrictEc2Rules.Config#AWS}: all)
     * @param faults the faults to inject (rates can change while the proxy runs)
     */
    public StrictAwsProxy(URI upstream, Duration registrationDelay, StrictEc2Rules.Config rules, FaultInjector faults) {
        this.upstream = upstream;
        this.faults = faults;
        // The simulated services read moto directly: not through this proxy, not recorded.
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
        this.ec2 = Ec2Client.builder().httpClient(sdkHttp).region(Region.US_EAST_1).endpointOverride(upstream)
                .credentialsProvider(credentials).build();
        this.iam = IamClient.builder().httpClient(sdkHttp).region(Region.US_EAST_1).endpointOverride(upstream)
                .credentialsProvider(credentials).build();
        this.authorizer = new Authorizer(LocalWorkflow.repositoryRoot(), Region.US_EAST_1.id(), LocalAws.ACCOUNT_ID, ec2, iam);
        authorizer.register(new Authorizer.Principal(ADMIN_ACCESS_KEY, "arn:aws:iam::" + LocalAws.ACCOUNT_ID + ":user/administrator",
                "AIDAADMINISTRATOR", List.of(new PolicyEvaluator.Policy("AdministratorAccess", ADMINISTRATOR_ACCESS))));
        this.simulator = new IamPolicySimulator(iam, authorizer.evaluator());
        this.fleet = new SsmFleet(ec2, iam, simulator, Region.US_EAST_1.id(), registrationDelay, Clock.systemUTC());
        this.rules = new StrictEc2Rules(rules, ec2, Clock.systemUTC());
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
    /** The workflow's executions, as Step Functions lists and describes them. */
    public LocalExecutions executions() {
        return executions;
    }

    public SsmFleet fleet() {
        return fleet;
    }

    /** The faults injected, and their counters. */
    public FaultInjector faults() {
        return faults;
    }

    /** EC2's per-API token buckets, shared by every caller, and the record of every EC2 request. */
    public Ec2Throttling throttling() {
        return throttling;
    }

    /** Who signs with which access key, and what they may do. */
    public Authorizer authorizer() {
        return authorizer;
    }

    /** Forgets the idempotency tokens and pending endpoints, refills the buckets: call it when the emulator is reset. */
    public void resetRules() {
        rules.reset();
        throttling.reset();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        ec2.close();
        iam.close();
        sdkHttp.close();
        authorizer.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            Map<String, String> form = queryForm(exchange, body);
            String service = service(exchange);
            FaultInjector.Decision fault = faults.decide(new FaultInjector.Request(service,
                    form.getOrDefault("Action", target == null ? "" : target.substring(target.indexOf('.') + 1)), form),
                    exchange.getRequestHeaders().getFirst("amz-sdk-request"));
            if (fault.delayMillis() > 0) {
                Thread.sleep(fault.delayMillis());
            }
            if (fault.fault() != null) {
                switch (fault.fault()) {
                    case DROPPED -> {
                        return; // closed without an answer: the request never reached AWS
                    }
                    case SCRIPTED -> {
                        answer(exchange, FaultInjector.scripted(fault.scripted(), service));
                        return;
                    }
                    case THROTTLED, HTTP_500, HTTP_503 -> {
                        answer(exchange, FaultInjector.reply(fault.fault(), service));
                        return;
                    }
                    default -> { } // RESPONSE_LOST: carried out below, then unanswered
                }
            }
            boolean lost = fault.fault() == FaultInjector.Kind.RESPONSE_LOST;
            AwsReply refused = authorize(exchange, service, target, form, body);
            if (refused == null && "ec2".equals(service) && !throttling.admit(form.getOrDefault("Action", ""), form)) {
                refused = ec2Reply(503, "RequestLimitExceeded", "Request limit exceeded.");
            }
            if (refused != null) {
                if (!lost) {
                    answer(exchange, refused);
                }
                return;
            }
            if ("DecodeAuthorizationMessage".equals(form.get("Action"))) {
                if (!lost) {
                    answer(exchange, decodeAuthorizationMessage(form));
                }
                return;
            }
            if (STATES_LIST_EXECUTIONS.equals(target) || STATES_DESCRIBE_EXECUTION.equals(target)) {
                AwsReply reply = STATES_LIST_EXECUTIONS.equals(target) ? executions.list(body) : executions.describe(body);
                if (!lost) {
                    answer(exchange, reply);
                }
                return;
            }
            if (SSM_DESCRIBE_INSTANCE_INFORMATION.equals(target)) {
                AwsReply reply = simulated(() -> fleet.describeInstanceInformation(body),
                        e -> AwsReply.jsonError(500, "InternalServerError", "local SSM fleet: " + e));
                if (!lost) {
                    answer(exchange, reply);
                }
                return;
            }
            if ("SimulatePrincipalPolicy".equals(form.get("Action"))) {
                AwsReply reply = simulated(() -> simulator.answer(form),
                        e -> AwsReply.iamError(500, "ServiceFailure", "local policy simulator: " + e));
                if (!lost) {
                    answer(exchange, reply);
                }
                return;
            }
            if ("true".equalsIgnoreCase(form.get("DryRun"))) {
                // Authorized above: EC2 answers that the request would have succeeded.
                if (!lost) {
                    reply(exchange, 412, ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set."));
                }
                return;
            }
            byte[] upstreamBody = body;
            if ("DescribeVpcEndpointServices".equals(form.get("Action"))) {
                upstreamBody = serviceNameFilterAsNames(form);
            } else if ("DescribeVpcEndpoints".equals(form.get("Action")) && hasFilter(form, "vpc-endpoint-id")) {
                upstreamBody = endpointIdFilterAsIds(form);
                if (upstreamBody == null) {
                    if (!lost) {
                        answer(exchange, AwsReply.xml(200, "<DescribeVpcEndpointsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                                + "<requestId>" + UUID.randomUUID() + "</requestId><vpcEndpointSet/></DescribeVpcEndpointsResponse>"));
                    }
                    return;
                }
            }
            if ("ec2".equals(service) && StrictEc2Rules.ACTIONS.contains(form.get("Action"))) {
                byte[] sent = upstreamBody;
                AwsReply reply = rules.apply(form, () -> {
                    HttpResponse<byte[]> response = send(exchange, sent);
                    return new StrictEc2Rules.Upstream(response.statusCode(), response.body());
                });
                if (!lost) {
                    answer(exchange, reply);
                }
                return;
            }
            HttpResponse<byte[]> response = send(exchange, upstreamBody);
            if (!lost) {
                relay(exchange, response);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            // A defect of the local AWS itself: say so where the test output shows it, then drop the connection.
            System.err.println("[local AWS] failed on " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + ": " + e);
            e.printStackTrace();
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /**
     * Null when the caller may make the request; otherwise the service's own refusal: an unknown
     * access key, a denial (a DryRun's too: it needs exactly the real call's permissions), or a
     * request the local AWS has no model for (a loud error that names it, never a silent pass).
     */
    private AwsReply authorize(HttpExchange exchange, String service, String target, Map<String, String> form, byte[] body)
            throws IOException {
        Matcher key = CREDENTIAL_KEY.matcher(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        Optional<Authorizer.Principal> principal = key.find() ? authorizer.principal(key.group(1)) : Optional.empty();
        boolean json = target != null;
        if (principal.isEmpty()) {
            return "ec2".equals(service) ? ec2Reply(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
                    : json ? AwsReply.jsonError(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
                    : AwsReply.iamError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
        }
        String operation = json ? target.substring(target.indexOf('.') + 1) : form.getOrDefault("Action", "");
        Authorizer.Call call = new Authorizer.Call(service, operation, form,
                json ? JSON.readTree(body) : null);
        Optional<Authorizer.Denial> denial;
        try {
            denial = authorizer.authorize(principal.get(), call);
        } catch (Authorizer.UnmodelledRequestException e) {
            System.err.println("[local AWS] " + e.getMessage());
            return json ? AwsReply.jsonError(400, "LocalAuthorizationUnmodelled", e.getMessage())
                    : "ec2".equals(service) ? ec2Reply(400, "LocalAuthorizationUnmodelled", e.getMessage())
                    : AwsReply.iamError(400, "LocalAuthorizationUnmodelled", e.getMessage());
        }
        return denial.map(d -> denied(service, json, d)).orElse(null);
    }

    /** A denial as each service words it. */
    private static AwsReply denied(String service, boolean json, Authorizer.Denial denial) {
        return switch (service) {
            case "ec2" -> ec2Reply(403, "UnauthorizedOperation", "You are not authorized to perform this operation. "
                    + denial.message() + ". Encoded authorization failure message: " + denial.encoded());
            case "sns" -> AwsReply.iamError(403, "AuthorizationError", denial.message());
            default -> json ? AwsReply.jsonError(400, "AccessDeniedException", denial.message())
                    : AwsReply.iamError(403, "AccessDenied", denial.message());
        };
    }

    /** sts:DecodeAuthorizationMessage for the messages this proxy encodes. */
    private static AwsReply decodeAuthorizationMessage(Map<String, String> form) {
        String decoded;
        try {
            decoded = new String(java.util.Base64.getUrlDecoder().decode(form.getOrDefault("EncodedMessage", "")), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return AwsReply.iamError(400, "InvalidAuthorizationMessageException", "The encoded message is not valid.");
        }
        return AwsReply.xml(200, "<DecodeAuthorizationMessageResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                + "<DecodeAuthorizationMessageResult><DecodedMessage>" + AwsReply.escape(decoded) + "</DecodedMessage>"
                + "</DecodeAuthorizationMessageResult><ResponseMetadata><RequestId>" + UUID.randomUUID()
                + "</RequestId></ResponseMetadata></DecodeAuthorizationMessageResponse>");
    }

    private static AwsReply ec2Reply(int status, String code, String message) {
        return new AwsReply(status, "text/xml", ec2Error(code, AwsReply.escape(message)));
    }

    /** The service a request is signed for (SigV4 credential scope), e.g. ec2, ssm, iam; empty if unsigned. */
    private static String service(HttpExchange exchange) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null) {
            return "";
        }
        Matcher matcher = CREDENTIAL_SERVICE.matcher(authorization);
        return matcher.find() ? matcher.group(1) : "";
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

    private HttpResponse<byte[]> send(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve(exchange.getRequestURI().toString()))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase())) {
                values.forEach(v -> request.header(name, v));
            }
        });
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void relay(HttpExchange exchange, HttpResponse<byte[]> response) throws IOException {
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

    private static boolean hasFilter(Map<String, String> form, String name) {
        return form.entrySet().stream().anyMatch(e -> e.getKey().startsWith("Filter.") && e.getKey().endsWith(".Name")
                && name.equals(e.getValue()));
    }

    /**
     * DescribeVpcEndpoints' {@code vpc-endpoint-id} filter, which moto 5.2 lacks (HTTP 500), becomes
     * VpcEndpointId.N for the ids that exist: a filter leaves unknown ids out where ids would be an
     * error. Null when none of them exists (the answer is an empty set).
     */
    private byte[] endpointIdFilterAsIds(Map<String, String> form) {
        Map<String, String> kept0 = new LinkedHashMap<>();
        java.util.List<String> ids = new java.util.ArrayList<>();
        form.forEach((key, value) -> {
            if (key.startsWith("Filter.")) {
                String prefix = key.substring(0, key.indexOf('.', "Filter.".length()) + 1);
                if ("vpc-endpoint-id".equals(form.get(prefix + "Name"))) {
                    if (key.startsWith(prefix + "Value.")) {
                        ids.add(value);
                    }
                    return;
                }
            }
            kept0.put(key, value);
        });
        Map<String, String> rewritten = renumberFilters(kept0);
        Set<String> existing = ec2.describeVpcEndpoints(r -> {}).vpcEndpoints().stream()
                .map(software.amazon.awssdk.services.ec2.model.VpcEndpoint::vpcEndpointId).collect(java.util.stream.Collectors.toSet());
        java.util.List<String> kept = ids.stream().filter(existing::contains).distinct().toList();
        if (kept.isEmpty()) {
            return null;
        }
        for (int i = 0; i < kept.size(); i++) {
            rewritten.put("VpcEndpointId." + (i + 1), kept.get(i));
        }
        return encode(rewritten);
    }

    /** Filter.N numbered 1, 2, ... again once one is taken out (moto stops at the first gap). */
    private static Map<String, String> renumberFilters(Map<String, String> form) {
        Map<String, String> numbers = new LinkedHashMap<>();
        Map<String, String> out = new LinkedHashMap<>();
        form.forEach((key, value) -> {
            if (key.startsWith("Filter.")) {
                int dot = key.indexOf('.', "Filter.".length());
                String old = key.substring("Filter.".length(), dot);
                String now = numbers.computeIfAbsent(old, k -> String.valueOf(numbers.size() + 1));
                out.put("Filter." + now + key.substring(dot), value);
            } else {
                out.put(key, value);
            }
        });
        return out;
    }

    private static byte[] encode(Map<String, String> form) {
        return form.entrySet().stream()
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
