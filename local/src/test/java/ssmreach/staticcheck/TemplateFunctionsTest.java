package ssmreach.staticcheck;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import ssmreach.local.iam.ServiceReference;

/**
 * What cfn-lint does not check in a SAM template: each function's Handler names a class Lambda can
 * load and call, and the policies are least privilege (cfn-lint skips IAM checks on SAM templates):
 * each function is allowed exactly the actions of the SDK calls its code makes, mutations are
 * scoped by resource and condition, and roles are passed only to EC2, only the stack's own.
 */
class TemplateFunctionsTest {
    /** The IAM actions each function is allowed, and nothing else. */
    private static final Map<String, Set<String>> ACTIONS = Map.ofEntries(
            Map.entry("ParseTriggerFunction", Set.of()),
            Map.entry("GroupTargetsFunction", Set.of("ec2:DescribeInstances", "ec2:DescribeRouteTables", "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs")),
            Map.entry("TakeTurnFunction", Set.of("states:ListExecutions", "states:DescribeExecution")),
            Map.entry("ClassifySubnetsFunction", Set.of("ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeRouteTables",
                    "ec2:DescribeInstances")),
            Map.entry("PrepareVpcFunction", Set.of("ec2:DescribeVpcAttribute", "ec2:DescribeSecurityGroups", "ec2:ModifyVpcAttribute",
                    "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:AuthorizeSecurityGroupIngress")),
            Map.entry("EnsureEndpointsFunction", Set.of("ec2:DescribeVpcEndpoints", "ec2:DescribeVpcEndpointServices",
                    "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:CreateVpcEndpoint",
                    "ec2:ModifyVpcEndpoint", "ec2:CreateTags", "route53:AssociateVPCWithHostedZone")),
            Map.entry("CheckEndpointsFunction", Set.of("ec2:DescribeVpcEndpoints")),
            Map.entry("SelectInstancesFunction", Set.of("ec2:DescribeInstances")),
            Map.entry("EnsureInstanceProfileFunction", Set.of("ec2:DescribeInstances", "ec2:DescribeIamInstanceProfileAssociations",
                    "ec2:AssociateIamInstanceProfile", "iam:PassRole", "iam:GetInstanceProfile", "iam:SimulatePrincipalPolicy",
                    "iam:AttachRolePolicy")),
            Map.entry("CheckRegistrationFunction", Set.of("ssm:DescribeInstanceInformation")),
            Map.entry("DiagnoseFunction", Set.of("ec2:DescribeInstances", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
                    "ec2:DescribeRouteTables", "ec2:DescribeNetworkAcls", "ec2:DescribeVpcEndpoints", "ec2:DescribeSecurityGroups",
                    "ec2:DescribeVpcAttribute", "ec2:DescribeDhcpOptions", "iam:GetInstanceProfile", "iam:SimulatePrincipalPolicy",
                    "ssm:DescribeInstanceInformation")),
            Map.entry("ReportFunction", Set.of("ec2:CreateTags", "events:PutEvents", "sns:Publish")));

    /** Where the dependent actions of a call come from: what AWS also checks on the caller. */
    private static final ServiceReference REFERENCE = ServiceReference.load(Repo.ROOT);

    /** Where the functions' sources are; clients are held in variables named after their service. */
    private static final String SOURCES = "functions/src/main/java";
    private static final Pattern CALL = Pattern.compile("\\b(ec2|iam|ssm|sns|events|states)\\.([a-z]\\w*)\\(");
    private static final Pattern TAG_ON_CREATE = Pattern.compile("\\.tagSpecifications\\(");
    private static final Pattern CLASS_NAME = Pattern.compile("\\b[A-Z]\\w*\\b");

    private static final String MANAGED_POLICY = "AmazonSSMManagedInstanceCore";

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

