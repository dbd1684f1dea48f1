package ssmreach.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AttachedPolicy;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;

/**
 * {@code iam:SimulatePrincipalPolicy} for roles, which moto lacks: reads the role's policies from
 * moto (attached managed policies at their default version, inline policies, the permissions
 * boundary) and evaluates each action the way IAM does for identity policies — an explicit Deny
 * wins, then any Allow, else an implicit deny.
 *
 * <p>Not simulated: condition keys (a statement with a {@code Condition} is treated as not
 * matching, for Allow and Deny alike, and its keys are reported as {@code MissingContextValues},
 * as IAM does when the caller gives no context), resource-based policies, SCPs, users and groups
 * as principals.
 */
public final class IamPolicySimulator {
    public enum Decision {
        ALLOWED("allowed"), IMPLICIT_DENY("implicitDeny"), EXPLICIT_DENY("explicitDeny");

        private final String wire;

        Decision(String wire) {
            this.wire = wire;
        }

        /** The value on the wire, e.g. {@code implicitDeny}. */
        public String wire() {
            return wire;
        }
    }

    /** A policy document and where it comes from, as IAM names it in {@code MatchedStatements}. */
    record Policy(String id, String sourceType, JsonNode document) {}

    /** One action on one resource: the decision, the policies that decided it, the context keys not evaluated. */
    record Evaluation(Decision decision, List<Policy> matched, Set<String> missingContextKeys) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROLE_ARN = "^arn:aws[a-z-]*:iam::\\d{12}:role/(?:.*/)?([\\w+=,.@-]+)$";

    private final IamClient iam;

    /** @param iam a client straight to moto (not through the proxy) */
    public IamPolicySimulator(IamClient iam) {
        this.iam = iam;
    }

    /**
     * The decision for each action on any resource ({@code *}) for the role's own policies.
     *
     * @throws NoSuchEntityException when the role does not exist
     */
    public Map<String, Decision> simulateRole(String roleName, Collection<String> actions) {
        Map<String, Decision> decisions = new LinkedHashMap<>();
        RolePolicies policies = rolePolicies(roleName);
        for (String action : actions) {
            decisions.put(action, policies.evaluate(action, "*").decision());
        }
        return decisions;
    }

    /** Answers a SimulatePrincipalPolicy request (Query protocol form parameters). */
    AwsReply answer(Map<String, String> form) {
        String source = form.getOrDefault("PolicySourceArn", "");
        List<String> actions = members(form, "ActionNames");
        if (actions.isEmpty()) {
            return AwsReply.iamError(400, "InvalidInput", "ActionNames must name at least one action.");
        }
        java.util.regex.Matcher arn = Pattern.compile(ROLE_ARN).matcher(source);
        if (!arn.matches()) {
            return AwsReply.iamError(400, "InvalidInput", "PolicySourceArn " + source
                    + " is not a role ARN; the local environment simulates roles only.");
        }
        String roleName = arn.group(1);
        RolePolicies policies;
        try {
            policies = rolePolicies(roleName);
            for (String document : members(form, "PolicyInputList")) {
                policies.identity().add(new Policy("PolicyInputList." + (policies.identity().size() + 1), "none", parse(document)));
            }
        } catch (NoSuchEntityException e) {
            return AwsReply.iamError(404, "NoSuchEntity", "The role with name " + roleName + " cannot be found.");
        } catch (IllegalArgumentException e) {
            return AwsReply.iamError(400, "MalformedPolicyDocument", e.getMessage());
        }
        List<String> resources = members(form, "ResourceArns");
        StringBuilder xml = new StringBuilder("<SimulatePrincipalPolicyResponse xmlns=\"" + AwsReply.IAM_NAMESPACE + "\">"
                + "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>");
        for (String action : actions) {
            xml.append(resultXml(policies, action, resources));
        }
        xml.append("</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>")
                .append(UUID.randomUUID()).append("</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>");
        return AwsReply.xml(200, xml.toString());
    }

