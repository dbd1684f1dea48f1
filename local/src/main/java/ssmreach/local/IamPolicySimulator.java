package ssmreach.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AttachedPolicy;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;
import ssmreach.local.iam.PolicyEvaluator;

/**
 * {@code iam:SimulatePrincipalPolicy} for roles, which moto lacks: reads the role's policies from
 * moto (attached managed policies at their default version, inline policies, the permissions
 * boundary) and has them evaluated by {@link PolicyEvaluator}, as IAM's simulator does without
 * context entries: a condition key the request does not give is absent, and the keys of the
 * conditions that kept a statement from applying are reported as {@code MissingContextValues}.
 *
 * <p>Not simulated: context entries given by the caller, resource-based policies, SCPs, users and
 * groups as principals.
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

        static Decision of(PolicyEvaluator.Decision decision) {
            return switch (decision) {
                case ALLOWED -> ALLOWED;
                case IMPLICITLY_DENIED -> IMPLICIT_DENY;
                case EXPLICITLY_DENIED -> EXPLICIT_DENY;
            };
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROLE_ARN = "^arn:aws[a-z-]*:iam::(\\d{12}):role/(?:.*/)?([\\w+=,.@-]+)$";

    /** A role's policies as IAM names their sources in {@code MatchedStatements}. */
    private record RolePolicies(String arn, String account, List<PolicyEvaluator.Policy> identity, List<PolicyEvaluator.Policy> boundary,
                                Map<String, String> sourceTypes) {}

    private final IamClient iam;
    private final PolicyEvaluator evaluator;

    /** @param iam a client straight to moto (not through the proxy) */
    public IamPolicySimulator(IamClient iam, PolicyEvaluator evaluator) {
        this.iam = iam;
        this.evaluator = evaluator;
    }

    /**
     * The decision for each action on any resource ({@code *}) for the role's own policies.
     *
     * @throws NoSuchEntityException when the role does not exist
     */
    public Map<String, Decision> simulateRole(String roleName, Collection<String> actions) {
        RolePolicies policies = rolePolicies(roleName);
        List<String> ordered = List.copyOf(actions);
        List<PolicyEvaluator.Result> results = evaluate(policies, ordered.stream()
                .map(action -> new PolicyEvaluator.Check(action, "*", Map.of())).toList());
        Map<String, Decision> decisions = new LinkedHashMap<>();
        for (int i = 0; i < ordered.size(); i++) {
            decisions.put(ordered.get(i), Decision.of(results.get(i).decision()));
        }
        return decisions;
    }

    /** Whether the role's trust policy lets the service principal (e.g. ec2.amazonaws.com) assume it. */
    public boolean trusts(Role role, String servicePrincipal) {
        PolicyEvaluator.Result result = evaluator.evaluate(new PolicyEvaluator.Subject(servicePrincipal, accountOf(role.arn()),
                List.of(), null, parse(role.assumeRolePolicyDocument())),
                List.of(new PolicyEvaluator.Check("sts:AssumeRole", role.arn(), Map.of()))).getFirst();
        return result.decision() == PolicyEvaluator.Decision.ALLOWED;
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
        String roleName = arn.group(2);
        RolePolicies policies;
        try {
            policies = rolePolicies(roleName);
            List<String> inputs = members(form, "PolicyInputList");
            for (int i = 0; i < inputs.size(); i++) {
                String name = "PolicyInputList." + (i + 1);
                policies.identity().add(new PolicyEvaluator.Policy(name, parse(inputs.get(i))));
                policies.sourceTypes().put(name, "none");
            }
        } catch (NoSuchEntityException e) {
            return AwsReply.iamError(404, "NoSuchEntity", "The role with name " + roleName + " cannot be found.");
        } catch (IllegalArgumentException e) {
            return AwsReply.iamError(400, "MalformedPolicyDocument", e.getMessage());
        }
        List<String> resources = members(form, "ResourceArns");
        List<String> names = resources.isEmpty() ? List.of("*") : resources;
        List<PolicyEvaluator.Check> checks = new ArrayList<>();
        actions.forEach(action -> names.forEach(resource -> checks.add(new PolicyEvaluator.Check(action, resource, Map.of()))));
        List<PolicyEvaluator.Result> results = evaluate(policies, checks);
        StringBuilder xml = new StringBuilder("<SimulatePrincipalPolicyResponse xmlns=\"" + AwsReply.IAM_NAMESPACE + "\">"
                + "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>");
        for (int a = 0; a < actions.size(); a++) {
            xml.append(resultXml(policies, actions.get(a), resources, names, results.subList(a * names.size(), (a + 1) * names.size())));
        }
        xml.append("</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>")
                .append(UUID.randomUUID()).append("</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>");
        return AwsReply.xml(200, xml.toString());
    }

    private List<PolicyEvaluator.Result> evaluate(RolePolicies policies, List<PolicyEvaluator.Check> checks) {
        return evaluator.evaluate(new PolicyEvaluator.Subject(policies.arn(), policies.account(), policies.identity(),
                policies.boundary(), null), checks);
    }

    /** One EvaluationResult per action; with resources, the most restrictive decision and one ResourceSpecificResult each. */
    private static String resultXml(RolePolicies policies, String action, List<String> resources, List<String> names,
                                    List<PolicyEvaluator.Result> results) {
        PolicyEvaluator.Result aggregate = results.stream().max(java.util.Comparator.comparing(r -> r.decision().ordinal())).orElseThrow();
        StringBuilder xml = new StringBuilder("<member><EvalActionName>").append(AwsReply.escape(action)).append("</EvalActionName>")
                .append("<EvalResourceName>").append(AwsReply.escape(names.size() == 1 ? names.getFirst() : "*")).append("</EvalResourceName>")
                .append("<EvalDecision>").append(Decision.of(aggregate.decision()).wire()).append("</EvalDecision>")
                .append(statementsXml(policies, aggregate)).append(missingXml(aggregate));
        if (policies.boundary() != null) {
            xml.append("<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>")
                    .append(results.stream().allMatch(r -> Boolean.TRUE.equals(r.boundaryAllows())))
                    .append("</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>");
        }
        if (!resources.isEmpty()) {
            xml.append("<ResourceSpecificResults>");
            for (int i = 0; i < names.size(); i++) {
                PolicyEvaluator.Result each = results.get(i);
                xml.append("<member><EvalResourceName>").append(AwsReply.escape(names.get(i))).append("</EvalResourceName>")
                        .append("<EvalResourceDecision>").append(Decision.of(each.decision()).wire()).append("</EvalResourceDecision>")
                        .append(statementsXml(policies, each)).append(missingXml(each)).append("</member>");
            }
            xml.append("</ResourceSpecificResults>");
        }
        return xml.append("</member>").toString();
    }

    private static String statementsXml(RolePolicies policies, PolicyEvaluator.Result result) {
        StringBuilder xml = new StringBuilder("<MatchedStatements>");
        for (String policy : result.matched()) {
            xml.append("<member><SourcePolicyId>").append(AwsReply.escape(policy)).append("</SourcePolicyId><SourcePolicyType>")
                    .append(policies.sourceTypes().getOrDefault(policy, "none")).append("</SourcePolicyType></member>");
        }
        return xml.append("</MatchedStatements>").toString();
    }

    private static String missingXml(PolicyEvaluator.Result result) {
        StringBuilder xml = new StringBuilder("<MissingContextValues>");
        if (result.decision() != PolicyEvaluator.Decision.ALLOWED) {
            result.conditionKeys().forEach(key -> xml.append("<member>").append(AwsReply.escape(key)).append("</member>"));
        }
        return xml.append("</MissingContextValues>").toString();
    }

    /** The role's identity policies and its permissions boundary (null when it has none), read from moto. */
    private RolePolicies rolePolicies(String roleName) {
        Role role = iam.getRole(r -> r.roleName(roleName)).role();
        List<PolicyEvaluator.Policy> identity = new ArrayList<>();
        Map<String, String> sourceTypes = new HashMap<>();
        for (AttachedPolicy attached : iam.listAttachedRolePoliciesPaginator(r -> r.roleName(roleName)).attachedPolicies()) {
            identity.add(managedPolicy(attached.policyArn(), attached.policyName(), sourceTypes));
        }
        for (String name : iam.listRolePoliciesPaginator(r -> r.roleName(roleName)).policyNames()) {
            String document = iam.getRolePolicy(r -> r.roleName(roleName).policyName(name)).policyDocument();
            identity.add(new PolicyEvaluator.Policy(name, parse(document)));
            sourceTypes.put(name, "role");
        }
        List<PolicyEvaluator.Policy> boundary = null;
        if (role.permissionsBoundary() != null && role.permissionsBoundary().permissionsBoundaryArn() != null) {
            String arn = role.permissionsBoundary().permissionsBoundaryArn();
            boundary = List.of(managedPolicy(arn, arn.substring(arn.lastIndexOf('/') + 1), sourceTypes));
        }
        return new RolePolicies(role.arn(), accountOf(role.arn()), identity, boundary, sourceTypes);
    }

    private PolicyEvaluator.Policy managedPolicy(String arn, String name, Map<String, String> sourceTypes) {
        String version = iam.getPolicy(r -> r.policyArn(arn)).policy().defaultVersionId();
        String document = iam.getPolicyVersion(r -> r.policyArn(arn).versionId(version)).policyVersion().document();
        sourceTypes.put(name, arn.startsWith("arn:aws:iam::aws:") ? "aws-managed" : "user-managed");
        return new PolicyEvaluator.Policy(name, parse(document));
    }

    private static String accountOf(String arn) {
        return arn.split(":")[4];
    }

    /** IAM returns documents URL-encoded (RFC 3986); moto encodes some and not others. */
    public static JsonNode parse(String document) {
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

    /** {@code Name.member.1}, {@code Name.member.2}, … in order. */
    static List<String> members(Map<String, String> form, String name) {
        List<String> values = new ArrayList<>();
        for (int i = 1; form.containsKey(name + ".member." + i); i++) {
            values.add(form.get(name + ".member." + i));
        }
        return values;
    }
}