    /** Resources, condition keys and dependent actions against the reference: {@link TemplatePermissionsTest}. */
    @Test
    void noWildcardActionsNoNegationsAndAResourceEverywhere() {
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
                for (JsonNode statement : Repo.statements(policy)) {
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
                }
            }
        });
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    @Test
    void mutationsAreScopedByResourceAndCondition() {
        JsonNode prepare = Repo.functions().get("PrepareVpcFunction");
        assertTrue(conditioned(prepare, "ec2:CreateTags").stream().allMatch(c -> c.contains("ec2:CreateAction") && c.contains("aws:TagKeys")));
        assertTrue(conditioned(prepare, "ec2:AuthorizeSecurityGroupIngress").stream()
                .allMatch(c -> c.contains("aws:ResourceTag/ssm-reach:managed")));
        assertTrue(conditioned(prepare, "ec2:ModifyVpcAttribute").stream().allMatch(c -> c.contains("\"ec2:Attribute\"")
                && c.contains("ec2:Attribute/EnableDnsSupport") && c.contains("ec2:Attribute/EnableDnsHostnames")),
                "only the DNS attributes, only turned on");

        JsonNode ensure = Repo.functions().get("EnsureEndpointsFunction");
        assertTrue(conditioned(ensure, "ec2:CreateTags").stream().allMatch(c -> c.contains("ec2:CreateAction") && c.contains("aws:TagKeys")));
        assertTrue(onEndpoints(ensure, "ec2:CreateVpcEndpoint").stream().allMatch(c -> c.contains("ec2:VpceServiceName")
                && c.contains("aws:RequestTag/ssm-reach:managed")), "CreateVpcEndpoint: SSM services only, tagged as ours");
        assertTrue(onEndpoints(ensure, "ec2:ModifyVpcEndpoint").stream().allMatch(c -> c.contains("\"ec2:Attribute\"")
                && !c.contains("Remove") && !c.contains("PrivateDns")), "ModifyVpcEndpoint: additions only");

        JsonNode profile = Repo.functions().get("EnsureInstanceProfileFunction");
        assertTrue(conditioned(profile, "ec2:AssociateIamInstanceProfile").stream().allMatch(c -> c.contains("ec2:NewInstanceProfile")),
                "AssociateIamInstanceProfile: the stack's profile only");

        JsonNode report = Repo.functions().get("ReportFunction");
        assertTrue(conditioned(report, "ec2:CreateTags").stream().allMatch(c -> c.contains("aws:TagKeys") && !c.contains("*")),
                "subnet tags: the exact keys written");
        assertTrue(conditioned(report, "events:PutEvents").stream().allMatch(c -> c.contains("ForAllValues") && c.contains("events:source")));
    }

    /** The conditions of the statements that allow {@code action} on vpc-endpoint/*; fails if there are none. */
    private static List<String> onEndpoints(JsonNode resource, String action) {
        List<String> conditions = statements(resource, action).stream()
                .filter(s -> Repo.strings(s.path("Resource")).stream().anyMatch(r -> r.contains(":vpc-endpoint/")))
                .map(s -> s.path("Condition").toString()).toList();
        assertFalse(conditions.isEmpty(), action + " on vpc-endpoint/*");
        return conditions;
    }

    @Test
    void theActionTableIsWhatTheCodeCalls() {
        Map<String, Set<String>> called = new TreeMap<>();
        Repo.functions().forEach((name, function) -> {
            called.put(name, withDependents(calledActions(handlerClass(function))));
        });
        assertEquals(new TreeMap<>(ACTIONS), called,
                "the IAM actions of the SDK calls each handler makes, and their dependent actions (" + ServiceReference.FILE + ")");
    }

    @Test
    void passRoleOnlyForTheStackInstanceRoleAndOnlyToEc2() {
        Map<String, JsonNode> principals = new TreeMap<>(Repo.functions());
        principals.put(Repo.stateMachine().getKey(), Repo.stateMachine().getValue());
        Set<String> passing = new TreeSet<>();
        principals.forEach((name, resource) -> {
            if (!statements(resource, "iam:PassRole").isEmpty()) {
                passing.add(name);
            }
        });
        assertEquals(Set.of("EnsureInstanceProfileFunction"), passing, "who may pass a role");

        String role = instanceRole();
        Map<String, JsonNode> roles = Repo.resources("AWS::IAM::Role");
        for (JsonNode statement : statements(Repo.functions().get("EnsureInstanceProfileFunction"), "iam:PassRole")) {
            assertEquals(List.of("iam:PassRole"), Repo.strings(statement.path("Action")), () -> "PassRole alone: " + statement);
            assertEquals(List.of(role + ".Arn"), Repo.strings(statement.path("Resource")),
                    () -> "iam:PassRole must name !GetAtt " + role + ".Arn only: " + statement);
            assertEquals(List.of("ec2.amazonaws.com"),
                    Repo.strings(statement.path("Condition").path("StringEquals").path("iam:PassedToService")),
                    () -> "iam:PassRole needs StringEquals iam:PassedToService ec2.amazonaws.com: " + statement);
            assertEquals(List.of("StringEquals"), Repo.fieldNames(statement.path("Condition")));
        }

        JsonNode trust = roles.get(role).path("Properties").path("AssumeRolePolicyDocument").path("Statement");
        assertEquals(1, trust.size());
        assertEquals(List.of("ec2.amazonaws.com"), Repo.strings(trust.get(0).path("Principal").path("Service")));
        assertEquals(List.of("Service"), Repo.fieldNames(trust.get(0).path("Principal")));
        assertEquals(List.of("sts:AssumeRole"), Repo.strings(trust.get(0).path("Action")));
    }

    @Test
    void theInstanceRoleHasTheSsmCorePolicyAndReadsOnlyTheAgentBucketsOfTheRegion() {
        String role = instanceRole();
        JsonNode properties = Repo.resources("AWS::IAM::Role").get(role).path("Properties");
        assertEquals(List.of("arn:${AWS::Partition}:iam::aws:policy/" + MANAGED_POLICY), Repo.strings(properties.path("ManagedPolicyArns")));
        for (JsonNode policy : properties.path("Policies")) {
            for (JsonNode statement : Repo.statements(policy.path("PolicyDocument"))) {
                assertEquals("Allow", statement.path("Effect").asText());
                assertEquals(List.of("s3:GetObject"), Repo.strings(statement.path("Action")));
                List<String> buckets = Repo.strings(statement.path("Resource"));
                assertFalse(buckets.isEmpty());
                buckets.forEach(arn -> assertTrue(arn.matches("arn:\\$\\{AWS::Partition}:s3:::[a-z0-9-]+-\\$\\{AWS::Region}(-\\*)?/\\*"),
                        () -> "not an agent bucket of the Region: " + arn));
            }
        }

        Map<String, JsonNode> profiles = Repo.resources("AWS::IAM::InstanceProfile");
        assertEquals(1, profiles.size(), () -> "one instance profile: " + profiles.keySet());
        String profile = profiles.keySet().iterator().next();
        assertEquals(List.of(role), Repo.strings(profiles.get(profile).path("Properties").path("Roles")));
        assertEquals(profile + ".Arn", Repo.template().path("Globals").path("Function").path("Environment").path("Variables")
                .path("INSTANCE_PROFILE_ARN").asText(), "INSTANCE_PROFILE_ARN must be !GetAtt " + profile + ".Arn");
    }

    @Test
    void attachRolePolicyOnlyForTheSsmCorePolicyAndOnlyWithTheAttachPolicyParameter() {
        JsonNode ensure = Repo.functions().get("EnsureInstanceProfileFunction");
        List<JsonNode> attaching = statements(ensure, "iam:AttachRolePolicy");
        assertFalse(attaching.isEmpty(), "no statement allows iam:AttachRolePolicy");
        for (JsonNode statement : attaching) {
            assertEquals(List.of("iam:AttachRolePolicy"), Repo.strings(statement.path("Action")));
            assertEquals(List.of("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"), Repo.strings(statement.path("Resource")));
            assertEquals(List.of("arn:${AWS::Partition}:iam::aws:policy/" + MANAGED_POLICY),
                    Repo.strings(statement.path("Condition").path("ArnEquals").path("iam:PolicyARN")),
                    () -> "iam:AttachRolePolicy needs ArnEquals iam:PolicyARN " + MANAGED_POLICY + ": " + statement);
        }

        // Only inside Fn::If on the condition "ExistingProfile is attach-policy", with nothing otherwise.
        List<String> conditions = new ArrayList<>();
        for (JsonNode policy : ensure.path("Properties").path("Policies")) {
            for (JsonNode statement : policy.path("Statement")) {
                assertFalse(Repo.strings(statement.path("Action")).contains("iam:AttachRolePolicy"),
                        "iam:AttachRolePolicy granted whatever ExistingProfile says");
                JsonNode branches = statement.path("Fn::If");
                if (branches.isArray() && Repo.strings(branches.get(1).path("Action")).contains("iam:AttachRolePolicy")) {
                    assertEquals("AWS::NoValue", branches.get(2).asText(), "the other branch of the Fn::If must be AWS::NoValue");
                    conditions.add(branches.get(0).asText());
                }
            }
        }
        assertEquals(1, conditions.size());
        JsonNode condition = Repo.template().path("Conditions").path(conditions.getFirst());
        assertEquals("[\"ExistingProfile\",\"attach-policy\"]", condition.toString(),
                () -> "condition " + conditions.getFirst() + " must be !Equals [!Ref ExistingProfile, attach-policy]");
    }

    /** The role of the template's one instance profile: the instance role. */
    private static String instanceRole() {
        Map<String, JsonNode> profiles = Repo.resources("AWS::IAM::InstanceProfile");
        assertEquals(1, profiles.size(), () -> "one instance profile: " + profiles.keySet());
        List<String> roles = Repo.strings(profiles.values().iterator().next().path("Properties").path("Roles"));
        assertEquals(1, roles.size());
        assertTrue(Repo.resources("AWS::IAM::Role").containsKey(roles.getFirst()), "the profile's role is the template's");
        return roles.getFirst();
    }

    /** The actions and, transitively, the dependent actions the reference lists for them. */
    private static Set<String> withDependents(Set<String> actions) {
        Set<String> all = new TreeSet<>();
        Deque<String> pending = new ArrayDeque<>(actions);
        while (!pending.isEmpty()) {
            String action = pending.pop();
            if (all.add(action)) {
                REFERENCE.action(action).ifPresent(a -> a.rows().forEach(row -> pending.addAll(row.dependentActions())));
            }
        }
        return all;
    }

    private static Set<String> actions(JsonNode resource) {
        Set<String> actions = new TreeSet<>();
        Repo.allStatements(resource).forEach(statement -> actions.addAll(Repo.strings(statement.path("Action"))));
        return actions;
    }

    private static List<JsonNode> statements(JsonNode resource, String action) {
        return Repo.allStatements(resource).stream()
                .filter(statement -> Repo.strings(statement.path("Action")).contains(action)).toList();
    }

    /**
     * The IAM actions of the SDK calls that a handler makes, itself or through the classes of
     * the functions module it uses (followed transitively, comments left out; another function's
     * handler is not followed, as only its constants can be shared):
     * {@code ec2.describeInstancesPaginator(...)} is ec2:DescribeInstances, and tags given on create
     * ({@code .tagSpecifications(...)}) need ec2:CreateTags.
     */
    private static Set<String> calledActions(String handlerClass) {
        Map<String, Path> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(Repo.path(SOURCES))) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
                String name = f.getFileName().toString();
                sources.put(name.substring(0, name.length() - ".java".length()), f);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> actions = new TreeSet<>();
        Set<String> seen = new TreeSet<>();
        Deque<String> pending = new ArrayDeque<>(List.of(handlerClass.substring(handlerClass.lastIndexOf('.') + 1)));
        while (!pending.isEmpty()) {
            String name = pending.pop();
            if (!seen.add(name)) {
                continue;
            }
            String code = withoutComments(Repo.read(Repo.ROOT.relativize(sources.get(name)).toString()));
            Matcher call = CALL.matcher(code);
            while (call.find()) {
                String method = call.group(2).replaceFirst("Paginator$", "");
                actions.add(call.group(1) + ":" + Character.toUpperCase(method.charAt(0)) + method.substring(1));
            }
            if (TAG_ON_CREATE.matcher(code).find()) {
                actions.add("ec2:CreateTags");
            }
            Matcher used = CLASS_NAME.matcher(code);
            while (used.find()) {
                if (sources.containsKey(used.group()) && !seen.contains(used.group()) && !used.group().endsWith("Handler")) {
                    pending.push(used.group());
                }
            }
        }
        return actions;
    }

    private static String withoutComments(String code) {
        return code.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("(?m)^\\s*//.*$", "");
    }

    private static String handlerClass(JsonNode function) {
        String handler = function.path("Properties").path("Handler").asText();
        return handler.substring(0, handler.indexOf("::"));
    }

    /** The conditions of the statements that allow {@code action}; fails if one has none. */
    private static List<String> conditioned(JsonNode resource, String action) {
        List<JsonNode> found = statements(resource, action);
        assertFalse(found.isEmpty(), () -> "no statement allows " + action);
        found.forEach(s -> assertTrue(s.has("Condition"), () -> action + " without a Condition: " + s));
        return found.stream().map(s -> s.path("Condition").toString()).toList();
    }

}