    /** One EvaluationResult per action; with resources, the most restrictive decision and one ResourceSpecificResult each. */
    private static String resultXml(RolePolicies policies, String action, List<String> resources) {
        List<String> names = resources.isEmpty() ? List.of("*") : resources;
        List<Evaluation> evaluations = names.stream().map(resource -> policies.evaluate(action, resource)).toList();
        Evaluation aggregate = evaluations.stream()
                .max(java.util.Comparator.comparing(e -> switch (e.decision()) {
                    case ALLOWED -> 0;
                    case IMPLICIT_DENY -> 1;
                    case EXPLICIT_DENY -> 2;
                })).orElseThrow();
        StringBuilder xml = new StringBuilder("<member><EvalActionName>").append(AwsReply.escape(action)).append("</EvalActionName>")
                .append("<EvalResourceName>").append(AwsReply.escape(names.size() == 1 ? names.getFirst() : "*")).append("</EvalResourceName>")
                .append("<EvalDecision>").append(aggregate.decision().wire()).append("</EvalDecision>")
                .append(statementsXml(aggregate)).append(missingXml(aggregate));
        if (policies.boundary() != null) {
            xml.append("<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>")
                    .append(names.stream().allMatch(resource -> policies.boundaryAllows(action, resource)))
                    .append("</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>");
        }
        if (!resources.isEmpty()) {
            xml.append("<ResourceSpecificResults>");
            for (int i = 0; i < names.size(); i++) {
                Evaluation each = evaluations.get(i);
                xml.append("<member><EvalResourceName>").append(AwsReply.escape(names.get(i))).append("</EvalResourceName>")
                        .append("<EvalResourceDecision>").append(each.decision().wire()).append("</EvalResourceDecision>")
                        .append(statementsXml(each)).append(missingXml(each)).append("</member>");
            }
            xml.append("</ResourceSpecificResults>");
        }
        return xml.append("</member>").toString();
    }

    private static String statementsXml(Evaluation evaluation) {
        StringBuilder xml = new StringBuilder("<MatchedStatements>");
        for (Policy policy : evaluation.matched()) {
            xml.append("<member><SourcePolicyId>").append(AwsReply.escape(policy.id())).append("</SourcePolicyId><SourcePolicyType>")
                    .append(policy.sourceType()).append("</SourcePolicyType></member>");
        }
        return xml.append("</MatchedStatements>").toString();
    }

    private static String missingXml(Evaluation evaluation) {
        StringBuilder xml = new StringBuilder("<MissingContextValues>");
        evaluation.missingContextKeys().forEach(key -> xml.append("<member>").append(AwsReply.escape(key)).append("</member>"));
        return xml.append("</MissingContextValues>").toString();
    }

    /** The role's identity policies and its permissions boundary (null when it has none), read from moto. */
    private record RolePolicies(List<Policy> identity, Policy boundary) {
        Evaluation evaluate(String action, String resource) {
            Evaluation granted = IamPolicySimulator.evaluate(identity, action, resource);
            if (boundary == null || granted.decision() == Decision.EXPLICIT_DENY) {
                return granted;
            }
            Evaluation bounded = IamPolicySimulator.evaluate(List.of(boundary), action, resource);
            return switch (bounded.decision()) {
                case ALLOWED -> granted;
                case EXPLICIT_DENY -> bounded;
                // Allowed by the role's policies but not within its boundary: IAM reports an implicit deny.
                case IMPLICIT_DENY -> new Evaluation(Decision.IMPLICIT_DENY, List.of(), union(granted, bounded));
            };
        }

        boolean boundaryAllows(String action, String resource) {
            return IamPolicySimulator.evaluate(List.of(boundary), action, resource).decision() == Decision.ALLOWED;
        }

        private static Set<String> union(Evaluation a, Evaluation b) {
            Set<String> keys = new LinkedHashSet<>(a.missingContextKeys());
            keys.addAll(b.missingContextKeys());
            return keys;
        }
    }

    private RolePolicies rolePolicies(String roleName) {
        Role role = iam.getRole(r -> r.roleName(roleName)).role();
        List<Policy> identity = new ArrayList<>();
        for (AttachedPolicy attached : iam.listAttachedRolePoliciesPaginator(r -> r.roleName(roleName)).attachedPolicies()) {
            identity.add(managedPolicy(attached.policyArn(), attached.policyName()));
        }
        for (String name : iam.listRolePoliciesPaginator(r -> r.roleName(roleName)).policyNames()) {
            String document = iam.getRolePolicy(r -> r.roleName(roleName).policyName(name)).policyDocument();
            identity.add(new Policy(name, "role", parse(document)));
        }
        Policy boundary = null;
        if (role.permissionsBoundary() != null && role.permissionsBoundary().permissionsBoundaryArn() != null) {
            String arn = role.permissionsBoundary().permissionsBoundaryArn();
            boundary = managedPolicy(arn, arn.substring(arn.lastIndexOf('/') + 1));
        }
        return new RolePolicies(identity, boundary);
    }

