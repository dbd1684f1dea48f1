package ssmreach.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ssmreach.result.ResultFixtures.CLOCK;
import static ssmreach.result.ResultFixtures.NOW;
import static ssmreach.result.ResultFixtures.PUBLIC_SUBNET;
import static ssmreach.result.ResultFixtures.SUBNET;
import static ssmreach.result.ResultFixtures.VPC;
import static ssmreach.result.ResultFixtures.availableEndpoints;
import static ssmreach.result.ResultFixtures.classification;
import static ssmreach.result.ResultFixtures.compliant;
import static ssmreach.result.ResultFixtures.createdThreeInTwoZones;
import static ssmreach.result.ResultFixtures.endpoint;
import static ssmreach.result.ResultFixtures.isolated;
import static ssmreach.result.ResultFixtures.publicSubnet;
import static ssmreach.result.ResultFixtures.remediated;
import static ssmreach.result.ResultFixtures.settings;
import static ssmreach.result.ResultFixtures.state;
import static ssmreach.result.ResultFixtures.target;
import static ssmreach.result.ResultFixtures.withFindings;
import static ssmreach.result.ResultFixtures.withStatus;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import ssmreach.contract.Action;
import ssmreach.contract.Diagnosis;
import ssmreach.contract.EndpointsReport;
import ssmreach.contract.ErrorInfo;
import ssmreach.contract.ErrorInfo;
import ssmreach.contract.Finding;
import ssmreach.contract.InstanceRegistration;
import ssmreach.contract.InstanceSelection;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.ProfileResult;
import ssmreach.contract.RegistrationState;
import ssmreach.contract.Result;
import ssmreach.contract.Route;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.Target;
import ssmreach.contract.VpcClassification;
import ssmreach.contract.VpcReadiness;
import ssmreach.contract.WorkflowState;
import ssmreach.core.Json;

class ResultBuilderTest {
    private final ResultBuilder builder = new ResultBuilder(settings(Map.of()), CLOCK);

    @Test
    void endpointsCreatedAndAvailableIsRemediated() {
        Result result = builder.build(remediated());

        assertEquals("remediated", result.outcome());
        assertEquals("CreateSubnet", result.source());
        assertEquals(VPC, result.vpcId());
        assertFalse(result.dryRun());
        assertEquals(List.of(new Result.SubnetResult(SUBNET, "us-east-1a", Route.ISOLATED, SubnetStatus.IN_SCOPE, "no default route")),
                result.subnets());
        assertEquals(createdThreeInTwoZones(), result.actions());
        assertEquals(availableEndpoints(), result.endpoints());
        assertEquals(NOW.toString(), result.evaluatedAt());
        assertNull(result.error());
    }

    @Test
    void nothingToDoIsCompliant() {
        Result result = builder.build(compliant());

        assertEquals("compliant", result.outcome());
        assertEquals(0, result.endpointZonesAdded());
        assertEquals(0, BigDecimal.ZERO.compareTo(result.monthlyCostAddedUsd()));
    }

    @Test
    void onlyVpcPreparationIsStillRemediated() {
        WorkflowState base = compliant();
        WorkflowState state = state(base.target(), base.classification(), new VpcReadiness("sg-0aaaaaaaaaaaaaaa1", true,
                List.of(Action.of("ModifyVpcAttribute", VPC, "enableDnsHostnames on", false)), List.of()), base.endpoints(), null);

        Result result = builder.build(state);

        assertEquals("remediated", result.outcome());
        assertEquals(List.of("ModifyVpcAttribute"), result.actions().stream().map(Action::operation).toList());
    }

    @Test
    void dryRunIsPlanned() {
        WorkflowState base = remediated();
        List<Action> planned = createdThreeInTwoZones().stream()
                .map(a -> new Action(a.operation(), a.resource(), a.detail(), true, a.endpointZonesAdded())).toList();
        WorkflowState state = state(target(true), base.classification(), base.vpc(),
                new EndpointsReport(List.of(endpoint(null, "ssm", "planned")), planned, List.of(), false, true), null);

        Result result = builder.build(state);

        assertEquals("planned", result.outcome());
        assertTrue(result.dryRun());
        assertEquals(6, result.endpointZonesAdded(), "a dry run shows what the plan would cost");
    }

