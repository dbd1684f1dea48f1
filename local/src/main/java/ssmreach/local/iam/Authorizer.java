package ssmreach.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;

/**
 * Authorizes each request to the local AWS as AWS does: the caller is known by the access key id
 * it signs with; the request becomes the action, every resource it touches (the resource types of
 * the Service Authorization Reference) with the condition keys AWS sets for that action and type,
 * and the dependent actions AWS checks on the caller's behalf; the caller's identity policies are
 * evaluated on each by {@link PolicyEvaluator}. A request whose resources it cannot name fails
 * loudly ({@link UnmodelledRequestException}): a new SDK call cannot slip past the check.
 */
public final class Authorizer implements AutoCloseable {
    /** A caller: the access key id it signs with, its ARN (an assumed-role session) and its identity policies. */
    public record Principal(String accessKeyId, String arn, String userId, List<PolicyEvaluator.Policy> policies) {}

    /** One request as the proxy received it: the service it is signed for, the operation and its parameters. */
    public record Call(String service, String operation, Map<String, String> form, JsonNode json) {}

    /** A refused request: the action and resource that were not allowed, and the context they were evaluated with. */
    public record Denial(Principal principal, String action, String resource, boolean explicit, Map<String, Object> context) {
        /** IAM's wording: {@code User: … is not authorized to perform: … on resource: … because …}. */
        public String message() {
            return "User: " + principal.arn() + " is not authorized to perform: " + action + " on resource: " + resource
                    + (explicit ? " with an explicit deny in an identity-based policy"
                    : " because no identity-based policy allows the " + action + " action");
        }

