package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * What cfn-lint does not check in a SAM template: each function's Handler names a class Lambda can
 * load and call, and the policies are least privilege (cfn-lint skips IAM checks on SAM templates).
 */
class TemplateFunctionsTest {
    /** The IAM actions each function is allowed, and nothing else. */
    private static final Map<String, Set<String>> ACTIONS = Map.of(
            "ParseTriggerFunction", Set.of(),
            "ClassifySubnetsFunction", Set.of("ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeRouteTables"),
            "PrepareVpcFunction", Set.of("ec2:DescribeVpcAttribute", "ec2:DescribeSecurityGroups", "ec2:ModifyVpcAttribute",
                    "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:AuthorizeSecurityGroupIngress"),
            "EnsureEndpointsFunction", Set.of("ec2:DescribeVpcEndpoints", "ec2:DescribeVpcEndpointServices",
                    "ec2:DescribeSecurityGroups", "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:CreateTags"),
            "CheckEndpointsFunction", Set.of("ec2:DescribeVpcEndpoints"),
            "ReportFunction", Set.of("ec2:CreateTags", "events:PutEvents", "sns:Publish"));

    /**
     * Actions without resource-level permissions that are not reads: Step Functions' log delivery
     * (AWS documents Resource "*" for them).
     */
    private static final Set<String> STAR_ONLY = Set.of("logs:CreateLogDelivery", "logs:GetLogDelivery",
            "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy");

    @Test
    void everyHandlerIsALoadableRequestStreamHandler() {
        assertEquals(ACTIONS.keySet(), Repo.functions().keySet(), "the functions of template.yaml");
        Repo.functions().forEach((name, function) -> {
            String handler = function.path("Properties").path("Handler").asText();
            assertTrue(handler.endsWith("::handleRequest"), () -> name + ": Handler must be <class>::handleRequest, not " + handler);
            String className = handler.substring(0, handler.length() - "::handleRequest".length());
            Class<?> type = assertDoesNotThrow(() -> Class.forName(className, false, getClass().getClassLoader()),
                    () -> name + ": no class " + className + " in the functions module");
            assertTrue(RequestStreamHandler.class.isAssignableFrom(type), () -> className + " must implement RequestStreamHandler");
            assertFalse(Modifier.isAbstract(type.getModifiers()), () -> className + " is abstract");
            assertDoesNotThrow(() -> type.getConstructor(), () -> className + " needs a public no-argument constructor for Lambda");
        });
    }

    @Test
    void functionsShareOneConfigurationInGlobals() {
        JsonNode globals = Repo.template().path("Globals").path("Function");
        assertEquals("java21", globals.path("Runtime").asText());
        assertEquals("functions/", globals.path("CodeUri").asText());
        assertEquals("PublishedVersions", globals.path("SnapStart").path("ApplyOn").asText());
        assertEquals("JSON", globals.path("LoggingConfig").path("LogFormat").asText());
        assertEquals("Active", globals.path("Tracing").asText());
        Repo.functions().forEach((name, function) -> {
            for (String shared : List.of("Runtime", "CodeUri", "MemorySize", "Timeout", "Environment")) {
                assertFalse(function.path("Properties").has(shared), () -> name + " overrides " + shared + " of Globals");
            }
        });
    }

    @Test
    void eachFunctionIsAllowedExactlyItsActions() {
        Map<String, Set<String>> granted = new TreeMap<>();
        Repo.functions().forEach((name, function) -> granted.put(name, actions(function)));
        assertEquals(new TreeMap<>(ACTIONS), granted);
    }

