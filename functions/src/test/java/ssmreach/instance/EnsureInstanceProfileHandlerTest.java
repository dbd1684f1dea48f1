package ssmreach.instance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.SdkMocks.ec2Error;
import static ssmreach.instance.InstanceFixtures.FOREIGN_PROFILE;
import static ssmreach.instance.InstanceFixtures.FOREIGN_ROLE;
import static ssmreach.instance.InstanceFixtures.INSTANCE;
import static ssmreach.instance.InstanceFixtures.OUR_PROFILE;
import static ssmreach.instance.InstanceFixtures.SUBNET;
import static ssmreach.instance.InstanceFixtures.described;
import static ssmreach.instance.InstanceFixtures.instance;
import static ssmreach.instance.InstanceFixtures.profileHasRole;
import static ssmreach.instance.InstanceFixtures.role;
import static ssmreach.instance.InstanceFixtures.running;
import static ssmreach.instance.InstanceFixtures.simulationDenies;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AssociateIamInstanceProfileRequest;
import software.amazon.awssdk.services.ec2.model.AssociateIamInstanceProfileResponse;
import software.amazon.awssdk.services.ec2.model.DescribeIamInstanceProfileAssociationsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeIamInstanceProfileAssociationsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileAssociation;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileAssociationState;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AttachRolePolicyRequest;
import software.amazon.awssdk.services.iam.model.AttachRolePolicyResponse;
import software.amazon.awssdk.services.iam.model.GetInstanceProfileRequest;
import software.amazon.awssdk.services.iam.model.SimulatePrincipalPolicyRequest;
import ssmreach.SdkMocks;
import ssmreach.contract.Action;
import ssmreach.contract.Finding;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.ProfileRequest;
import ssmreach.contract.ProfileResult;
import ssmreach.contract.Severity;
import ssmreach.core.AwsFailureException;
import ssmreach.core.InvalidConfigurationException;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;
import ssmreach.core.RetryableAwsException;
import ssmreach.core.Settings;

class EnsureInstanceProfileHandlerTest {
    private static final String EXISTING_ASSOCIATION = "There is an existing association for instance " + INSTANCE;
    private static final String CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    /** Operations that would take a profile away or swap it; the handler must never send any of them. */
    private static final Set<String> TAKING_AWAY = Set.of("disassociateIamInstanceProfile", "replaceIamInstanceProfileAssociation",
            "removeRoleFromInstanceProfile", "detachRolePolicy", "deleteInstanceProfile", "deleteRolePolicy");

    private final Ec2Client ec2 = SdkMocks.ec2();
    private final IamClient iam = SdkMocks.iam();

    @AfterEach
    void neverTakesAProfileAway() {
        List<String> sent = new java.util.ArrayList<>(SdkMocks.operations(ec2));
        sent.addAll(SdkMocks.operations(iam));
        assertTrue(sent.stream().noneMatch(TAKING_AWAY::contains), sent.toString());
    }

    private EnsureInstanceProfileHandler handler(Map<String, String> settings) {
        return new EnsureInstanceProfileHandler(InstanceFixtures.settings(settings), ec2, iam);
    }

    private static ProfileRequest request(boolean dryRun) {
        return new ProfileRequest(new InstanceTarget(INSTANCE, SUBNET, "running"), dryRun);
    }

    private void associateSucceeds() {
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenAnswer(i -> AssociateIamInstanceProfileResponse.builder().iamInstanceProfileAssociation(a -> a
                        .associationId("iip-assoc-0123456789abcdef0").instanceId(INSTANCE)
                        .iamInstanceProfile(p -> p.arn(OUR_PROFILE)).state(IamInstanceProfileAssociationState.ASSOCIATING)).build());
    }

    private void associationsRead(String... profileArns) {
        when(ec2.describeIamInstanceProfileAssociations(any(DescribeIamInstanceProfileAssociationsRequest.class)))
                .thenReturn(DescribeIamInstanceProfileAssociationsResponse.builder().iamInstanceProfileAssociations(
                        java.util.Arrays.stream(profileArns).map(arn -> IamInstanceProfileAssociation.builder()
                                .associationId("iip-assoc-0fedcba9876543210").instanceId(INSTANCE)
                                .iamInstanceProfile(p -> p.arn(arn)).state(IamInstanceProfileAssociationState.ASSOCIATED).build())
                                .toList()).build());
    }

