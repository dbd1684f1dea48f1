package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import ssmreach.local.iam.DeployedStack;
import ssmreach.local.iam.ServiceReference;

/**
 * Every statement of every role, as CloudFormation deploys template.yaml (the SAM transform and
 * the parameters applied), checked against the Service Authorization Reference: the action
 * exists; each Resource has the ARN format of a resource type the action authorizes ({@code *}
 * only for actions without resource-level permissions); each condition key is one AWS evaluates
 * for that action on that resource type (a key it never sets makes {@code StringEquals} fail in a
 * real account); and the dependent actions of what a role may do are granted to it too.
 */
class TemplatePermissionsTest {
    private static final String REGION = "us-east-1";
    private static final String ACCOUNT = "123456789012";
    private static final ServiceReference REFERENCE = ServiceReference.load(Repo.ROOT);

    /** A statement of a role, with its actions and resources. */
    private record Grant(String role, JsonNode statement, List<String> actions, List<String> resources) {}

    @ParameterizedTest(name = "ExistingProfile={0}")
    @ValueSource(strings = {"report", "attach-policy"})
    void everyActionIsInTheReference(String existingProfile) {
        List<String> problems = new ArrayList<>();
        grants(existingProfile).forEach(grant -> grant.actions().stream().filter(a -> REFERENCE.action(a).isEmpty())
                .forEach(a -> problems.add(grant.role() + ": " + a + " is not an action of the reference")));
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    @ParameterizedTest(name = "ExistingProfile={0}")
    @ValueSource(strings = {"report", "attach-policy"})
    void everyResourceHasTheArnFormatOfATypeTheActionAuthorizes(String existingProfile) {
        List<String> problems = new ArrayList<>();
        for (Grant grant : grants(existingProfile)) {
            for (String actionName : grant.actions()) {
                ServiceReference.Action action = REFERENCE.action(actionName).orElseThrow();
                for (String resource : grant.resources()) {
                    if (resource.equals("*")) {
                        if (!action.starOnly()) {
                            problems.add(grant.role() + ": " + actionName + " on \"*\", though it has resource-level permissions ("
                                    + action.rows().stream().map(ServiceReference.Row::resourceType).filter(t -> !t.isEmpty()).toList() + ")");
                        }
                    } else if (types(action, resource).isEmpty()) {
                        problems.add(grant.role() + ": " + actionName + " on " + resource
                                + " matches the ARN format of none of the action's resource types");
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    @ParameterizedTest(name = "ExistingProfile={0}")
    @ValueSource(strings = {"report", "attach-policy"})
    void everyConditionKeyIsEvaluatedForItsActionsAndResourceTypes(String existingProfile) {
        List<String> problems = new ArrayList<>();
        for (Grant grant : grants(existingProfile)) {
            List<String> keys = new ArrayList<>();
            grant.statement().path("Condition").forEach(operator -> operator.fieldNames().forEachRemaining(keys::add));
            for (String actionName : grant.actions()) {
                ServiceReference.Action action = REFERENCE.action(actionName).orElseThrow();
                for (String resource : grant.resources()) {
                    for (String type : resource.equals("*") ? List.of("") : types(action, resource)) {
                        keys.stream().filter(key -> !REFERENCE.evaluates(action, type, key)).forEach(key -> problems.add(grant.role()
                                + ": " + actionName + " on " + (type.isEmpty() ? "*" : type) + " does not evaluate " + key
                                + " (Sid " + grant.statement().path("Sid").asText() + "): the condition can never hold as written"));
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    @ParameterizedTest(name = "ExistingProfile={0}")
    @ValueSource(strings = {"report", "attach-policy"})
    void dependentActionsAreGranted(String existingProfile) {
        Map<String, Set<String>> granted = new LinkedHashMap<>();
        grants(existingProfile).forEach(grant -> granted.computeIfAbsent(grant.role(), r -> new TreeSet<>(String.CASE_INSENSITIVE_ORDER))
                .addAll(grant.actions()));
        List<String> problems = new ArrayList<>();
        for (Grant grant : grants(existingProfile)) {
            for (String actionName : grant.actions()) {
                ServiceReference.Action action = REFERENCE.action(actionName).orElseThrow();
                Set<String> rows = new TreeSet<>(List.of(""));
                grant.resources().forEach(resource -> rows.addAll(resource.equals("*") ? List.of() : types(action, resource)));
                for (String row : rows) {
                    action.row(row).ifPresent(r -> r.dependentActions().stream()
                            .filter(dependent -> !granted.get(grant.role()).contains(dependent))
                            .forEach(dependent -> problems.add(grant.role() + ": " + actionName + (row.isEmpty() ? "" : " on " + row)
                                    + " needs " + dependent + " as well (a dependent action in the reference)")));
                }
            }
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n", new TreeSet<>(problems)));
    }

    /** The resource types of the action whose ARN format the resource (with its wildcards) has. */
    private static List<String> types(ServiceReference.Action action, String resource) {
        List<String> types = new ArrayList<>();
        for (ServiceReference.Row row : action.rows()) {
            if (row.resourceType().isEmpty()) {
                continue;
            }
            Optional<String> format = REFERENCE.arnFormat(action.service(), row.resourceType());
            if (format.isPresent() && arnPattern(format.get()).matcher(resource).matches()) {
                types.add(row.resourceType());
            }
        }
        return types;
    }

    /** {@code arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}} as a pattern for this stack's Region and account. */
    private static Pattern arnPattern(String format) {
        StringBuilder regex = new StringBuilder();
        for (String part : format.split("(?=\\$\\{)|(?<=})")) {
            regex.append(switch (part) {
                case "${Partition}" -> "aws";
                case "${Region}" -> REGION;
                case "${Account}" -> ACCOUNT;
                default -> part.startsWith("${") ? "[^\\s]+" : Pattern.quote(part);
            });
        }
        return Pattern.compile(regex.toString());
    }

    private static List<Grant> grants(String existingProfile) {
        DeployedStack stack = DeployedStack.of(Repo.path("template.yaml"), REGION, ACCOUNT, Map.of("ExistingProfile", existingProfile),
                Map.of());
        List<Grant> grants = new ArrayList<>();
        stack.roles().forEach((id, role) -> role.inline().forEach(policy -> {
            JsonNode statements = policy.document().path("Statement");
            for (JsonNode statement : statements.isArray() ? statements : List.of(statements)) {
                grants.add(new Grant(id, statement, Repo.strings(statement.path("Action")), Repo.strings(statement.path("Resource"))));
            }
        }));
        assertTrue(grants.size() > 20, "the roles' statements were read: " + grants.size());
        return grants;
    }
}