    @Test
    void noSubnetInScopeIsSkipped() {
        WorkflowState state = state(target(false), classification(publicSubnet(Map.of()),
                withStatus(isolated(Map.of()), SubnetStatus.OPTED_OUT)), null, null, null);

        assertEquals("skipped", builder.build(state).outcome());
    }

    @Test
    void failedCreateSubnetCallIsIgnored() {
        Target ignored = new Target("CreateSubnet", null, List.of(), false, "the CreateSubnet call failed (Client.InvalidSubnet.Conflict)");

        Result result = builder.build(state(ignored, null, null, null, null));

        assertEquals("ignored", result.outcome());
        assertEquals(List.of(), result.subnets());
        assertNull(result.vpcId());
    }

    @Test
    void resourceGoneErrorIsGone() {
        ErrorInfo gone = new ErrorInfo("ssmreach.core.ResourceGoneException", "{\"errorMessage\":\"VPC vpc-0a1b2c3d4e5f60718 no longer exists\"}");
        WorkflowState base = remediated();

        Result result = builder.build(state(base.target(), base.classification(), base.vpc(), null, gone));

        assertEquals("gone", result.outcome());
        assertEquals(new Result.Failure("ssmreach.core.ResourceGoneException", "VPC vpc-0a1b2c3d4e5f60718 no longer exists"),
                result.error());
    }

    @Test
    void allTargetsGoneInTheClassificationIsGone() {
        WorkflowState state = state(target(false), classification(withStatus(isolated(Map.of()), SubnetStatus.GONE)), null, null, null);

        assertEquals("gone", builder.build(state).outcome());
    }

    @Test
    void otherErrorIsFailed() {
        ErrorInfo error = new ErrorInfo("States.Timeout", "Task timed out after 120.00 seconds");

        Result result = builder.build(state(target(false), null, null, null, error));

        assertEquals("failed", result.outcome());
        assertEquals(new Result.Failure("States.Timeout", "Task timed out after 120.00 seconds"), result.error());
        assertEquals(VPC, result.vpcId(), "from the target when nothing was classified");
    }