    // ---------------------------------------------------------------- no profile yet

    @Test
    void instanceWithoutProfileGetsTheStacksProfile() {
        described(ec2, running(null));
        associateSucceeds();

        ProfileResult result = handler(Map.of()).handle(request(false));

        ArgumentCaptor<AssociateIamInstanceProfileRequest> sent = ArgumentCaptor.forClass(AssociateIamInstanceProfileRequest.class);
        verify(ec2).associateIamInstanceProfile(sent.capture());
        assertEquals(INSTANCE, sent.getValue().instanceId());
        assertEquals(OUR_PROFILE, sent.getValue().iamInstanceProfile().arn());
        assertEquals("associated", result.profileAction());
        assertEquals(OUR_PROFILE, result.profileArn());
        assertTrue(result.registrationExpected());
        assertEquals(List.of(Action.of("AssociateIamInstanceProfile", INSTANCE, "profile " + OUR_PROFILE, false)), result.actions());
        assertEquals(List.of(), result.findings());
        assertEquals(List.of("describeInstances", "associateIamInstanceProfile"), SdkMocks.operations(ec2));
        verifyNoInteractions(iam);
    }

    @Test
    void instanceIsReadByIdFilterSoThatAMissingOneIsNoError() {
        described(ec2, running(null));
        associateSucceeds();

        handler(Map.of()).handle(request(false));

        ArgumentCaptor<DescribeInstancesRequest> read = ArgumentCaptor.forClass(DescribeInstancesRequest.class);
        verify(ec2).describeInstances(read.capture());
        assertEquals(List.of(Filter.builder().name("instance-id").values(INSTANCE).build()), read.getValue().filters());
        assertTrue(read.getValue().instanceIds().isEmpty());
    }

    @Test
    void dryRunOnlyReadsAndPlansTheAssociation() {
        described(ec2, running(null));

        ProfileResult result = handler(Map.of()).handle(request(true));

        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
        verifyNoInteractions(iam);
        assertEquals(List.of(Action.of("AssociateIamInstanceProfile", INSTANCE, "profile " + OUR_PROFILE, true)), result.actions());
        assertTrue(result.actions().getFirst().planned());
        assertFalse(result.registrationExpected(), "nothing to wait for in a dry run");
    }

    @Test
    void existingAssociationRaceRereadsAndChecksThatProfilesRole() {
        described(ec2, running(null));
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenThrow(ec2Error("IncorrectState", EXISTING_ASSOCIATION));
        associationsRead(FOREIGN_PROFILE);
        profileHasRole(iam, FOREIGN_PROFILE, role(FOREIGN_ROLE));
        simulationDenies(iam);

        ProfileResult result = handler(Map.of()).handle(request(false));

        ArgumentCaptor<DescribeIamInstanceProfileAssociationsRequest> reread =
                ArgumentCaptor.forClass(DescribeIamInstanceProfileAssociationsRequest.class);
        verify(ec2).describeIamInstanceProfileAssociations(reread.capture());
        assertEquals(List.of(Filter.builder().name("instance-id").values(INSTANCE).build(),
                Filter.builder().name("state").values("associating", "associated").build()), reread.getValue().filters());
        ArgumentCaptor<GetInstanceProfileRequest> profileRead = ArgumentCaptor.forClass(GetInstanceProfileRequest.class);
        verify(iam).getInstanceProfile(profileRead.capture());
        assertEquals("app-server", profileRead.getValue().instanceProfileName(), "the name, without the path");
        verify(iam).simulatePrincipalPolicy(any(SimulatePrincipalPolicyRequest.class));
        assertEquals("existing-ok", result.profileAction());
        assertEquals(FOREIGN_PROFILE, result.profileArn());
        assertEquals(List.of(), result.actions(), "someone else associated it: nothing was done here");
        assertTrue(result.registrationExpected());
    }

