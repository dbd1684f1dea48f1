package ssmreach.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import ssmreach.core.AwsFailureException;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.testing.LocalAwsExtension;
import ssmreach.local.World;

/**
 * The instance half end to end: profiles, registration confirmed by the simulated SSM fleet (whose
 * PingStatus follows the emulator's real state), and diagnosis when an instance stays offline.
 */
@ExtendWith(LocalAwsExtension.class)
class InstanceRegistrationIT {
    private static final String OURS = "arn:aws:iam::123456789012:instance-profile/" + LocalFunctions.INSTANCE_PROFILE;

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final IamClient iam;
    private final World world;
    private final List<LocalWorkflow> workflows = new ArrayList<>();
    private String vpc;
    private String subnet;

    InstanceRegistrationIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.iam = aws.inspectIam();
        this.world = new World(ec2);
    }

    @BeforeEach
    void setUp() {
        LocalFunctions.createInstanceProfile(iam);
        vpc = world.vpc("10.0.0.0/16");
        subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
    }

    @AfterEach
    void tearDown() {
        workflows.forEach(LocalWorkflow::close);
    }

    @Test
    void instanceWithoutProfileGetsTheStacksProfileAndComesOnline() {
        String instance = world.instance(subnet, null);

        JsonNode result = run(Map.of(), "{\"subnetId\": \"" + subnet + "\"}");

        assertEquals("remediated", result.path("outcome").asText());
        JsonNode reported = instance(result, instance);
        assertEquals("associated", reported.path("profileAction").asText());
        assertEquals("Online", reported.path("registration").asText());
        assertTrue(reported.path("secondsToOnline").isNumber(), "time to Online recorded");
        assertEquals(OURS, profileOf(instance));
    }

    @Test
    void foreignProfileWithoutSsmPermissionsIsReportedAndLeftAlone() {
        String foreign = foreignProfile("app-role", "app-profile");
        String instance = world.instance(subnet, foreign);

        JsonNode result = run(Map.of(), "{\"subnetId\": \"" + subnet + "\"}");

        JsonNode reported = instance(result, instance);
        assertEquals("reported", reported.path("profileAction").asText());
        assertEquals("not-awaited", reported.path("registration").asText());
        assertTrue(codes(result).contains("ROLE_LACKS_SSM_PERMISSIONS"));
        assertEquals(foreign, profileOf(instance), "profile untouched");
        assertTrue(iam.listAttachedRolePolicies(r -> r.roleName("app-role")).attachedPolicies().isEmpty());
        assertTrue(aws.fleet().blockingReason(instance).isPresent(), "not Online");
    }

    @Test
    void attachPolicySettingAddsTheManagedPolicyToTheForeignRole() {
        String foreign = foreignProfile("app-role", "app-profile");
        String instance = world.instance(subnet, foreign);

        JsonNode result = run(Map.of("EXISTING_PROFILE", "attach-policy"), "{\"subnetId\": \"" + subnet + "\"}");

        JsonNode reported = instance(result, instance);
        assertEquals("policy-attached", reported.path("profileAction").asText());
        assertEquals("Online", reported.path("registration").asText());
        assertEquals(foreign, profileOf(instance), "still the user's profile");
        assertEquals(List.of("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
                iam.listAttachedRolePolicies(r -> r.roleName("app-role")).attachedPolicies().stream().map(p -> p.policyArn()).toList());
    }

    @Test
    void pendingInstanceEventAttachesNothing() {
        String instance = world.instance(subnet, null);
        aws.calls().clear();

        JsonNode result = run(Map.of(), stateChange(instance, "pending"));

        assertEquals("ignored", result.path("outcome").asText());
        assertEquals(List.of(), aws.calls().mutatingCalls());
        assertEquals(null, profileOf(instance));
    }

    @Test
    void instanceInAnAlreadyRemediatedSubnetOnlyGetsItsProfile() {
        run(Map.of(), "{\"subnetId\": \"" + subnet + "\"}");
        String instance = world.instance(subnet, null);
        aws.calls().clear();

        Execution execution = workflow(Map.of()).execute(stateChange(instance, "running"));

        assertTrue(execution.succeeded());
        assertEquals(List.of("AssociateIamInstanceProfile"), aws.calls().mutatingCalls().stream().map(CallLog.Call::operation).toList());
        assertEquals("Online", instance(execution.output(), instance).path("registration").asText());
        assertTrue(execution.path().contains("CheckRegistration") && !execution.path().contains("StartWait"));
    }

    @Test
    void endpointSecurityGroupTamperedDuringTheWaitKeepsTheInstanceOfflineAndTheDiagnosisNamesIt() {
        String instance = world.instance(subnet, null);
        LocalWorkflow workflow = workflow(Map.of());
        // Each run re-adds its group's 443 rules, so the rule is dropped after this run's endpoint step.
        workflow.lambda().onInvocation(invocation -> {
            if (invocation.functionName().equals("EnsureInstanceProfile")) {
                String group = ec2.describeSecurityGroups(r -> r.filters(f -> f.name("group-name").values("ssm-reach-endpoints")))
                        .securityGroups().getFirst().groupId();
                ec2.revokeSecurityGroupIngress(r -> r.groupId(group).ipPermissions(p -> p.ipProtocol("tcp").fromPort(443).toPort(443)
                        .ipRanges(x -> x.cidrIp("10.0.0.0/16"))));
            }
        });

        Execution execution = workflow.execute("{\"subnetId\": \"" + subnet + "\"}");

        assertTrue(execution.succeeded());
        assertTrue(execution.path().contains("DiagnoseNotOnline"), "deadline reached: " + execution.path());
        JsonNode result = execution.output();
        assertEquals("incomplete", result.path("outcome").asText());
        assertEquals("not-registered", instance(result, instance).path("registration").asText());
        assertTrue(codes(result).contains("ENDPOINT_SG_BLOCKS_HTTPS"), codes(result).toString());
    }

    @Test
    void profileStepFailingForOneInstanceIsReportedAndTheOtherStillComesOnline() {
        String first = world.instance(subnet, null);
        String second = world.instance(subnet, null);
        LocalWorkflow workflow = workflow(Map.of());
        workflow.lambda().failNext("EnsureInstanceProfile", 1,
                () -> new AwsFailureException("UnauthorizedOperation", "You are not authorized to perform this operation.", null));

        Execution execution = workflow.execute("{\"subnetId\": \"" + subnet + "\"}");

        assertTrue(execution.succeeded(), () -> "one instance's failure is not the execution's: " + execution.error());
        assertTrue(execution.path().contains("CheckRegistration") && !execution.path().contains("ReportFailure"), execution.path().toString());
        JsonNode result = execution.output();
        assertEquals("incomplete", result.path("outcome").asText());
        Map<String, String> actions = new HashMap<>();
        for (String instance : List.of(first, second)) {
            actions.put(instance(result, instance).path("profileAction").asText(), instance);
        }
        assertEquals(java.util.Set.of("associated", "failed"), actions.keySet(), result.path("instances").toString());
        String failed = actions.get("failed");
        String other = actions.get("associated");
        assertEquals("not-awaited", instance(result, failed).path("registration").asText());
        assertEquals("Online", instance(result, other).path("registration").asText());
        assertEquals(OURS, profileOf(other));
        JsonNode finding = result.path("findings").get(codes(result).indexOf("PROFILE_STEP_FAILED"));
        assertEquals(failed, finding.path("resource").asText());
        assertTrue(finding.path("message").asText().contains("UnauthorizedOperation"), finding.toString());
    }

    @Test
    void moreInstancesThanOneExecutionTakesOnStayUnderTheStateLimit() {
        int launched = 103;
        for (int i = 0; i < launched; i++) {
            world.instance(subnet, null);
        }

        Execution execution = workflow(Map.of()).execute("{\"subnetId\": \"" + subnet + "\"}");

        assertTrue(execution.succeeded(), () -> "execution " + execution.status() + ": " + execution.error());
        JsonNode result = execution.output();
        assertEquals(100, result.path("instances").size());
        assertTrue(codes(result).contains("INSTANCES_DEFERRED"), codes(result).toString());
        assertEquals("incomplete", result.path("outcome").asText());
        // Step Functions refuses a state input or output over 256 KB; the local interpreter does not, so it is measured here.
        int largest = execution.events().stream().map(e -> e.json().path("state"))
                .flatMap(state -> java.util.stream.Stream.of(state.get("input"), state.get("output")))
                .filter(java.util.Objects::nonNull).mapToInt(json -> json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                .max().orElseThrow();
        System.out.printf("[instances] %d instances, 100 taken on: largest state %d bytes (limit 262144)%n", launched, largest);
        assertTrue(largest < 256 * 1024 * 3 / 4, "largest state " + largest + " bytes leaves a quarter of the 256 KB limit free");
    }

    @Test
    void diagnosisOnDemandChangesNothing() {
        String instance = world.instance(subnet, null);
        aws.calls().clear();

        JsonNode result = run(Map.of(), "{\"instanceId\": \"" + instance + "\", \"diagnose\": true}");

        assertEquals("diagnosed", result.path("outcome").asText());
        assertEquals(List.of(), aws.calls().mutatingCalls());
        List<String> codes = codes(result);
        assertTrue(codes.contains("NO_INSTANCE_PROFILE") && codes.contains("ENDPOINT_MISSING"), codes.toString());
    }

    private JsonNode run(Map<String, String> settings, String input) {
        Execution execution = workflow(settings).execute(input);
        assertTrue(execution.succeeded(), () -> "execution " + execution.status() + ": " + execution.error() + " "
                + execution.events().stream().filter(e -> e.error() != null).map(e -> e.json().toString()).toList());
        return execution.output();
    }

    private LocalWorkflow workflow(Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>(overrides);
        LocalWorkflow workflow = new LocalWorkflow(aws, LocalFunctions.settings(settings));
        workflows.add(workflow);
        return workflow;
    }

    private String foreignProfile(String role, String profile) {
        iam.createRole(r -> r.roleName(role).assumeRolePolicyDocument("""
                {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"""));
        String arn = iam.createInstanceProfile(r -> r.instanceProfileName(profile)).instanceProfile().arn();
        iam.addRoleToInstanceProfile(r -> r.instanceProfileName(profile).roleName(role));
        return arn;
    }

    private String profileOf(String instance) {
        var profile = ec2.describeInstances(r -> r.instanceIds(instance)).reservations().getFirst().instances().getFirst().iamInstanceProfile();
        return profile == null ? null : profile.arn();
    }

    private static JsonNode instance(JsonNode result, String instanceId) {
        for (JsonNode i : result.path("instances")) {
            if (instanceId.equals(i.path("instanceId").asText())) {
                return i;
            }
        }
        throw new AssertionError("instance " + instanceId + " not in the result: " + result.path("instances"));
    }

    private static List<String> codes(JsonNode result) {
        List<String> codes = new ArrayList<>();
        result.path("findings").forEach(f -> codes.add(f.path("code").asText()));
        return codes;
    }

    private static String stateChange(String instance, String state) {
        return """
                {"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "EC2 Instance State-change Notification",
                 "source": "aws.ec2", "account": "123456789012", "time": "2026-11-28T10:00:00Z", "region": "us-east-1",
                 "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/%s"], "detail": {"instance-id": "%s", "state": "%s"}}
                """.formatted(instance, instance, state);
    }
}