        /** The encoded authorization message EC2 appends; {@code sts:DecodeAuthorizationMessage} opens it. */
        public String encoded() {
            ObjectNode decoded = JSON.createObjectNode().put("allowed", false).put("explicitDeny", explicit);
            decoded.putObject("matchedStatements").putArray("items");
            decoded.putObject("failures").putArray("items");
            ObjectNode request = decoded.putObject("context");
            request.putObject("principal").put("id", principal.userId()).put("arn", principal.arn());
            request.put("action", action).put("resource", resource);
            var conditions = request.putObject("conditions").putArray("items");
            context.forEach((key, value) -> {
                var values = conditions.addObject().put("key", key).putObject("values").putArray("items");
                (value instanceof List<?> list ? list : List.of(value)).forEach(v -> values.addObject().put("value", String.valueOf(v)));
            });
            return Base64.getUrlEncoder().withoutPadding().encodeToString(decoded.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A request the local AWS cannot authorize because it has no model of what the request touches. */
    public static final class UnmodelledRequestException extends RuntimeException {
        UnmodelledRequestException(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Operations AWS allows every signed caller (no permission is needed to ask who one is). */
    private static final Set<String> NO_PERMISSION_NEEDED = Set.of("sts:GetCallerIdentity");
    private static final int MAX_DEPENDENCY_DEPTH = 3;

    private final String region;
    private final String account;
    private final ServiceReference reference;
    private final PolicyEvaluator evaluator;
    private final Ec2Requests ec2Requests;
    private final ServiceRequests serviceRequests;
    private final Map<String, Principal> principals = new ConcurrentHashMap<>();
    private final List<String> unmodelled = new CopyOnWriteArrayList<>();
    private final List<Denial> denials = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Denial>> denialListeners = new CopyOnWriteArrayList<>();

    /** @param ec2 and {@code iam}: clients straight to the emulator, to read the state AWS consults */
    public Authorizer(Path repositoryRoot, String region, String account, Ec2Client ec2, IamClient iam) {
        this.region = region;
        this.account = account;
        this.reference = ServiceReference.load(repositoryRoot);
        this.evaluator = PolicyEvaluator.start(repositoryRoot);
        this.ec2Requests = new Ec2Requests(region, account, ec2, iam);
        this.serviceRequests = new ServiceRequests(region, account, iam);
    }

    public void register(Principal principal) {
        principals.put(principal.accessKeyId(), principal);
    }

    public Optional<Principal> principal(String accessKeyId) {
        return Optional.ofNullable(principals.get(accessKeyId));
    }

    /** The requests refused as unmodelled so far (each is also answered with an error): a test expects none. */
    public List<String> unmodelled() {
        return List.copyOf(unmodelled);
    }

    /** Every request refused so far (DryRun probes included), oldest first. */
    public List<Denial> denials() {
        return List.copyOf(denials);
    }

    /** Forgets the denials and unmodelled requests seen so far (with the emulator's reset). */
    public void clearHistory() {
        denials.clear();
        unmodelled.clear();
    }

    /** Calls {@code listener} on each denial, as it happens, until the returned handle is closed. */
    public AutoCloseable onDenial(java.util.function.Consumer<Denial> listener) {
        denialListeners.add(listener);
        return () -> denialListeners.remove(listener);
    }

    /** The evaluator itself, e.g. for iam:SimulatePrincipalPolicy. */
    public PolicyEvaluator evaluator() {
        return evaluator;
    }

    /**
     * Empty when the principal may make the call; otherwise the first action and resource refused.
     *
     * @throws UnmodelledRequestException when the request's resources cannot be named
     */
    public Optional<Denial> authorize(Principal principal, Call call) {
        String action = call.service() + ":" + call.operation();
        if (NO_PERMISSION_NEEDED.contains(action)) {
            return Optional.empty();
        }
        try {
            AccessRequest request = model(call).orElseGet(() -> starOnly(action));
            List<PolicyEvaluator.Check> checks = new ArrayList<>();
            expand(principal, request, call, checks, 0);
            List<PolicyEvaluator.Result> results = evaluator.evaluate(
                    PolicyEvaluator.Subject.of(principal.arn(), account, principal.policies()), checks);
            for (int i = 0; i < checks.size(); i++) {
                PolicyEvaluator.Decision decision = results.get(i).decision();
                if (decision != PolicyEvaluator.Decision.ALLOWED) {
                    PolicyEvaluator.Check check = checks.get(i);
                    Denial denial = new Denial(principal, check.action(), check.resource(),
                            decision == PolicyEvaluator.Decision.EXPLICITLY_DENIED, check.context());
                    denials.add(denial);
                    denialListeners.forEach(listener -> listener.accept(denial));
                    return Optional.of(denial);
                }
            }
            return Optional.empty();
        } catch (UnmodelledRequestException e) {
            unmodelled.add(e.getMessage());
            throw e;
        }
    }

    private Optional<AccessRequest> model(Call call) {
        return switch (call.service()) {
            case "ec2" -> ec2Requests.model(call.operation(), call.form());
            case "events", "states" -> serviceRequests.json(call.service(), call.operation(), call.json());
            default -> serviceRequests.query(call.service(), call.operation(), call.form());
        };
    }

    /** An action without a model passes only if AWS authorizes it on {@code *} alone. */
    private AccessRequest starOnly(String action) {
        ServiceReference.Action known = reference.action(action)
                .orElseThrow(() -> new UnmodelledRequestException(action + " is not in the Service Authorization Reference ("
                        + ServiceReference.FILE + ")"));
        if (!known.starOnly()) {
            throw new UnmodelledRequestException("the local AWS cannot authorize " + action + ": it has resource-level "
                    + "permissions and no model names its resources (add one to ssmreach.local.iam)");
        }
        return AccessRequest.onAny(action, action.startsWith("ec2:") ? Map.of("ec2:Region", region) : Map.of());
    }

    /** The checks of a request and, recursively, of the dependent actions the reference lists for what it touches. */
    private void expand(Principal principal, AccessRequest request, Call call, List<PolicyEvaluator.Check> checks, int depth) {
        ServiceReference.Action action = reference.action(request.action())
                .orElseThrow(() -> new UnmodelledRequestException(request.action() + " is not in the Service Authorization Reference"));
        validate(action, request);
        Set<String> rows = new LinkedHashSet<>();
        rows.add("");
        for (AccessRequest.Target target : request.targets()) {
            rows.add(target.resourceType());
            Map<String, Object> context = new LinkedHashMap<>(globalKeys(principal));
            context.putAll(request.context());
            context.putAll(target.context());
            checks.add(new PolicyEvaluator.Check(request.action(), target.arn(), evaluated(action, target.resourceType(), context)));
        }
        for (String row : rows) {
            for (String dependentAction : action.row(row).map(ServiceReference.Row::dependentActions).orElse(List.of())) {
                if (depth >= MAX_DEPENDENCY_DEPTH) {
                    throw new UnmodelledRequestException("dependent actions of " + request.action() + " nest too deep");
                }
                // Only EC2 actions (and the Route 53 one they depend on) list dependent actions among those called here.
                Optional<AccessRequest> dependent = "ec2".equals(call.service())
                        ? ec2Requests.dependent(request, call.form(), dependentAction) : null;
                if (dependent == null) {
                    throw new UnmodelledRequestException("the local AWS cannot authorize " + dependentAction
                            + ", a dependent action of " + request.action() + ": no model for it");
                }
                if (dependent.isPresent()) {
                    expand(principal, dependent.get(), call, checks, depth + 1);
                }
            }
        }
    }

    /**
     * Actions whose request names one resource of several types the reference marks required: a
     * ListExecutions lists a state machine's executions or a Map Run's (stateMachineArn or mapRunArn);
     * DescribeExecution describes a Standard execution or an Express one.
     */
    private static final Map<String, Set<String>> ONE_OF_REQUIRED = Map.of(
            "states:ListExecutions", Set.of("statemachine", "maprun"),
            "states:DescribeExecution", Set.of("execution", "express"));

    /** Every resource type of the request is one the reference lists for the action, and every required one is there. */
    private static void validate(ServiceReference.Action action, AccessRequest request) {
        Set<String> types = new LinkedHashSet<>();
        for (AccessRequest.Target target : request.targets()) {
            if (target.resourceType().isEmpty() ? !action.starOnly() : action.row(target.resourceType()).isEmpty()) {
                throw new UnmodelledRequestException("the model of " + request.action() + " names a resource of type '"
                        + target.resourceType() + "', which the reference does not list for it");
            }
            types.add(target.resourceType());
        }
        Set<String> oneOf = ONE_OF_REQUIRED.getOrDefault(request.action(), Set.of());
        boolean oneOfNamed = oneOf.stream().anyMatch(types::contains);
        for (ServiceReference.Row row : action.rows()) {
            if (row.required() && !types.contains(row.resourceType()) && !(oneOfNamed && oneOf.contains(row.resourceType()))) {
                throw new UnmodelledRequestException("the model of " + request.action() + " omits its required resource type "
                        + row.resourceType());
            }
        }
    }

    /**
     * The context AWS sets: only the keys the reference lists for this action and resource type
     * (and the global ones). A key the action does not evaluate is absent, so that a condition on it
     * behaves as in AWS (StringEquals fails, ForAllValues passes, Null is true).
     */
    private Map<String, Object> evaluated(ServiceReference.Action action, String resourceType, Map<String, Object> context) {
        Map<String, Object> kept = new LinkedHashMap<>();
        context.forEach((key, value) -> {
            if (!reference.evaluates(action, resourceType, key)) {
                return;
            }
            boolean multiValued = reference.conditionKeyType(action.service(), key).map(t -> t.startsWith("ArrayOf")).orElse(false);
            if (multiValued != value instanceof List) {
                throw new IllegalStateException("context key " + key + " of " + action.name() + " is "
                        + (multiValued ? "multi-valued" : "single-valued") + " in the reference; the model gave " + value);
            }
            kept.put(key, value);
        });
        return kept;
    }

    private Map<String, Object> globalKeys(Principal principal) {
        Instant now = Instant.now();
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("aws:PrincipalArn", principal.arn());
        keys.put("aws:PrincipalAccount", account);
        keys.put("aws:PrincipalType", principal.arn().contains(":assumed-role/") ? "AssumedRole" : "User");
        keys.put("aws:userid", principal.userId());
        keys.put("aws:RequestedRegion", region);
        keys.put("aws:SecureTransport", "true");
        keys.put("aws:CurrentTime", now.toString());
        keys.put("aws:EpochTime", String.valueOf(now.getEpochSecond()));
        keys.put("aws:ViaAWSService", "false");
        return keys;
    }

    @Override
    public void close() {
        evaluator.close();
    }
}