    @Test
    void existingAssociationRaceWithARoleLackingPermissionsIsReported() {
        described(ec2, running(null));
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenThrow(ec2Error("IncorrectState", EXISTING_ASSOCIATION));
        associationsRead(FOREIGN_PROFILE);
        profileHasRole(iam, FOREIGN_PROFILE, role(FOREIGN_ROLE));
        simulationDenies(iam, "ssm:UpdateInstanceInformation");

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("reported", result.profileAction());
        assertEquals(List.of("ROLE_LACKS_SSM_PERMISSIONS"), result.findings().stream().map(Finding::code).toList());
        assertFalse(result.registrationExpected());
    }

    @Test
    void existingAssociationOfTheStacksProfileByAConcurrentExecutionIsOk() {
        described(ec2, running(null));
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenThrow(ec2Error("IncorrectState", EXISTING_ASSOCIATION));
        associationsRead(OUR_PROFILE);

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("existing-ok", result.profileAction());
        assertEquals(OUR_PROFILE, result.profileArn());
        assertEquals(List.of(), result.actions());
        assertTrue(result.registrationExpected());
        verifyNoInteractions(iam);
    }

    @Test
    void existingAssociationNotVisibleYetIsRetryable() {
        described(ec2, running(null));
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenThrow(ec2Error("IncorrectState", EXISTING_ASSOCIATION));
        associationsRead();

        assertThrows(RetryableAwsException.class, () -> handler(Map.of()).handle(request(false)));
    }