    @Test
    void noWildcardActionsAndResourceStarOnlyWhereIamOffersNothingElse() {
        List<String> problems = new ArrayList<>();
        Map<String, JsonNode> principals = new TreeMap<>(Repo.functions());
        principals.put(Repo.stateMachine().getKey(), Repo.stateMachine().getValue());
        principals.forEach((name, resource) -> {
            for (JsonNode policy : resource.path("Properties").path("Policies")) {
                if (!policy.has("Statement")) {
                    // A SAM policy template (e.g. LambdaInvokePolicy) or a managed policy name: not inline.
                    problems.add(name + ": policy " + policy + " is not an inline Statement list");
                    continue;
                }
                for (JsonNode statement : policy.path("Statement")) {
                    assertEquals("Allow", statement.path("Effect").asText(), () -> name + ": " + statement);
                    List<String> actions = Repo.strings(statement.path("Action"));
                    List<String> resources = Repo.strings(statement.path("Resource"));
                    if (statement.has("NotAction") || statement.has("NotResource")) {
                        problems.add(name + ": NotAction/NotResource in " + statement);
                    }
                    actions.stream().filter(a -> a.contains("*")).forEach(a -> problems.add(name + ": wildcard action " + a));
                    if (resources.isEmpty()) {
                        problems.add(name + ": statement without Resource " + statement);
                    }
                    if (resources.contains("*")) {
                        actions.stream().filter(a -> !isRead(a) && !STAR_ONLY.contains(a))
                                .forEach(a -> problems.add(name + ": " + a + " on Resource \"*\""));
                    }
                }
            }
        });
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    @Test
    void mutationsAreScopedByResourceAndCondition() {
        JsonNode prepare = Repo.functions().get("PrepareVpcFunction");
        assertTrue(conditioned(prepare, "ec2:CreateTags").stream().allMatch(c -> c.contains("ec2:CreateAction")));
        assertTrue(conditioned(prepare, "ec2:AuthorizeSecurityGroupIngress").stream()
                .allMatch(c -> c.contains("aws:ResourceTag/ssm-reach:managed")));

        JsonNode ensure = Repo.functions().get("EnsureEndpointsFunction");
        assertTrue(conditioned(ensure, "ec2:CreateTags").stream().allMatch(c -> c.contains("ec2:CreateAction")));
        for (String action : List.of("ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint")) {
            List<String> onEndpoints = statements(ensure, action).stream()
                    .filter(s -> Repo.strings(s.path("Resource")).stream().anyMatch(r -> r.contains(":vpc-endpoint/")))
                    .map(s -> s.path("Condition").toString()).toList();
            assertFalse(onEndpoints.isEmpty(), action + " on vpc-endpoint/*");
            assertTrue(onEndpoints.stream().allMatch(c -> c.contains("ec2:VpceServiceName")), action + " needs ec2:VpceServiceName");
        }

        JsonNode report = Repo.functions().get("ReportFunction");
        assertTrue(conditioned(report, "ec2:CreateTags").stream().allMatch(c -> c.contains("aws:TagKeys")));
    }

    private static Set<String> actions(JsonNode resource) {
        Set<String> actions = new TreeSet<>();
        for (JsonNode policy : resource.path("Properties").path("Policies")) {
            for (JsonNode statement : policy.path("Statement")) {
                actions.addAll(Repo.strings(statement.path("Action")));
            }
        }
        return actions;
    }

    private static List<JsonNode> statements(JsonNode resource, String action) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode policy : resource.path("Properties").path("Policies")) {
            for (JsonNode statement : policy.path("Statement")) {
                if (Repo.strings(statement.path("Action")).contains(action)) {
                    found.add(statement);
                }
            }
        }
        return found;
    }

    /** The conditions of the statements that allow {@code action}; fails if one has none. */
    private static List<String> conditioned(JsonNode resource, String action) {
        List<JsonNode> found = statements(resource, action);
        assertFalse(found.isEmpty(), () -> "no statement allows " + action);
        found.forEach(s -> assertTrue(s.has("Condition"), () -> action + " without a Condition: " + s));
        return found.stream().map(s -> s.path("Condition").toString()).toList();
    }

    private static boolean isRead(String action) {
        String operation = action.substring(action.indexOf(':') + 1);
        return operation.startsWith("Describe") || operation.startsWith("List") || operation.startsWith("Get");
    }
}
