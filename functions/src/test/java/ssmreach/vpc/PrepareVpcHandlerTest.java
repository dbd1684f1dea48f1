package ssmreach.vpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.SdkMocks.ec2Error;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AttributeBooleanValue;
import software.amazon.awssdk.services.ec2.model.AuthorizeSecurityGroupIngressRequest;
import software.amazon.awssdk.services.ec2.model.AuthorizeSecurityGroupIngressResponse;
import software.amazon.awssdk.services.ec2.model.CreateSecurityGroupRequest;
import software.amazon.awssdk.services.ec2.model.CreateSecurityGroupResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVpcAttributeRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcAttributeResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.Ipv6Range;
import software.amazon.awssdk.services.ec2.model.ModifyVpcAttributeRequest;
import software.amazon.awssdk.services.ec2.model.ModifyVpcAttributeResponse;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import ssmreach.SdkMocks;
import ssmreach.contract.Action;
import ssmreach.contract.Finding;
import ssmreach.contract.Route;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.contract.VpcReadiness;
import ssmreach.contract.VpcRequest;
import ssmreach.core.AwsFailureException;
import ssmreach.core.EarlierRun;
import ssmreach.core.InvalidInputException;
import ssmreach.core.Json;
import ssmreach.core.ResourceGoneException;
import ssmreach.core.RetryableAwsException;
import ssmreach.TestInputs;
import ssmreach.core.Settings;

class PrepareVpcHandlerTest {
    private static final String VPC = "vpc-0a1b2c3d4e5f60718";
    private static final String GROUP_ID = "sg-0aaaaaaaaaaaaaaa1";
    private static final List<String> CIDRS = List.of("10.0.0.0/16", "10.1.0.0/16", "2600:1f18:abc:de00::/56");
    /** Operations that would take something away; the handler must never send any of them. */
    private static final Set<String> TAKING_AWAY = Set.of("revokeSecurityGroupIngress", "revokeSecurityGroupEgress",
            "deleteSecurityGroup", "modifySecurityGroupRules", "deleteVpcEndpoints", "deleteTags");

    private final Ec2Client ec2 = SdkMocks.ec2();

    @AfterEach
    void neverTakesAnythingAway() {
        List<String> sent = SdkMocks.operations(ec2);
        assertTrue(sent.stream().noneMatch(TAKING_AWAY::contains), sent.toString());
    }

    private static Settings settings(Map<String, String> extra) {
        return TestInputs.settings(extra);
    }

    private PrepareVpcHandler handler(Map<String, String> settings) {
        return new PrepareVpcHandler(settings(settings), ec2);
    }

    private PrepareVpcHandler handler() {
        return handler(Map.of());
    }

    private void dns(boolean support, boolean hostnames) {
        when(ec2.describeVpcAttribute(any(DescribeVpcAttributeRequest.class))).thenAnswer(i -> {
            DescribeVpcAttributeRequest r = i.getArgument(0);
            DescribeVpcAttributeResponse.Builder answer = DescribeVpcAttributeResponse.builder().vpcId(VPC);
            return r.attribute() == VpcAttributeName.ENABLE_DNS_SUPPORT
                    ? answer.enableDnsSupport(AttributeBooleanValue.builder().value(support).build()).build()
                    : answer.enableDnsHostnames(AttributeBooleanValue.builder().value(hostnames).build()).build();
        });
    }

    /** What each successive read of the managed group finds. */
    @SafeVarargs
    private void groupReads(List<SecurityGroup>... reads) {
        DescribeSecurityGroupsResponse[] answers = Arrays.stream(reads)
                .map(r -> DescribeSecurityGroupsResponse.builder().securityGroups(r).build()).toArray(DescribeSecurityGroupsResponse[]::new);
        when(ec2.describeSecurityGroups(any(DescribeSecurityGroupsRequest.class)))
                .thenReturn(answers[0], Arrays.copyOfRange(answers, 1, answers.length));
    }