    @Test
    void otherAssociateErrorSurfacesWithItsCode() {
        described(ec2, running(null));
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenThrow(ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation."));

        Ec2Exception e = assertThrows(Ec2Exception.class, () -> handler(Map.of()).handle(request(false)));

        assertEquals("UnauthorizedOperation", e.awsErrorDetails().errorCode());
        verify(ec2, never()).describeIamInstanceProfileAssociations(any(DescribeIamInstanceProfileAssociationsRequest.class));
    }

    @Test
    void otherAssociateErrorLeavesTheFunctionAsAwsFailure() {
        described(ec2, running(null));
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenThrow(ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation."));
        byte[] input = ("{\"instance\": {\"instanceId\": \"" + INSTANCE + "\", \"subnetId\": \"" + SUBNET
                + "\", \"state\": \"running\"}, \"dryRun\": false}").getBytes(StandardCharsets.UTF_8);

        AwsFailureException e = assertThrows(AwsFailureException.class,
                () -> handler(Map.of()).handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null));

        assertTrue(e.getMessage().contains("UnauthorizedOperation"), e.getMessage());
    }

    @Test
    void instanceTerminatedBeforeTheAssociationIsGone() {
        described(ec2, running(null));
        when(ec2.associateIamInstanceProfile(any(AssociateIamInstanceProfileRequest.class)))
                .thenThrow(ec2Error("InvalidInstanceID.NotFound", "The instance ID '" + INSTANCE + "' does not exist"));

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("gone", result.profileAction());
        assertFalse(result.registrationExpected());
    }

    // ---------------------------------------------------------------- a profile already

    @Test
    void stacksOwnProfileIsOkWithoutAskingIam() {
        described(ec2, running(OUR_PROFILE));

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("existing-ok", result.profileAction());
        assertEquals(OUR_PROFILE, result.profileArn());
        assertTrue(result.registrationExpected());
        assertEquals(List.of(), result.actions());
        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
        verifyNoInteractions(iam);
    }

    @Test
    void foreignProfileWhoseRoleAllowsEverythingIsLeftAsItIs() {
        described(ec2, running(FOREIGN_PROFILE));
        profileHasRole(iam, FOREIGN_PROFILE, role(FOREIGN_ROLE));
        simulationDenies(iam);

        ProfileResult result = handler(Map.of("EXISTING_PROFILE", "attach-policy")).handle(request(false));

        assertEquals("existing-ok", result.profileAction());
        assertEquals(FOREIGN_PROFILE, result.profileArn());
        assertTrue(result.registrationExpected());
        assertEquals(List.of(), result.actions());
        assertEquals(List.of(), result.findings());
        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
        assertEquals(List.of("getInstanceProfile", "simulatePrincipalPolicy"), SdkMocks.operations(iam));
    }

    @Test
    void roleIsAskedForExactlyTheAgentsActions() {
        described(ec2, running(FOREIGN_PROFILE));
        profileHasRole(iam, FOREIGN_PROFILE, role(FOREIGN_ROLE));
        simulationDenies(iam);

        handler(Map.of()).handle(request(false));

        ArgumentCaptor<SimulatePrincipalPolicyRequest> asked = ArgumentCaptor.forClass(SimulatePrincipalPolicyRequest.class);
        verify(iam).simulatePrincipalPolicy(asked.capture());
        assertEquals(FOREIGN_ROLE, asked.getValue().policySourceArn());
        assertEquals(AgentPermissions.REQUIRED, asked.getValue().actionNames());
    }

    @Test
    void foreignRoleLackingActionsIsReportedByDefault() {
        described(ec2, running(FOREIGN_PROFILE));
        profileHasRole(iam, FOREIGN_PROFILE, role(FOREIGN_ROLE));
        simulationDenies(iam, "ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel");

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("reported", result.profileAction());
        assertFalse(result.registrationExpected());
        assertEquals(List.of(), result.actions());
        assertEquals(1, result.findings().size());
        Finding finding = result.findings().getFirst();
        assertEquals("ROLE_LACKS_SSM_PERMISSIONS", finding.code());
        assertEquals(Severity.ERROR, finding.severity());
        assertEquals(FOREIGN_ROLE, finding.resource());
        assertTrue(finding.message().contains("ssm:UpdateInstanceInformation"), finding.message());
        assertTrue(finding.message().contains("ssmmessages:CreateControlChannel"), finding.message());
        assertFalse(finding.message().contains("ec2messages:GetMessages"), "allowed actions are not named: " + finding.message());
        assertTrue(finding.fix().contains("app-server-role") && finding.fix().contains(CORE_POLICY), finding.fix());
        verify(iam, never()).attachRolePolicy(any(AttachRolePolicyRequest.class));
        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
    }

    @Test
    void attachPolicySettingAddsTheManagedPolicyToThatRoleAndNothingElse() {
        described(ec2, running(FOREIGN_PROFILE));
        profileHasRole(iam, FOREIGN_PROFILE, role(FOREIGN_ROLE));
        simulationDenies(iam, "ec2messages:GetMessages");
        when(iam.attachRolePolicy(any(AttachRolePolicyRequest.class))).thenReturn(AttachRolePolicyResponse.builder().build());

        ProfileResult result = handler(Map.of("EXISTING_PROFILE", "attach-policy")).handle(request(false));

        ArgumentCaptor<AttachRolePolicyRequest> attached = ArgumentCaptor.forClass(AttachRolePolicyRequest.class);
        verify(iam).getInstanceProfile(any(GetInstanceProfileRequest.class));
        verify(iam).simulatePrincipalPolicy(any(SimulatePrincipalPolicyRequest.class));
        verify(iam).attachRolePolicy(attached.capture());
        verifyNoMoreInteractions(iam);
        verify(ec2).describeInstances(any(DescribeInstancesRequest.class));
        verifyNoMoreInteractions(ec2);
        assertEquals("app-server-role", attached.getValue().roleName());
        assertEquals(CORE_POLICY, attached.getValue().policyArn());
        assertEquals("policy-attached", result.profileAction());
        assertEquals(FOREIGN_PROFILE, result.profileArn(), "the instance keeps its own profile");
        assertTrue(result.registrationExpected());
        assertEquals(1, result.actions().size());
        Action action = result.actions().getFirst();
        assertEquals("AttachRolePolicy", action.operation());
        assertEquals(FOREIGN_ROLE, action.resource());
        assertFalse(action.planned());
        assertTrue(action.detail().contains("ec2messages:GetMessages"), action.detail());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "aws, arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "aws-cn, arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "aws-us-gov, arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore"})
    void managedPolicyIsTakenFromTheRolesPartition(String partition, String expectedPolicy) {
        String profile = "arn:" + partition + ":iam::123456789012:instance-profile/app-server";
        String roleArn = "arn:" + partition + ":iam::123456789012:role/app-server-role";
        described(ec2, running(profile));
        profileHasRole(iam, profile, role(roleArn));
        simulationDenies(iam, "ssm:GetDocument");
        when(iam.attachRolePolicy(any(AttachRolePolicyRequest.class))).thenReturn(AttachRolePolicyResponse.builder().build());
        Map<String, String> env = Map.of("EXISTING_PROFILE", "attach-policy", "AWS_REGION", partition.equals("aws-cn") ? "cn-north-1"
                : partition.equals("aws-us-gov") ? "us-gov-west-1" : "us-east-1",
                "INSTANCE_PROFILE_ARN", "arn:" + partition + ":iam::123456789012:instance-profile/ssm-reach-SsmInstanceProfile-X");

        handler(env).handle(request(false));

        ArgumentCaptor<AttachRolePolicyRequest> attached = ArgumentCaptor.forClass(AttachRolePolicyRequest.class);
        verify(iam).attachRolePolicy(attached.capture());
        assertEquals(expectedPolicy, attached.getValue().policyArn());
        assertEquals(expectedPolicy, AgentPermissions.managedPolicyArn(roleArn));
    }