    private Policy managedPolicy(String arn, String name) {
        String version = iam.getPolicy(r -> r.policyArn(arn)).policy().defaultVersionId();
        String document = iam.getPolicyVersion(r -> r.policyArn(arn).versionId(version)).policyVersion().document();
        return new Policy(name, arn.startsWith("arn:aws:iam::aws:") ? "aws-managed" : "user-managed", parse(document));
    }

    /** IAM returns documents URL-encoded (RFC 3986); moto encodes some and not others. */
    static JsonNode parse(String document) {
        String text = document.strip();
        if (!text.startsWith("{")) {
            text = URLDecoder.decode(text, StandardCharsets.UTF_8);
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("policy document is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Identity-policy evaluation of one action on one resource over the given policies. */
    static Evaluation evaluate(List<Policy> policies, String action, String resource) {
        List<Policy> allowing = new ArrayList<>();
        Set<String> missing = new LinkedHashSet<>();
        for (Policy policy : policies) {
            for (JsonNode statement : asList(policy.document().path("Statement"))) {
                if (!actionMatches(statement, action) || !resourceMatches(statement, resource)) {
                    continue;
                }
                // Conditions are not evaluated: without the request context a conditional statement is
                // not known to apply, so it neither allows nor denies here (IAM's simulator, given no
                // context entries, likewise does not apply it and lists its keys as missing).
                JsonNode condition = statement.path("Condition");
                if (condition.isObject() && !condition.isEmpty()) {
                    condition.forEach(operator -> operator.fieldNames().forEachRemaining(missing::add));
                    continue;
                }
                String effect = statement.path("Effect").asText();
                if ("Deny".equals(effect)) {
                    return new Evaluation(Decision.EXPLICIT_DENY, List.of(policy), Set.of());
                }
                if ("Allow".equals(effect) && !allowing.contains(policy)) {
                    allowing.add(policy);
                }
            }
        }
        return allowing.isEmpty()
                ? new Evaluation(Decision.IMPLICIT_DENY, List.of(), missing)
                : new Evaluation(Decision.ALLOWED, allowing, Set.of());
    }

    private static boolean actionMatches(JsonNode statement, String action) {
        if (statement.has("Action")) {
            return asList(statement.get("Action")).stream().anyMatch(p -> wildcard(p.asText(), action, true));
        }
        if (statement.has("NotAction")) {
            return asList(statement.get("NotAction")).stream().noneMatch(p -> wildcard(p.asText(), action, true));
        }
        return false;
    }

    private static boolean resourceMatches(JsonNode statement, String resource) {
        if (statement.has("Resource")) {
            return asList(statement.get("Resource")).stream().anyMatch(p -> wildcard(p.asText(), resource, false));
        }
        if (statement.has("NotResource")) {
            return asList(statement.get("NotResource")).stream().noneMatch(p -> wildcard(p.asText(), resource, false));
        }
        return false;
    }

    /**
     * IAM's wildcards: {@code *} any run of characters, {@code ?} one character. Action names are
     * case-insensitive (service prefix and name), resource ARNs are not. The resource {@code *} is
     * taken literally, as the simulator does: only a statement on {@code *} matches it.
     */
    static boolean wildcard(String pattern, String value, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '*' || c == '?') {
                regex.append(Pattern.quote(literal.toString())).append(c == '*' ? ".*" : ".");
                literal.setLength(0);
            } else {
                literal.append(c);
            }
        }
        regex.append(Pattern.quote(literal.toString()));
        return Pattern.compile(regex.toString(), Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0))
                .matcher(value).matches();
    }

    private static List<JsonNode> asList(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        List<JsonNode> items = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(items::add);
        } else {
            items.add(node);
        }
        return items;
    }

    /** {@code Name.member.1}, {@code Name.member.2}, … in order. */
    static List<String> members(Map<String, String> form, String name) {
        List<String> values = new ArrayList<>();
        for (int i = 1; form.containsKey(name + ".member." + i); i++) {
            values.add(form.get(name + ".member." + i));
        }
        return values;
    }
}