    @Test
    void aFunctionErrorAsStepFunctionsCatchesItIsPublishedAsTypeAndMessageWithoutTheStackTrace() throws Exception {
        // A Catch's output in AWS: Cause is the Lambda error payload as JSON text, Java stack trace included.
        String payload = Json.MAPPER.writeValueAsString(Map.of(
                "errorMessage", "UnauthorizedOperation: You are not authorized to perform: ec2:CreateVpcEndpoint",
                "errorType", "ssmreach.core.AwsFailureException",
                "stackTrace", List.of("ssmreach.core.AwsErrors.translate(AwsErrors.java:40)",
                        "ssmreach.core.JsonHandler.handleRequest(JsonHandler.java:33)")));
        ErrorInfo error = new ErrorInfo("ssmreach.core.AwsFailureException", payload);

        Result result = builder.build(state(target(false), null, null, null, error));

        assertEquals(new Result.Failure("ssmreach.core.AwsFailureException",
                "UnauthorizedOperation: You are not authorized to perform: ec2:CreateVpcEndpoint"), result.error());
        com.fasterxml.jackson.databind.JsonNode published = Json.MAPPER.valueToTree(result);
        List<String> fields = new java.util.ArrayList<>();
        published.get("error").fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("errorType", "errorMessage"), fields);
        assertFalse(published.toString().contains("AwsErrors.java"), "no stack trace: " + published);
    }

    @Test
    void invalidInputBeforeAnyTargetIsFailed() {
        ErrorInfo error = new ErrorInfo("ssmreach.trigger.UnsupportedEventException", "Unsupported event");

        Result result = builder.build(state(null, null, null, null, error));

        assertEquals("failed", result.outcome());
        assertNull(result.source());
        assertNull(result.vpcId());
        assertFalse(result.dryRun());
    }

    @Test
    void endpointStillPendingIsIncompleteWithAFinding() {
        WorkflowState base = remediated();
        WorkflowState state = state(base.target(), base.classification(), base.vpc(), new EndpointsReport(
                List.of(endpoint("vpce-0ssm", "ssm", "pending")), base.endpoints().actions(), List.of(), false, false), null);

        Result result = builder.build(state);

        assertEquals("incomplete", result.outcome());
        assertEquals(List.of("ENDPOINT_NOT_AVAILABLE"), result.findings().stream().map(Finding::code).toList());
        assertEquals("vpce-0ssm", result.findings().getFirst().resource());
    }

    @Test
    void errorFindingIsIncomplete() {
        WorkflowState state = withFindings(remediated(), new Finding("ENDPOINT_FAILED", Severity.ERROR, "vpce-0old", "failed", "delete it"));

        assertEquals("incomplete", builder.build(state).outcome());
    }

    @Test
    void warningFindingAloneDoesNotMakeItIncomplete() {
        WorkflowState state = withFindings(remediated(), new Finding("SERVICE_ZONE_UNSUPPORTED", Severity.WARNING, "us-east-1c", "m", "f"));

        Result result = builder.build(state);

        assertEquals("remediated", result.outcome());
        assertEquals(1, result.findings().size());
    }

    @Test
    void noEndpointAtAllIsIncomplete() {
        WorkflowState base = compliant();
        WorkflowState state = state(base.target(), base.classification(), base.vpc(),
                new EndpointsReport(List.of(), List.of(), List.of(), true, true), null);

        assertEquals("incomplete", builder.build(state).outcome());
    }

    @Test
    void vpcFindingsAndActionsComeFirst() {
        Finding dns = new Finding("VPC_DNS_ATTRIBUTE_OFF", Severity.ERROR, VPC, "off", "turn it on");
        WorkflowState base = remediated();
        WorkflowState state = state(base.target(), base.classification(), new VpcReadiness("sg-0aaaaaaaaaaaaaaa1", false,
                List.of(Action.of("AuthorizeSecurityGroupIngress", "sg-0aaaaaaaaaaaaaaa1", "TCP 443 from 10.0.0.0/16", false)),
                List.of(dns)), base.endpoints(), null);

        Result result = builder.build(state);

        assertEquals("AuthorizeSecurityGroupIngress", result.actions().getFirst().operation());
        assertEquals(List.of(dns), result.findings());
        assertEquals("incomplete", result.outcome());
    }

    @Test
    void monthlyCostIsZonesTimesPriceTimes730() {
        Result result = builder.build(remediated());

        assertEquals(6, result.endpointZonesAdded());
        assertEquals(0, new BigDecimal("43.80").compareTo(result.monthlyCostAddedUsd()), result.monthlyCostAddedUsd().toPlainString());
    }

    @Test
    void monthlyCostFollowsThePriceSetting() {
        ResultBuilder pricier = new ResultBuilder(settings(Map.of("HOURLY_ENDPOINT_PRICE_USD", "0.013")), CLOCK);

        Result result = pricier.build(remediated());

        assertEquals(0, new BigDecimal("56.94").compareTo(result.monthlyCostAddedUsd()), result.monthlyCostAddedUsd().toPlainString());
    }

    @Test
    void extendingAnEndpointCostsItsNewZones() {
        WorkflowState base = compliant();
        WorkflowState state = state(base.target(), base.classification(), base.vpc(), new EndpointsReport(availableEndpoints(),
                List.of(new Action("ModifyVpcEndpoint", "vpce-0ssm", "ssm: add us-east-1b", false, 1)), List.of(), true, true), null);

        Result result = builder.build(state);

        assertEquals(1, result.endpointZonesAdded());
        assertEquals(0, new BigDecimal("7.30").compareTo(result.monthlyCostAddedUsd()));
    }

    @Test
    void subnetsListEveryTargetWithItsVerdict() {
        WorkflowState base = remediated();
        WorkflowState state = state(base.target(), classification(isolated(Map.of()), publicSubnet(Map.of())), base.vpc(),
                base.endpoints(), null);

        Result result = builder.build(state);

        assertEquals(List.of(SUBNET, PUBLIC_SUBNET), result.subnets().stream().map(Result.SubnetResult::subnetId).toList());
        assertEquals(Route.PUBLIC, result.subnets().get(1).route());
        assertEquals(SubnetStatus.OUT_OF_SCOPE, result.subnets().get(1).status());
    }

    // ---------------------------------------------------------------- instances

    private static final String INSTANCE = "i-0abc1234def567890";
    private static final String OTHER = "i-0abc1234def567891";
    private static final String PROFILE = "arn:aws:iam::123456789012:instance-profile/ssm-reach-SsmInstanceProfile-AbCdEf123456";
    private static final Action ASSOCIATE = Action.of("AssociateIamInstanceProfile", INSTANCE, "profile " + PROFILE, false);

    /** The state as the Report state receives it, instance parts included, built through JSON. */
    private static WorkflowState withInstances(WorkflowState base, InstanceSelection selection, List<ProfileResult> profiles,
                                               RegistrationState registration, Diagnosis diagnosis) {
        java.util.Map<String, Object> state = new java.util.LinkedHashMap<>();
        state.put("target", base.target());
        state.put("classification", base.classification());
        state.put("vpc", base.vpc());
        state.put("endpoints", base.endpoints());
        state.put("instances", selection);
        state.put("profiles", profiles);
        state.put("registration", registration);
        state.put("diagnosis", diagnosis);
        state.put("error", base.error());
        state.values().removeIf(java.util.Objects::isNull);
        return Json.MAPPER.convertValue(state, WorkflowState.class);
    }

    private static InstanceSelection selected(List<String> ids, InstanceSelection.Skipped... skipped) {
        return new InstanceSelection(ids.stream().map(id -> new InstanceTarget(id, SUBNET, "running")).toList(), List.of(skipped),
                !ids.isEmpty(), "2026-11-28T14:00:00Z");
    }

    private static ProfileResult associated(String id) {
        return new ProfileResult(id, SUBNET, "running", PROFILE, "associated", true,
                List.of(Action.of("AssociateIamInstanceProfile", id, "profile " + PROFILE, false)), List.of());
    }

    private static ProfileResult existingOk(String id) {
        return new ProfileResult(id, SUBNET, "running", PROFILE, "existing-ok", true, List.of(), List.of());
    }

    private static RegistrationState registration(InstanceRegistration... statuses) {
        List<InstanceRegistration> all = List.of(statuses);
        List<String> notOnline = all.stream().filter(r -> !r.online()).map(InstanceRegistration::instanceId).toList();
        return new RegistrationState(all, notOnline.isEmpty(), notOnline);
    }

    private static InstanceRegistration online(String id, long seconds) {
        return new InstanceRegistration(id, "Online", "2026-11-28T14:02:30Z", seconds);
    }

    private static Target instanceTarget(boolean dryRun, boolean diagnose) {
        return new Target(diagnose ? "manual" : "InstanceRunning", null, List.of(), List.of(INSTANCE), dryRun, diagnose, null);
    }

    @Test
    void instancesCarryTheirProfileActionAndTimeToOnline() {
        WorkflowState state = withInstances(compliant(), selected(List.of(INSTANCE)), List.of(associated(INSTANCE)),
                registration(online(INSTANCE, 150)), null);

        Result result = builder.build(state);

        assertEquals(List.of(new Result.InstanceResult(INSTANCE, SUBNET, "running", PROFILE, "associated", "Online", 150L)),
                result.instances());
        assertEquals(List.of(ASSOCIATE), result.actions());
        assertEquals("remediated", result.outcome());
    }

    @Test
    void profileStepFailedForOneInstanceIsItsFindingAndTheOtherStillCounts() throws Exception {
        // As the definition's per-instance Catch passes it on: the item's ids, "failed", and the Lambda error.
        ProfileResult failed = Json.MAPPER.readValue("""
                {"instanceId": "%s", "subnetId": "%s", "profileAction": "failed", "registrationExpected": false,
                 "actions": [], "findings": [],
                 "error": {"Error": "ssmreach.core.AwsFailureException",
                           "Cause": "{\\"errorMessage\\": \\"UnauthorizedOperation: not allowed\\", \\"errorType\\": \\"x\\", \\"stackTrace\\": []}"}}
                """.formatted(OTHER, SUBNET), ProfileResult.class);
        WorkflowState state = withInstances(compliant(), selected(List.of(INSTANCE, OTHER)), List.of(associated(INSTANCE), failed),
                registration(online(INSTANCE, 30)), null);

        Result result = builder.build(state);

        assertEquals("incomplete", result.outcome());
        assertEquals(List.of("associated", "failed"), result.instances().stream().map(Result.InstanceResult::profileAction).toList());
        assertEquals(List.of("Online", "not-awaited"), result.instances().stream().map(Result.InstanceResult::registration).toList());
        assertEquals(List.of(new Finding("PROFILE_STEP_FAILED", Severity.ERROR, OTHER,
                "The profile step failed for this instance: ssmreach.core.AwsFailureException: UnauthorizedOperation: not allowed",
                "Fix the cause, then run ssm-reach again with {\"instanceId\": \"" + OTHER + "\"}")), result.findings());
    }

    @Test
    void plainTextCauseIsQuotedWithoutTheErrorNameAndLongOnesAreCut() {
        assertEquals("Task timed out after 120 seconds",
                ResultBuilder.causeMessage(new ErrorInfo("States.Timeout", "Task timed out after 120 seconds")));
        assertEquals("UnauthorizedOperation: not allowed", ResultBuilder.causeMessage(
                new ErrorInfo("ssmreach.core.AwsFailureException", "ssmreach.core.AwsFailureException: UnauthorizedOperation: not allowed")));
        assertEquals("no cause given", ResultBuilder.causeMessage(new ErrorInfo("States.Timeout", null)));
        String cut = ResultBuilder.causeMessage(new ErrorInfo("x", "x".repeat(1000)));
        assertEquals(401, cut.length());
        assertTrue(cut.endsWith("…"));
    }

    @Test
    void existingProfileOnlineIsCompliant() {
        WorkflowState state = withInstances(compliant(), selected(List.of(INSTANCE)), List.of(existingOk(INSTANCE)),
                registration(online(INSTANCE, 20)), null);

        Result result = builder.build(state);

        assertEquals("compliant", result.outcome());
        assertEquals("Online", result.instances().getFirst().registration());
        assertEquals(20L, result.instances().getFirst().secondsToOnline());
    }

    @Test
    void awaitedInstanceWithConnectionLostIsIncomplete() {
        WorkflowState state = withInstances(compliant(), selected(List.of(INSTANCE)), List.of(associated(INSTANCE)),
                registration(new InstanceRegistration(INSTANCE, "ConnectionLost", null, null)), null);

        Result result = builder.build(state);

        assertEquals("incomplete", result.outcome());
        assertEquals("ConnectionLost", result.instances().getFirst().registration());
        assertNull(result.instances().getFirst().secondsToOnline());
    }

    @Test
    void awaitedInstanceNeverRegisteredIsIncomplete() {
        WorkflowState unanswered = withInstances(compliant(), selected(List.of(INSTANCE)), List.of(associated(INSTANCE)),
                registration(new InstanceRegistration(INSTANCE, null, null, null)), null);
        WorkflowState unasked = withInstances(compliant(), selected(List.of(INSTANCE)), List.of(associated(INSTANCE)), null, null);

        for (WorkflowState state : List.of(unanswered, unasked)) {
            Result result = builder.build(state);

            assertEquals("incomplete", result.outcome());
            assertEquals("not-registered", result.instances().getFirst().registration());
        }
    }

    @Test
    void oneAwaitedInstanceNotOnlineAmongOnlineOnesIsIncomplete() {
        WorkflowState state = withInstances(compliant(), selected(List.of(INSTANCE, OTHER)), List.of(associated(INSTANCE), associated(OTHER)),
                registration(online(INSTANCE, 150), new InstanceRegistration(OTHER, null, null, null)), null);

        Result result = builder.build(state);

        assertEquals("incomplete", result.outcome());
        assertEquals(List.of("Online", "not-registered"), result.instances().stream().map(Result.InstanceResult::registration).toList());
    }

    @Test
    void instanceNotAwaitedDoesNotHoldTheOutcomeBack() {
        ProfileResult stopped = new ProfileResult(INSTANCE, SUBNET, "stopped", null, "not-running", false, List.of(), List.of());
        WorkflowState state = withInstances(compliant(), selected(List.of(INSTANCE)), List.of(stopped), registration(), null);

        Result result = builder.build(state);

        assertEquals(List.of(new Result.InstanceResult(INSTANCE, SUBNET, "stopped", null, "not-running", "not-awaited", null)),
                result.instances());
        assertEquals("compliant", result.outcome());
    }

    @Test
    void diagnosisRequestIsDiagnosedWithItsInstancesAndFindings() {
        Finding noProfile = new Finding("NO_INSTANCE_PROFILE", Severity.ERROR, INSTANCE, "no profile", "associate one");
        Finding notOnline = new Finding("NOT_ONLINE", Severity.WARNING, INSTANCE, "SSM reports no registration", "fix the above");
        Diagnosis diagnosis = new Diagnosis(List.of(new Diagnosis.InstanceDiagnosis(INSTANCE, null, List.of("instance-running"),
                List.of(noProfile, notOnline))));
        WorkflowState state = withInstances(state(instanceTarget(false, true), null, null, null, null), null, null, null, diagnosis);

        Result result = builder.build(state);

        assertEquals("diagnosed", result.outcome());
        assertEquals(List.of(new Result.InstanceResult(INSTANCE, null, null, null, null, "not-registered", null)), result.instances());
        assertEquals(List.of(noProfile, notOnline), result.findings());
        assertEquals(List.of(), result.actions());
    }

    @Test
    void diagnosedInstanceShowsItsPingStatus() {
        Diagnosis diagnosis = new Diagnosis(List.of(new Diagnosis.InstanceDiagnosis(INSTANCE, "Online", List.of("ssm-ping"), List.of())));

        Result result = builder.build(withInstances(state(instanceTarget(false, true), null, null, null, null), null, null, null, diagnosis));

        assertEquals("diagnosed", result.outcome());
        assertEquals("Online", result.instances().getFirst().registration());
    }

    @Test
    void profileAndDiagnosisFindingsAreMergedAfterTheEndpointFindings() {
        Finding zone = new Finding("SERVICE_ZONE_UNSUPPORTED", Severity.WARNING, "us-east-1c", "m", "f");
        Finding role = new Finding("ROLE_LACKS_SSM_PERMISSIONS", Severity.ERROR, "arn:aws:iam::123456789012:role/app", "m", "f");
        Finding dns = new Finding("CUSTOM_DNS_SERVERS", Severity.WARNING, VPC, "m", "f");
        Finding notOnline = new Finding("NOT_ONLINE", Severity.WARNING, INSTANCE, "m", "f");
        ProfileResult reported = new ProfileResult(OTHER, SUBNET, "running", "arn:aws:iam::123456789012:instance-profile/app",
                "reported", false, List.of(), List.of(role));
        Diagnosis diagnosis = new Diagnosis(List.of(new Diagnosis.InstanceDiagnosis(INSTANCE, null, List.of(), List.of(dns, notOnline))));
        WorkflowState state = withInstances(withFindings(compliant(), zone), selected(List.of(INSTANCE, OTHER)),
                List.of(associated(INSTANCE), reported), registration(new InstanceRegistration(INSTANCE, null, null, null)), diagnosis);

        Result result = builder.build(state);

        assertEquals(List.of(zone, role, dns, notOnline), result.findings());
        assertEquals(List.of(INSTANCE, OTHER), result.instances().stream().map(Result.InstanceResult::instanceId).toList(),
                "a diagnosis after the deadline adds findings, not instances");
        assertEquals(List.of("not-registered", "not-awaited"),
                result.instances().stream().map(Result.InstanceResult::registration).toList());
        assertEquals("incomplete", result.outcome());
    }

    @Test
    void profileFindingOfMetadataDisabledMakesItIncomplete() {
        Finding metadata = new Finding("METADATA_SERVICE_DISABLED", Severity.ERROR, INSTANCE, "m", "f");
        ProfileResult p = new ProfileResult(INSTANCE, SUBNET, "running", PROFILE, "existing-ok", false, List.of(), List.of(metadata));

        Result result = builder.build(withInstances(compliant(), selected(List.of(INSTANCE)), List.of(p), registration(), null));

        assertEquals(List.of(metadata), result.findings());
        assertEquals("not-awaited", result.instances().getFirst().registration());
        assertEquals("incomplete", result.outcome());
    }

    @Test
    void skippedInstancesAreListedWithTheirReason() {
        InstanceSelection selection = selected(List.of(INSTANCE),
                new InstanceSelection.Skipped(OTHER, "pending: it gets its profile when it reports running"));
        WorkflowState state = withInstances(compliant(), selection, List.of(existingOk(INSTANCE)), registration(online(INSTANCE, 10)), null);

        Result result = builder.build(state);

        assertEquals(2, result.instances().size());
        assertEquals(new Result.InstanceResult(OTHER, null, null, null, "skipped: pending: it gets its profile when it reports running",
                "not-awaited", null), result.instances().get(1));
        assertEquals("compliant", result.outcome(), "a skipped instance is not awaited");
    }

    @Test
    void instancesLeftForALaterRunAreAWarningAndTheRunIsIncomplete() {
        InstanceSelection selection = new InstanceSelection(List.of(new InstanceTarget(INSTANCE, SUBNET, "running")), List.of(), true,
                "2026-11-28T14:00:00Z", 7, 0);

        Result result = builder.build(withInstances(compliant(), selection, List.of(existingOk(INSTANCE)), registration(online(INSTANCE, 5)),
                null));

        assertEquals("incomplete", result.outcome(), "instances were left unhandled");
        Finding finding = result.findings().stream().filter(f -> f.code().equals("INSTANCES_DEFERRED")).findFirst().orElseThrow();
        assertEquals(Severity.WARNING, finding.severity());
        assertTrue(finding.message().startsWith("7 more running instances"), finding.message());
    }

    @Test
    void instanceTriggerInAnOutOfScopeSubnetWithOnlySkippedInstanceIsSkipped() {
        WorkflowState base = state(instanceTarget(false, false), classification(publicSubnet(Map.of())), null, null, null);
        InstanceSelection selection = new InstanceSelection(List.of(),
                List.of(new InstanceSelection.Skipped(INSTANCE, "its subnet is out of scope (default route to igw-0123)")), false,
                "2026-11-28T14:00:00Z");

        Result result = builder.build(withInstances(base, selection, null, null, null));

        assertEquals("skipped", result.outcome());
        assertEquals(List.of(INSTANCE), result.instances().stream().map(Result.InstanceResult::instanceId).toList());
        assertTrue(result.instances().getFirst().profileAction().startsWith("skipped: its subnet is out of scope"));
    }

    @Test
    void instanceInAnOutOfScopeSubnetThatGotAProfileIsRemediated() {
        WorkflowState base = state(instanceTarget(false, false), classification(publicSubnet(Map.of())), null, null, null);
        InstanceTarget target = new InstanceTarget(INSTANCE, PUBLIC_SUBNET, "running");
        ProfileResult p = new ProfileResult(INSTANCE, PUBLIC_SUBNET, "running", PROFILE, "associated", true, List.of(ASSOCIATE), List.of());

        Result result = builder.build(withInstances(base, new InstanceSelection(List.of(target), List.of(), true, "2026-11-28T14:00:00Z"),
                List.of(p), registration(online(INSTANCE, 42)), null));

        assertEquals("remediated", result.outcome(), "endpoints are not needed where the subnet is out of scope");
        assertEquals(42L, result.instances().getFirst().secondsToOnline());
    }

    /** An instance trigger for an instance without a public IPv4 address in a public subnet, as classified. */
    private static VpcClassification withoutPublicIpv4() {
        Finding info = new Finding("NO_PUBLIC_IPV4", Severity.INFO, INSTANCE, "no public IPv4 address", "nothing to do");
        return new VpcClassification(VPC, List.of("10.0.0.0/16"), true, List.of(publicSubnet(Map.of())),
                List.of(new InstanceTarget(INSTANCE, PUBLIC_SUBNET, "running")), Map.of("us-east-1b", PUBLIC_SUBNET), List.of(),
                Map.of(PUBLIC_SUBNET, "us-east-1b"), List.of(info));
    }

    @Test
    void instanceWithoutPublicIpv4ServedByNewEndpointsIsRemediatedAndSaysWhy() {
        WorkflowState base = state(instanceTarget(false, false), withoutPublicIpv4(), new VpcReadiness("sg-0aaaaaaaaaaaaaaa1", true,
                List.of(), List.of()), new EndpointsReport(availableEndpoints(), createdThreeInTwoZones(), List.of(), true, true), null);
        InstanceTarget target = new InstanceTarget(INSTANCE, PUBLIC_SUBNET, "running");
        ProfileResult p = new ProfileResult(INSTANCE, PUBLIC_SUBNET, "running", PROFILE, "associated", true, List.of(ASSOCIATE), List.of());

        Result result = builder.build(withInstances(base, new InstanceSelection(List.of(target), List.of(), true, "2026-11-28T14:00:00Z"),
                List.of(p), registration(online(INSTANCE, 42)), null));

        assertEquals("remediated", result.outcome());
        assertEquals("NO_PUBLIC_IPV4", result.findings().getFirst().code(), "the classification's findings come first");
        assertEquals(Severity.INFO, result.findings().getFirst().severity());
        assertEquals(6, result.endpointZonesAdded());
    }

    @Test
    void instanceWithoutPublicIpv4WithoutEndpointsIsIncomplete() {
        WorkflowState base = state(instanceTarget(false, false), withoutPublicIpv4(), null, null, null);
        InstanceTarget target = new InstanceTarget(INSTANCE, PUBLIC_SUBNET, "running");
        ProfileResult p = new ProfileResult(INSTANCE, PUBLIC_SUBNET, "running", PROFILE, "associated", true, List.of(ASSOCIATE), List.of());

        Result result = builder.build(withInstances(base, new InstanceSelection(List.of(target), List.of(), true, "2026-11-28T14:00:00Z"),
                List.of(p), registration(online(INSTANCE, 42)), null));

        assertEquals("incomplete", result.outcome(), "the endpoints it needs are not there");
    }

    @Test
    void ipv6OnlySubnetIsSkippedWithItsFinding() {
        SubnetClassification ipv6Only = new SubnetClassification(SUBNET, "us-east-1a", null, "rtb-0main", false, Route.ISOLATED, null,
                SubnetStatus.OUT_OF_SCOPE, "IPv6-only subnet: no IPv4 address, so no IPv4 path; not remediated", Map.of());
        VpcClassification classification = new VpcClassification(VPC, List.of("10.0.0.0/16"), false, List.of(ipv6Only), List.of(),
                Map.of(), List.of(), Map.of(SUBNET, "us-east-1a"), List.of(ssmreach.subnet.Reachability.ipv6OnlySubnet(SUBNET)));

        Result result = builder.build(state(target(false), classification, null, null, null));

        assertEquals("skipped", result.outcome());
        assertEquals(List.of("IPV6_ONLY_SUBNET"), result.findings().stream().map(Finding::code).toList());
    }

    @Test
    void dryRunWithAPlannedAssociationIsPlanned() {
        WorkflowState base = state(target(true), classification(isolated(Map.of())), null,
                new EndpointsReport(availableEndpoints(), List.of(), List.of(), true, true), null);
        Action planned = Action.of("AssociateIamInstanceProfile", INSTANCE, "profile " + PROFILE, true);
        ProfileResult p = new ProfileResult(INSTANCE, SUBNET, "running", PROFILE, "associated", false, List.of(planned), List.of());

        Result result = builder.build(withInstances(base, selected(List.of(INSTANCE)), List.of(p), null, null));

        assertEquals("planned", result.outcome());
        assertEquals(List.of(planned), result.actions());
        assertEquals("not-awaited", result.instances().getFirst().registration());
    }

    @Test
    void dryRunDoesNotClaimAnExistingProfileInstanceIsNotRegistered() {
        WorkflowState base = state(target(true), classification(isolated(Map.of())), null,
                new EndpointsReport(availableEndpoints(), List.of(), List.of(), true, true), null);

        Result result = builder.build(withInstances(base, selected(List.of(INSTANCE)), List.of(existingOk(INSTANCE)), null, null));

        assertEquals("planned", result.outcome());
        assertEquals("not-awaited", result.instances().getFirst().registration());
    }
}