    @Test
    void attachPolicyInADryRunIsOnlyPlanned() {
        described(ec2, running(FOREIGN_PROFILE));
        profileHasRole(iam, FOREIGN_PROFILE, role(FOREIGN_ROLE));
        simulationDenies(iam, "ssm:UpdateInstanceInformation");

        ProfileResult result = handler(Map.of("EXISTING_PROFILE", "attach-policy")).handle(request(true));

        verify(iam, never()).attachRolePolicy(any(AttachRolePolicyRequest.class));
        assertEquals("policy-attached", result.profileAction());
        assertTrue(result.actions().getFirst().planned());
        assertFalse(result.registrationExpected());
    }

    @Test
    void profileWithoutRoleIsAFinding() {
        described(ec2, running(FOREIGN_PROFILE));
        profileHasRole(iam, FOREIGN_PROFILE, null);

        ProfileResult result = handler(Map.of("EXISTING_PROFILE", "attach-policy")).handle(request(false));

        assertEquals("reported", result.profileAction());
        assertFalse(result.registrationExpected());
        assertEquals(1, result.findings().size());
        Finding finding = result.findings().getFirst();
        assertEquals("PROFILE_WITHOUT_ROLE", finding.code());
        assertEquals(Severity.ERROR, finding.severity());
        assertEquals(FOREIGN_PROFILE, finding.resource());
        assertEquals(List.of("getInstanceProfile"), SdkMocks.operations(iam), "no role to simulate, nothing to attach to");
    }

    @Test
    void profileDeletedWhileAssociatedIsAFindingNotAFailure() {
        described(ec2, running(FOREIGN_PROFILE));
        when(iam.getInstanceProfile(any(software.amazon.awssdk.services.iam.model.GetInstanceProfileRequest.class)))
                .thenThrow(software.amazon.awssdk.services.iam.model.NoSuchEntityException.builder()
                        .message("Instance Profile app-profile cannot be found.").statusCode(404).build());

        ProfileResult result = handler(Map.of("EXISTING_PROFILE", "attach-policy")).handle(request(false));

        assertEquals("reported", result.profileAction());
        assertFalse(result.registrationExpected());
        assertEquals(List.of("PROFILE_NOT_FOUND"), result.findings().stream().map(Finding::code).toList());
        assertEquals(FOREIGN_PROFILE, result.findings().getFirst().resource());
        assertEquals(List.of("getInstanceProfile"), SdkMocks.operations(iam), "nothing attached, nothing replaced");
        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
    }

    // ---------------------------------------------------------------- state and metadata

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pending", "stopping", "stopped", "shutting-down", "terminated"})
    void instanceNotRunningGetsNoProfile(String state) {
        described(ec2, instance(INSTANCE, SUBNET, state).build());

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("not-running", result.profileAction());
        assertEquals(state, result.state());
        assertFalse(result.registrationExpected());
        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
        verifyNoInteractions(iam);
    }

    @Test
    void instanceGoneIsGone() {
        described(ec2);

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals(new ProfileResult(INSTANCE, SUBNET, "gone", null, "gone", false, List.of(), List.of()), result);
        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
        verifyNoInteractions(iam);
    }