    private static SecurityGroup managedGroup(IpPermission... ingress) {
        return SecurityGroup.builder().groupId(GROUP_ID).groupName(PrepareVpcHandler.GROUP_NAME).vpcId(VPC)
                .tags(Tag.builder().key(PrepareVpcHandler.MANAGED_TAG).value("true").build()).ipPermissions(ingress).build();
    }

    private static IpPermission https(String cidr) {
        return range(IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443), cidr);
    }

    private static IpPermission range(IpPermission.Builder p, String cidr) {
        return (cidr.contains(":") ? p.ipv6Ranges(Ipv6Range.builder().cidrIpv6(cidr).build())
                : p.ipRanges(IpRange.builder().cidrIp(cidr).build())).build();
    }

    private static SecurityGroup completeGroup() {
        return managedGroup(CIDRS.stream().map(PrepareVpcHandlerTest::https).toArray(IpPermission[]::new));
    }

    private void authorizeSucceeds() {
        when(ec2.authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class)))
                .thenReturn(AuthorizeSecurityGroupIngressResponse.builder().returnValue(true).build());
    }

    /** No managed group yet: it is created, then read back without rules, which are added. */
    private void groupMissingThenCreated() {
        groupReads(List.of(), List.of(managedGroup()));
        when(ec2.createSecurityGroup(any(CreateSecurityGroupRequest.class)))
                .thenReturn(CreateSecurityGroupResponse.builder().groupId(GROUP_ID).build());
        authorizeSucceeds();
    }

    private static String cidrOf(AuthorizeSecurityGroupIngressRequest r) {
        IpPermission p = r.ipPermissions().getFirst();
        return p.hasIpRanges() ? p.ipRanges().getFirst().cidrIp() : p.ipv6Ranges().getFirst().cidrIpv6();
    }

    private static List<String> operations(List<Action> actions) {
        return actions.stream().map(Action::operation).toList();
    }

    private static VpcRequest request(boolean dryRun) {
        return new VpcRequest(VPC, CIDRS, dryRun);
    }

    // ---------------------------------------------------------------- DNS attributes

    @Test
    void dnsAttributesOffAreTurnedOnSupportFirst() {
        dns(false, false);
        groupReads(List.of(completeGroup()));
        when(ec2.modifyVpcAttribute(any(ModifyVpcAttributeRequest.class))).thenReturn(ModifyVpcAttributeResponse.builder().build());

        VpcReadiness readiness = handler().handle(request(false));

        ArgumentCaptor<ModifyVpcAttributeRequest> captor = ArgumentCaptor.forClass(ModifyVpcAttributeRequest.class);
        verify(ec2, times(2)).modifyVpcAttribute(captor.capture());
        ModifyVpcAttributeRequest first = captor.getAllValues().get(0);
        ModifyVpcAttributeRequest second = captor.getAllValues().get(1);
        assertEquals(VPC, first.vpcId());
        assertEquals(Boolean.TRUE, first.enableDnsSupport().value());
        assertNull(first.enableDnsHostnames(), "one attribute per call");
        assertEquals(Boolean.TRUE, second.enableDnsHostnames().value());
        assertNull(second.enableDnsSupport());
        assertTrue(readiness.dnsReady());
        assertEquals(List.of("ModifyVpcAttribute", "ModifyVpcAttribute"), operations(readiness.actions()));
        assertTrue(readiness.actions().stream().noneMatch(Action::planned));
        verify(ec2, times(2)).describeVpcAttribute(any(DescribeVpcAttributeRequest.class));
        verify(ec2).describeSecurityGroups(any(DescribeSecurityGroupsRequest.class));
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void dnsAttributesOnAreLeftAlone() {
        dns(true, true);
        groupReads(List.of(completeGroup()));

        VpcReadiness readiness = handler().handle(request(false));

        assertTrue(readiness.dnsReady());
        assertEquals(List.of(), readiness.actions());
        assertEquals(List.of(), readiness.findings());
        assertEquals(GROUP_ID, readiness.securityGroupId());
        verify(ec2, never()).modifyVpcAttribute(any(ModifyVpcAttributeRequest.class));
    }

    @Test
    void reportModeGivesAFindingAndChangesNothing() {
        dns(true, false);
        groupReads(List.of(completeGroup()));

        VpcReadiness readiness = handler(Map.of("DNS_ATTRIBUTES", "report")).handle(request(false));

        assertFalse(readiness.dnsReady());
        assertEquals(1, readiness.findings().size());
        Finding finding = readiness.findings().getFirst();
        assertEquals("VPC_DNS_ATTRIBUTE_OFF", finding.code());
        assertEquals(VPC, finding.resource());
        assertTrue(finding.fix().contains("--enable-dns-hostnames"), finding.fix());
        verify(ec2, never()).modifyVpcAttribute(any(ModifyVpcAttributeRequest.class));
    }

    @Test
    void reportModeReportsBothAttributes() {
        dns(false, false);
        groupReads(List.of(completeGroup()));

        VpcReadiness readiness = handler(Map.of("DNS_ATTRIBUTES", "report")).handle(request(false));

        assertEquals(2, readiness.findings().size());
        assertTrue(readiness.findings().getFirst().fix().contains("--enable-dns-support"), readiness.findings().getFirst().fix());
        verify(ec2, never()).modifyVpcAttribute(any(ModifyVpcAttributeRequest.class));
    }

    @Test
    void dryRunPlansTheDnsChangeWithoutMakingIt() {
        dns(false, true);
        groupReads(List.of(completeGroup()));

        VpcReadiness readiness = handler().handle(request(true));

        assertTrue(readiness.dnsReady());
        assertEquals(List.of("ModifyVpcAttribute"), operations(readiness.actions()));
        assertTrue(readiness.actions().getFirst().planned());
        verify(ec2, never()).modifyVpcAttribute(any(ModifyVpcAttributeRequest.class));
    }

    // ---------------------------------------------------------------- managed security group

    @Test
    void missingGroupIsCreatedTaggedThenAdmitsTcp443FromEachCidr() {
        dns(true, true);
        groupMissingThenCreated();

        VpcReadiness readiness = handler().handle(request(false));

        assertEquals(GROUP_ID, readiness.securityGroupId());
        ArgumentCaptor<CreateSecurityGroupRequest> created = ArgumentCaptor.forClass(CreateSecurityGroupRequest.class);
        verify(ec2).createSecurityGroup(created.capture());
        CreateSecurityGroupRequest create = created.getValue();
        assertEquals(VPC, create.vpcId());
        assertEquals(PrepareVpcHandler.GROUP_NAME, create.groupName());
        assertFalse(create.description().isBlank());
        assertFalse(Boolean.TRUE.equals(create.dryRun()));
        assertEquals(ResourceType.SECURITY_GROUP, create.tagSpecifications().getFirst().resourceType());
        assertEquals(Map.of("Name", PrepareVpcHandler.GROUP_NAME, "ssm-reach:managed", "true"),
                create.tagSpecifications().getFirst().tags().stream().collect(Collectors.toMap(Tag::key, Tag::value)));

        ArgumentCaptor<AuthorizeSecurityGroupIngressRequest> rules = ArgumentCaptor.forClass(AuthorizeSecurityGroupIngressRequest.class);
        verify(ec2, times(3)).authorizeSecurityGroupIngress(rules.capture());
        for (AuthorizeSecurityGroupIngressRequest rule : rules.getAllValues()) {
            assertEquals(GROUP_ID, rule.groupId());
            assertEquals(1, rule.ipPermissions().size());
            IpPermission p = rule.ipPermissions().getFirst();
            assertEquals("tcp", p.ipProtocol());
            assertEquals(443, p.fromPort());
            assertEquals(443, p.toPort());
            assertEquals(1, p.ipRanges().size() + p.ipv6Ranges().size(), "one source per rule");
            assertFalse(p.hasUserIdGroupPairs() || p.hasPrefixListIds());
            assertFalse(Boolean.TRUE.equals(rule.dryRun()));
        }
        assertEquals(CIDRS, rules.getAllValues().stream().map(PrepareVpcHandlerTest::cidrOf).toList());
        assertTrue(rules.getAllValues().get(2).ipPermissions().getFirst().hasIpv6Ranges(), "the IPv6 block as an IPv6 range");

        assertEquals(List.of("CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupIngress"), operations(readiness.actions()));
        assertEquals(GROUP_ID, readiness.actions().getFirst().resource());
        verify(ec2, times(2)).describeVpcAttribute(any(DescribeVpcAttributeRequest.class));
        verify(ec2, times(2)).describeSecurityGroups(any(DescribeSecurityGroupsRequest.class));
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void groupIsFoundByVpcNameAndTag() {
        dns(true, true);
        groupReads(List.of(completeGroup()));

        handler().handle(request(false));

        ArgumentCaptor<DescribeSecurityGroupsRequest> captor = ArgumentCaptor.forClass(DescribeSecurityGroupsRequest.class);
        verify(ec2).describeSecurityGroups(captor.capture());
        assertEquals(Set.of(Filter.builder().name("vpc-id").values(VPC).build(),
                        Filter.builder().name("group-name").values(PrepareVpcHandler.GROUP_NAME).build(),
                        Filter.builder().name("tag:ssm-reach:managed").values("true").build()),
                Set.copyOf(captor.getValue().filters()));
    }

    @Test
    void existingGroupGetsOnlyTheMissingRules() {
        dns(true, true);
        IpPermission wideTcp = range(IpPermission.builder().ipProtocol("tcp").fromPort(0).toPort(65535), "10.1.0.0/16");
        groupReads(List.of(managedGroup(https("10.0.0.0/16"), https("2600:1f18:abc:de00::/56"), wideTcp)));
        authorizeSucceeds();

        VpcReadiness readiness = handler().handle(request(false));

        ArgumentCaptor<AuthorizeSecurityGroupIngressRequest> rules = ArgumentCaptor.forClass(AuthorizeSecurityGroupIngressRequest.class);
        verify(ec2).authorizeSecurityGroupIngress(rules.capture());
        assertEquals("10.1.0.0/16", cidrOf(rules.getValue()));
        assertEquals(List.of("AuthorizeSecurityGroupIngress"), operations(readiness.actions()));
        verify(ec2, never()).createSecurityGroup(any(CreateSecurityGroupRequest.class));
        verify(ec2, times(2)).describeVpcAttribute(any(DescribeVpcAttributeRequest.class));
        verify(ec2).describeSecurityGroups(any(DescribeSecurityGroupsRequest.class));
        verifyNoMoreInteractions(ec2);
    }

    @Test
    void completeGroupIsLeftAsItIs() {
        dns(true, true);
        groupReads(List.of(completeGroup()));

        VpcReadiness readiness = handler().handle(request(false));

        assertEquals(List.of(), readiness.actions());
        verify(ec2, never()).authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class));
    }

    @Test
    void groupCreatedMeanwhileIsReadAgainAndUsed() {
        dns(true, true);
        groupReads(List.of(), List.of(managedGroup(https("10.0.0.0/16"))));
        when(ec2.createSecurityGroup(any(CreateSecurityGroupRequest.class)))
                .thenThrow(ec2Error("InvalidGroup.Duplicate", "The security group 'ssm-reach-endpoints' already exists for VPC '" + VPC + "'"));
        authorizeSucceeds();

        VpcReadiness readiness = handler().handle(request(false));

        assertEquals(GROUP_ID, readiness.securityGroupId());
        assertFalse(operations(readiness.actions()).contains("CreateSecurityGroup"));
        ArgumentCaptor<AuthorizeSecurityGroupIngressRequest> rules = ArgumentCaptor.forClass(AuthorizeSecurityGroupIngressRequest.class);
        verify(ec2, times(2)).authorizeSecurityGroupIngress(rules.capture());
        assertEquals(List.of("10.1.0.0/16", "2600:1f18:abc:de00::/56"), rules.getAllValues().stream().map(PrepareVpcHandlerTest::cidrOf).toList());
        verify(ec2, times(2)).describeSecurityGroups(any(DescribeSecurityGroupsRequest.class));
    }

    @Test
    void groupNotVisibleAfterCreationIsRetryable() {
        dns(true, true);
        groupReads(List.of(), List.of());
        when(ec2.createSecurityGroup(any(CreateSecurityGroupRequest.class)))
                .thenThrow(ec2Error("InvalidGroup.Duplicate", "The security group 'ssm-reach-endpoints' already exists"));

        assertThrows(RetryableAwsException.class, () -> handler().handle(request(false)));
        verify(ec2, never()).authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class));
    }

    @Test
    void ruleAddedMeanwhileIsTolerated() {
        dns(true, true);
        groupReads(List.of(managedGroup()));
        when(ec2.authorizeSecurityGroupIngress(argThat((AuthorizeSecurityGroupIngressRequest r) -> r != null && cidrOf(r).equals("10.1.0.0/16"))))
                .thenThrow(ec2Error("InvalidPermission.Duplicate", "the specified rule \"peer: 10.1.0.0/16, TCP, from port: 443, to port: 443, ALLOW\" already exists"));
        when(ec2.authorizeSecurityGroupIngress(argThat((AuthorizeSecurityGroupIngressRequest r) -> r != null && !cidrOf(r).equals("10.1.0.0/16"))))
                .thenReturn(AuthorizeSecurityGroupIngressResponse.builder().returnValue(true).build());

        VpcReadiness readiness = handler().handle(request(false));

        verify(ec2, times(3)).authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class));
        assertEquals(2, readiness.actions().size(), "no action for the rule someone else added");
        assertTrue(readiness.actions().get(0).detail().contains("10.0.0.0/16"), readiness.actions().get(0).detail());
        assertTrue(readiness.actions().get(1).detail().contains("2600:1f18:abc:de00::/56"), readiness.actions().get(1).detail());
    }

    @Test
    void otherAuthorizeErrorsSurfaceWithTheirCode() {
        dns(true, true);
        groupReads(List.of(managedGroup()));
        when(ec2.authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class)))
                .thenThrow(ec2Error("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached."));
        byte[] input = "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"cidrBlocks\":[\"10.0.0.0/16\"],\"dryRun\":false}".getBytes(StandardCharsets.UTF_8);

        AwsFailureException e = assertThrows(AwsFailureException.class,
                () -> handler().handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null));

        assertEquals("RulesPerSecurityGroupLimitExceeded", e.errorCode());
    }

    @Test
    void unauthorizedCreateSurfacesWithItsCode() {
        dns(true, true);
        groupReads(List.of());
        when(ec2.createSecurityGroup(any(CreateSecurityGroupRequest.class)))
                .thenThrow(ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation."));
        byte[] input = "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"cidrBlocks\":[\"10.0.0.0/16\"],\"dryRun\":false}".getBytes(StandardCharsets.UTF_8);

        AwsFailureException e = assertThrows(AwsFailureException.class,
                () -> handler().handleRequest(new ByteArrayInputStream(input), new ByteArrayOutputStream(), null));

        assertEquals("UnauthorizedOperation", e.errorCode());
        verify(ec2, never()).authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class));
    }

    // ---------------------------------------------------------------- dry run

    private static Object dryRunOnly(Boolean dryRun) {
        if (!Boolean.TRUE.equals(dryRun)) {
            throw new AssertionError("a dry run sent a mutating call without DryRun");
        }
        throw ec2Error(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
    }

    @Test
    void dryRunProbesTheGroupCreationAndPlansEverything() {
        dns(true, true);
        groupReads(List.of());
        when(ec2.createSecurityGroup(any(CreateSecurityGroupRequest.class)))
                .thenAnswer(i -> dryRunOnly(i.<CreateSecurityGroupRequest>getArgument(0).dryRun()));

        VpcReadiness readiness = handler().handle(request(true));

        assertNull(readiness.securityGroupId());
        assertEquals(List.of("CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupIngress"), operations(readiness.actions()));
        assertTrue(readiness.actions().stream().allMatch(Action::planned));
        assertEquals(List.of(), readiness.findings());
        verify(ec2).createSecurityGroup(any(CreateSecurityGroupRequest.class));
        verify(ec2, never()).authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class));
    }

    @Test
    void dryRunProbesEachMissingRule() {
        dns(true, true);
        groupReads(List.of(managedGroup(https("10.0.0.0/16"))));
        when(ec2.authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class)))
                .thenAnswer(i -> dryRunOnly(i.<AuthorizeSecurityGroupIngressRequest>getArgument(0).dryRun()));

        VpcReadiness readiness = handler().handle(request(true));

        ArgumentCaptor<AuthorizeSecurityGroupIngressRequest> rules = ArgumentCaptor.forClass(AuthorizeSecurityGroupIngressRequest.class);
        verify(ec2, times(2)).authorizeSecurityGroupIngress(rules.capture());
        assertTrue(rules.getAllValues().stream().allMatch(r -> Boolean.TRUE.equals(r.dryRun())));
        assertEquals(GROUP_ID, readiness.securityGroupId());
        assertTrue(readiness.actions().stream().allMatch(Action::planned));
        assertEquals(2, readiness.actions().size());
    }

    @Test
    void dryRunWithoutPermissionIsAFinding() {
        dns(true, true);
        groupReads(List.of());
        when(ec2.createSecurityGroup(any(CreateSecurityGroupRequest.class)))
                .thenThrow(ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation."));

        VpcReadiness readiness = handler().handle(request(true));

        assertEquals(List.of("PERMISSION_MISSING"), readiness.findings().stream().map(Finding::code).toList());
    }

    // ---------------------------------------------------------------- input and vanished VPC

    @Test
    void vpcDeletedMeanwhileIsGone() {
        when(ec2.describeVpcAttribute(any(DescribeVpcAttributeRequest.class)))
                .thenThrow(ec2Error("InvalidVpcID.NotFound", "The vpc ID '" + VPC + "' does not exist"));

        assertThrows(ResourceGoneException.class, () -> handler().handle(request(false)));
        verify(ec2).describeVpcAttribute(any(DescribeVpcAttributeRequest.class));
        verifyNoMoreInteractions(ec2);
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "null", "{", "[]", "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"cidrBlocks\":[],\"dryRun\":false}",
            "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"dryRun\":false}", "{\"cidrBlocks\":[\"10.0.0.0/16\"],\"dryRun\":false}",
            "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"cidrBlocks\":[\"10.0.0.0/16\"],\"dryRun\":\"yes\"}",
            "{\"vpcId\":\"vpc-0a1b2c3d4e5f60718\",\"cidrBlocks\":[\"10.0.0.0/16\"],\"dryRun\":false,\"groupId\":\"sg-1\"}"})
    void malformedInputFailsBeforeAnyCall(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertThrows(InvalidInputException.class, () -> handler()
                .handleRequest(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), out, null));

        verifyNoInteractions(ec2);
        assertEquals(0, out.size());
    }

    @Test
    void readinessRoundTripsThroughTheHandler() throws Exception {
        dns(true, true);
        groupReads(List.of(completeGroup()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        handler().handleRequest(new ByteArrayInputStream(Json.MAPPER.writeValueAsBytes(request(false))), out, null);

        assertEquals(new VpcReadiness(GROUP_ID, true, List.of(), List.of()), Json.MAPPER.readValue(out.toByteArray(), VpcReadiness.class));
    }

    // ---------------------------------------------------------------- what an earlier run left, undone

    private static final String REACHABLE_SUBNET = "subnet-0a000000000000001";
    private static final String NEW_SUBNET = "subnet-0b000000000000001";

    /** An in-scope subnet in {@code cidr}, left reachable by the last run, or not tagged by any run yet. */
    private static SubnetClassification subnet(String id, String cidr, boolean reachable) {
        Map<String, String> tags = reachable ? Map.of(EarlierRun.STATUS_TAG, EarlierRun.REACHABLE, EarlierRun.ENDPOINTS_TAG,
                "ec2messages,s3,ssm,ssmmessages") : Map.of();
        return new SubnetClassification(id, "us-east-1a", cidr, "rtb-0a", false, Route.ISOLATED, null, SubnetStatus.IN_SCOPE,
                "no 0.0.0.0/0 route", tags);
    }

    private static VpcRequest request(SubnetClassification... subnets) {
        return new VpcRequest(VPC, CIDRS, false, List.of(subnets));
    }

    @Test
    void dnsAttributeTurnedOffSinceAReachableRunIsTurnedOnAsARepair() {
        dns(true, false);
        groupReads(List.of(completeGroup()));
        when(ec2.modifyVpcAttribute(any(ModifyVpcAttributeRequest.class))).thenReturn(ModifyVpcAttributeResponse.builder().build());

        VpcReadiness readiness = handler().handle(request(subnet(NEW_SUBNET, "10.0.4.0/24", false),
                subnet(REACHABLE_SUBNET, "10.0.3.0/24", true)));

        assertEquals(1, readiness.actions().size());
        Action action = readiness.actions().getFirst();
        assertEquals("ModifyVpcAttribute", action.operation());
        assertEquals("enableDnsHostnames is off; it was on when " + REACHABLE_SUBNET + " was found reachable at the last run",
                action.found());
        assertTrue(readiness.dnsReady());
    }

    @Test
    void dnsAttributeOffInAVpcNoRunLeftReachableIsAFirstChange() {
        dns(false, false);
        groupReads(List.of(completeGroup()));
        when(ec2.modifyVpcAttribute(any(ModifyVpcAttributeRequest.class))).thenReturn(ModifyVpcAttributeResponse.builder().build());

        VpcReadiness readiness = handler().handle(request(subnet(NEW_SUBNET, "10.0.4.0/24", false)));

        assertEquals(2, readiness.actions().size());
        assertTrue(readiness.actions().stream().noneMatch(Action::repair), readiness.actions().toString());
    }

    @Test
    void rulesRevokedFromTheGroupAreRepairsWhereASubnetWasReachable() {
        dns(true, true);
        groupReads(List.of(managedGroup(https("2600:1f18:abc:de00::/56"))));
        authorizeSucceeds();

        VpcReadiness readiness = handler().handle(request(subnet(REACHABLE_SUBNET, "10.0.3.0/24", true),
                subnet(NEW_SUBNET, "10.1.4.0/24", false)));

        assertEquals(List.of("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupIngress"), operations(readiness.actions()));
        assertEquals("managed group " + GROUP_ID + " no longer admits TCP 443 from 10.0.0.0/16, where " + REACHABLE_SUBNET
                + " was reachable at the last run", readiness.actions().get(0).found());
        assertNull(readiness.actions().get(1).found(), "no subnet of 10.1.0.0/16 was reachable: the block may be new");
        verify(ec2, never()).createSecurityGroup(any(CreateSecurityGroupRequest.class));
    }

    @Test
    void groupDeletedSinceAReachableRunIsCreatedAgainAsARepair() {
        dns(true, true);
        groupMissingThenCreated();

        VpcReadiness readiness = handler().handle(request(subnet(REACHABLE_SUBNET, "10.0.3.0/24", true)));

        assertEquals("CreateSecurityGroup", readiness.actions().getFirst().operation());
        assertEquals("managed group ssm-reach-endpoints no longer exists; it did when " + REACHABLE_SUBNET
                + " was found reachable at the last run", readiness.actions().getFirst().found());
        assertEquals(4, readiness.actions().size());
        assertTrue(readiness.actions().stream().skip(1).noneMatch(Action::repair), "the rules of a new group are its first");
    }

    @Test
    void dryRunPlansTheRepairWithWhatItFound() {
        dns(true, true);
        groupReads(List.of(managedGroup(https("10.1.0.0/16"), https("2600:1f18:abc:de00::/56"))));
        when(ec2.authorizeSecurityGroupIngress(any(AuthorizeSecurityGroupIngressRequest.class)))
                .thenThrow(ec2Error(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."));

        VpcReadiness readiness = handler().handle(new VpcRequest(VPC, CIDRS, true, List.of(subnet(REACHABLE_SUBNET, "10.0.3.0/24", true))));

        Action action = readiness.actions().getFirst();
        assertTrue(action.planned());
        assertEquals(Action.ALLOWED, action.permission());
        assertTrue(action.repair(), action.toString());
    }
}