    @Test
    void metadataServiceDisabledIsAFindingAndNothingToWaitFor() {
        described(ec2, running(null).toBuilder().metadataOptions(m -> m.httpEndpoint(InstanceMetadataEndpointState.DISABLED)).build());
        associateSucceeds();

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("associated", result.profileAction(), "the profile is still given: it works once metadata is on");
        assertFalse(result.registrationExpected());
        assertEquals(1, result.findings().size());
        Finding finding = result.findings().getFirst();
        assertEquals("METADATA_SERVICE_DISABLED", finding.code());
        assertEquals(Severity.ERROR, finding.severity());
        assertEquals(INSTANCE, finding.resource());
        assertTrue(finding.fix().contains("--http-endpoint enabled"), finding.fix());
    }

    @Test
    void metadataServiceDisabledWithTheStacksProfileIsNotAwaitedEither() {
        described(ec2, running(OUR_PROFILE).toBuilder().metadataOptions(m -> m.httpEndpoint(InstanceMetadataEndpointState.DISABLED)).build());

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertEquals("existing-ok", result.profileAction());
        assertFalse(result.registrationExpected());
        assertEquals(List.of("METADATA_SERVICE_DISABLED"), result.findings().stream().map(Finding::code).toList());
    }

    @Test
    void instanceWithoutMetadataOptionsCountsAsMetadataOn() {
        described(ec2, running(OUR_PROFILE).toBuilder().metadataOptions((software.amazon.awssdk.services.ec2.model.InstanceMetadataOptionsResponse) null).build());

        ProfileResult result = handler(Map.of()).handle(request(false));

        assertTrue(result.registrationExpected());
        assertEquals(List.of(), result.findings());
    }

    // ---------------------------------------------------------------- bad configuration and input

    @ParameterizedTest(name = "INSTANCE_PROFILE_ARN ''{0}''")
    @ValueSource(strings = {"", "arn:aws:iam::123456789012:role/not-a-profile", "ssm-reach-SsmInstanceProfile",
            "arn:aws:iam::12345:instance-profile/short-account"})
    void missingOrInvalidProfileSettingFailsBeforeAnyMutation(String value) {
        described(ec2, running(null));
        Settings settings = InstanceFixtures.settings(Map.of("INSTANCE_PROFILE_ARN", value));
        EnsureInstanceProfileHandler handler = new EnsureInstanceProfileHandler(settings, ec2, iam);

        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, () -> handler.handle(request(false)));

        assertTrue(e.getMessage().contains("INSTANCE_PROFILE_ARN"), e.getMessage());
        assertEquals(List.of("describeInstances"), SdkMocks.operations(ec2));
        verifyNoInteractions(iam);
    }

    @Test
    void missingProfileSettingFailsBeforeAttachingAPolicy() {
        described(ec2, running(FOREIGN_PROFILE));
        Settings settings = InstanceFixtures.settings(Map.of("INSTANCE_PROFILE_ARN", "", "EXISTING_PROFILE", "attach-policy"));

        assertThrows(InvalidConfigurationException.class,
                () -> new EnsureInstanceProfileHandler(settings, ec2, iam).handle(request(false)));

        verify(iam, never()).attachRolePolicy(any(AttachRolePolicyRequest.class));
    }

    @Test
    void requestWithoutInstanceIsInvalidAndReadsNothing() {
        assertThrows(InvalidInputException.class, () -> handler(Map.of()).handle(new ProfileRequest(null, false)));
        assertThrows(InvalidInputException.class,
                () -> handler(Map.of()).handle(new ProfileRequest(new InstanceTarget(null, SUBNET, "running"), false)));

        verifyNoInteractions(ec2, iam);
    }

    @Test
    void resultDocumentCarriesWhatTheWorkflowReads() throws Exception {
        described(ec2, running(null));
        associateSucceeds();
        byte[] input = ("{\"instance\": {\"instanceId\": \"" + INSTANCE + "\", \"subnetId\": \"" + SUBNET
                + "\", \"state\": \"running\"}, \"dryRun\": false}").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler(Map.of()).handleRequest(new ByteArrayInputStream(input), out, null);

        var json = Json.MAPPER.readTree(out.toByteArray());
        assertEquals(INSTANCE, json.get("instanceId").asText());
        assertEquals("associated", json.get("profileAction").asText());
        assertTrue(json.get("registrationExpected").asBoolean());
        assertEquals("AssociateIamInstanceProfile", json.at("/actions/0/operation").asText());
        assertNull(json.get("error"));
    }
}
