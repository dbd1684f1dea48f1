package ssmreach.diagnosis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static ssmreach.diagnosis.DiagnosisFixtures.ACL;
import static ssmreach.diagnosis.DiagnosisFixtures.INSTANCE;
import static ssmreach.diagnosis.DiagnosisFixtures.PROFILE;
import static ssmreach.diagnosis.DiagnosisFixtures.REGION;
import static ssmreach.diagnosis.DiagnosisFixtures.SERVICES;
import static ssmreach.diagnosis.DiagnosisFixtures.SUBNET;
import static ssmreach.diagnosis.DiagnosisFixtures.VPC;
import static ssmreach.diagnosis.DiagnosisFixtures.VPC_CIDR;
import static ssmreach.diagnosis.DiagnosisFixtures.allTraffic;
import static ssmreach.diagnosis.DiagnosisFixtures.allowAll;
import static ssmreach.diagnosis.DiagnosisFixtures.defaultRoute;
import static ssmreach.diagnosis.DiagnosisFixtures.endpoint;
import static ssmreach.diagnosis.DiagnosisFixtures.endpointGroup;
import static ssmreach.diagnosis.DiagnosisFixtures.instance;
import static ssmreach.diagnosis.DiagnosisFixtures.instanceGroup;
import static ssmreach.diagnosis.DiagnosisFixtures.routeTable;
import static ssmreach.diagnosis.DiagnosisFixtures.subnet;
import static ssmreach.diagnosis.DiagnosisFixtures.subnetB;
import static ssmreach.diagnosis.DiagnosisFixtures.tcp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AttributeBooleanValue;
import software.amazon.awssdk.services.ec2.model.DescribeDhcpOptionsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeDhcpOptionsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeNetworkAclsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeNetworkAclsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeRouteTablesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeRouteTablesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSecurityGroupsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSubnetsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVpcAttributeRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcAttributeResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcEndpointsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVpcsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeVpcsResponse;
import software.amazon.awssdk.services.ec2.model.DhcpConfiguration;
import software.amazon.awssdk.services.ec2.model.DhcpOptions;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.NetworkAcl;
import software.amazon.awssdk.services.ec2.model.NetworkAclAssociation;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.RouteTableAssociation;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Vpc;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import software.amazon.awssdk.services.ec2.model.VpcCidrBlockAssociation;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.EvaluationResult;
import software.amazon.awssdk.services.iam.model.GetInstanceProfileRequest;
import software.amazon.awssdk.services.iam.model.GetInstanceProfileResponse;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.iam.model.SimulatePrincipalPolicyRequest;
import software.amazon.awssdk.services.iam.model.SimulatePrincipalPolicyResponse;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DescribeInstanceInformationRequest;
import software.amazon.awssdk.services.ssm.model.DescribeInstanceInformationResponse;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import ssmreach.SdkMocks;
import ssmreach.contract.Diagnosis;
import ssmreach.contract.Diagnosis.InstanceDiagnosis;
import ssmreach.contract.DiagnosisRequest;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;
import ssmreach.core.Settings;
import ssmreach.instance.AgentPermissions;

class DiagnoseHandlerTest {
    private static final String SECOND = "i-0abc1234def567891";
    private static final String UNKNOWN = "i-0deadbeefdeadbeef";
    private static final String ROLE = "arn:aws:iam::123456789012:role/ssm-reach-SsmInstanceRole-AbCdEf123456";
    private static final String DHCP = "dopt-0123456789abcdef0";
    /** Names of AWS operations that only read. */
    private static final String READ_ONLY = "(describe|get|simulate|list)[A-Z].*";

    private final Ec2Client ec2 = SdkMocks.ec2();
    private final IamClient iam = SdkMocks.iam();
    private final SsmClient ssm = SdkMocks.ssm();
    private final DiagnoseHandler handler = new DiagnoseHandler(
            Settings.from(Map.of("AWS_REGION", REGION, "ACCOUNT_ID", "123456789012")), ec2, iam, ssm);
    private final List<Instance> instances = new ArrayList<>();
    private final Map<String, String> pings = new HashMap<>();
    private List<String> dnsServers = List.of("AmazonProvidedDNS");
    private List<RouteTable> routeTables = List.of(routeTable());
    private List<NetworkAcl> acls = List.of(DiagnosisFixtures.acl(allowAll()));

    @AfterEach
    void neverChangesAnything() {
        for (Object client : List.of(ec2, iam, ssm)) {
            List<String> sent = SdkMocks.operations(client);
            assertTrue(sent.stream().allMatch(op -> op.matches(READ_ONLY)), sent.toString());
        }
    }

    /** The account as EC2, IAM and SSM describe it: the instances added to {@link #instances}, a healthy isolated VPC. */
    private void account() {
        when(ec2.describeInstances(any(DescribeInstancesRequest.class))).thenAnswer(i -> DescribeInstancesResponse.builder()
                .reservations(Reservation.builder().instances(instances).build()).build());
        when(ssm.describeInstanceInformation(any(DescribeInstanceInformationRequest.class))).thenAnswer(i -> {
            DescribeInstanceInformationRequest r = i.getArgument(0);
            return DescribeInstanceInformationResponse.builder().instanceInformationList(r.filters().getFirst().values().stream()
                    .filter(pings::containsKey)
                    .map(id -> InstanceInformation.builder().instanceId(id).pingStatus(pings.get(id)).build()).toList()).build();
        });
        when(ec2.describeVpcs(any(DescribeVpcsRequest.class))).thenReturn(DescribeVpcsResponse.builder().vpcs(Vpc.builder()
                .vpcId(VPC).cidrBlock(VPC_CIDR).dhcpOptionsId(DHCP)
                .cidrBlockAssociationSet(VpcCidrBlockAssociation.builder().cidrBlock(VPC_CIDR).build(),
                        VpcCidrBlockAssociation.builder().cidrBlock("10.1.0.0/16").build()).build()).build());
        when(ec2.describeDhcpOptions(any(DescribeDhcpOptionsRequest.class))).thenAnswer(i -> DescribeDhcpOptionsResponse.builder()
                .dhcpOptions(DhcpOptions.builder().dhcpOptionsId(DHCP).dhcpConfigurations(
                        DhcpConfiguration.builder().key("domain-name").values(v -> v.value("ec2.internal")).build(),
                        DhcpConfiguration.builder().key("domain-name-servers")
                                .values(dnsServers.stream().map(s -> software.amazon.awssdk.services.ec2.model.AttributeValue.builder()
                                        .value(s).build()).toList()).build()).build()).build());
        when(ec2.describeSubnets(any(DescribeSubnetsRequest.class)))
                .thenReturn(DescribeSubnetsResponse.builder().subnets(subnet(), subnetB()).build());
        when(ec2.describeRouteTables(any(DescribeRouteTablesRequest.class)))
                .thenAnswer(i -> DescribeRouteTablesResponse.builder().routeTables(routeTables).build());
        when(ec2.describeNetworkAcls(any(DescribeNetworkAclsRequest.class)))
                .thenAnswer(i -> DescribeNetworkAclsResponse.builder().networkAcls(acls).build());
        when(ec2.describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class))).thenReturn(DescribeVpcEndpointsResponse.builder()
                .vpcEndpoints(SERVICES.stream().map(s -> endpoint(s).build()).toList()).build());
        when(ec2.describeVpcAttribute(any(DescribeVpcAttributeRequest.class))).thenAnswer(i -> {
            DescribeVpcAttributeRequest r = i.getArgument(0);
            AttributeBooleanValue on = AttributeBooleanValue.builder().value(true).build();
            return r.attribute() == VpcAttributeName.ENABLE_DNS_SUPPORT
                    ? DescribeVpcAttributeResponse.builder().vpcId(VPC).enableDnsSupport(on).build()
                    : DescribeVpcAttributeResponse.builder().vpcId(VPC).enableDnsHostnames(on).build();
        });
        when(ec2.describeSecurityGroups(any(DescribeSecurityGroupsRequest.class))).thenReturn(DescribeSecurityGroupsResponse.builder()
                .securityGroups(instanceGroup(allTraffic("0.0.0.0/0")), endpointGroup(tcp(443, 443, VPC_CIDR))).build());
        when(iam.getInstanceProfile(any(GetInstanceProfileRequest.class))).thenReturn(GetInstanceProfileResponse.builder()
                .instanceProfile(p -> p.arn(PROFILE).instanceProfileName("ssm-reach-SsmInstanceProfile-AbCdEf123456")
                        .roles(Role.builder().arn(ROLE).roleName("ssm-reach-SsmInstanceRole-AbCdEf123456").build())).build());
        when(iam.simulatePrincipalPolicy(any(SimulatePrincipalPolicyRequest.class))).thenReturn(SimulatePrincipalPolicyResponse.builder()
                .evaluationResults(AgentPermissions.REQUIRED.stream()
                        .map(a -> EvaluationResult.builder().evalActionName(a).evalDecision("allowed").build()).toList())
                .isTruncated(false).build());
    }

    private static List<String> codes(InstanceDiagnosis d) {
        return d.findings().stream().map(Finding::code).toList();
    }

    @Test
    void instancesOfOneVpcShareOneReadOfIt() {
        instances.add(instance("running").build());
        instances.add(instance("running").instanceId(SECOND).build());
        pings.put(INSTANCE, "Online");
        account();

        Diagnosis diagnosis = handler.handle(new DiagnosisRequest(List.of(INSTANCE, SECOND)));

        verify(ec2, times(1)).describeVpcs(any(DescribeVpcsRequest.class));
        verify(ec2, times(1)).describeDhcpOptions(any(DescribeDhcpOptionsRequest.class));
        verify(ec2, times(1)).describeSubnets(any(DescribeSubnetsRequest.class));
        verify(ec2, times(1)).describeRouteTables(any(DescribeRouteTablesRequest.class));
        verify(ec2, times(1)).describeNetworkAcls(any(DescribeNetworkAclsRequest.class));
        verify(ec2, times(1)).describeVpcEndpoints(any(DescribeVpcEndpointsRequest.class));
        verify(ec2, times(2)).describeVpcAttribute(any(DescribeVpcAttributeRequest.class));
        verify(ec2, times(1)).describeInstances(any(DescribeInstancesRequest.class));
        verify(ssm, times(1)).describeInstanceInformation(any(DescribeInstanceInformationRequest.class));
        assertEquals(List.of(INSTANCE, SECOND), diagnosis.instances().stream().map(InstanceDiagnosis::instanceId).toList());
        assertEquals(List.of(), diagnosis.instances().get(0).findings());
        assertEquals("Online", diagnosis.instances().get(0).pingStatus());
        assertEquals(List.of("NOT_ONLINE"), codes(diagnosis.instances().get(1)));
    }

    @Test
    void readsAreFilteredByTheVpcAndTheInstances() {
        instances.add(instance("running").build());
        account();

        handler.handle(new DiagnosisRequest(List.of(INSTANCE)));

        Filter inVpc = Filter.builder().name("vpc-id").values(VPC).build();
        ArgumentCaptor<DescribeSubnetsRequest> subnets = ArgumentCaptor.forClass(DescribeSubnetsRequest.class);
        verify(ec2).describeSubnets(subnets.capture());
        assertEquals(List.of(inVpc), subnets.getValue().filters());
        ArgumentCaptor<DescribeVpcEndpointsRequest> endpoints = ArgumentCaptor.forClass(DescribeVpcEndpointsRequest.class);
        verify(ec2).describeVpcEndpoints(endpoints.capture());
        assertEquals(List.of(inVpc), endpoints.getValue().filters());
        ArgumentCaptor<DescribeInstancesRequest> read = ArgumentCaptor.forClass(DescribeInstancesRequest.class);
        verify(ec2).describeInstances(read.capture());
        assertEquals(List.of(Filter.builder().name("instance-id").values(INSTANCE).build()), read.getValue().filters());
        ArgumentCaptor<DescribeInstanceInformationRequest> asked = ArgumentCaptor.forClass(DescribeInstanceInformationRequest.class);
        verify(ssm).describeInstanceInformation(asked.capture());
        assertEquals("InstanceIds", asked.getValue().filters().getFirst().key());
        assertEquals(List.of(INSTANCE), asked.getValue().filters().getFirst().values());
        ArgumentCaptor<GetInstanceProfileRequest> profile = ArgumentCaptor.forClass(GetInstanceProfileRequest.class);
        verify(iam).getInstanceProfile(profile.capture());
        assertEquals("ssm-reach-SsmInstanceProfile-AbCdEf123456", profile.getValue().instanceProfileName());
    }

    @Test
    void onlyReadOperationsAreSent() {
        instances.add(instance("stopped").build());
        instances.add(instance("running").instanceId(SECOND).build());
        account();

        handler.handle(new DiagnosisRequest(List.of(INSTANCE, SECOND, UNKNOWN)));

        List<String> sent = new ArrayList<>(SdkMocks.operations(ec2));
        sent.addAll(SdkMocks.operations(iam));
        sent.addAll(SdkMocks.operations(ssm));
        assertTrue(sent.containsAll(List.of("describeInstances", "describeVpcs", "getInstanceProfile", "simulatePrincipalPolicy",
                "describeInstanceInformation")), sent.toString());
        assertTrue(sent.stream().allMatch(op -> op.matches(READ_ONLY)), sent.toString());
    }

    @Test
    void unknownInstanceIsGone() {
        account();

        Diagnosis diagnosis = handler.handle(new DiagnosisRequest(List.of(UNKNOWN)));

        InstanceDiagnosis d = diagnosis.instances().getFirst();
        assertEquals(UNKNOWN, d.instanceId());
        assertEquals(List.of("INSTANCE_GONE"), codes(d));
        assertEquals(Severity.ERROR, d.findings().getFirst().severity());
        assertEquals(UNKNOWN, d.findings().getFirst().resource());
        verify(ec2, never()).describeVpcs(any(DescribeVpcsRequest.class));
        verifyNoInteractions(iam);
    }

    @Test
    void terminatedInstanceWithoutVpcIsGone() {
        instances.add(Instance.builder().instanceId(INSTANCE).state(s -> s.name("terminated")).build());
        account();

        InstanceDiagnosis d = handler.handle(new DiagnosisRequest(List.of(INSTANCE))).instances().getFirst();

        assertEquals(List.of("INSTANCE_GONE"), codes(d));
    }

    @Test
    void emptyRequestReadsNothing() {
        Diagnosis diagnosis = handler.handle(new DiagnosisRequest(List.of()));

        assertEquals(List.of(), diagnosis.instances());
        verifyNoInteractions(ec2, iam, ssm);
    }

    @Test
    void customDnsServersOfTheDhcpOptionsAreAWarning() {
        dnsServers = List.of("AmazonProvidedDNS", "10.0.0.53");
        instances.add(instance("running").build());
        pings.put(INSTANCE, "Online");
        account();

        InstanceDiagnosis d = handler.handle(new DiagnosisRequest(List.of(INSTANCE))).instances().getFirst();

        assertEquals(List.of("CUSTOM_DNS_SERVERS"), codes(d));
        assertTrue(d.findings().getFirst().message().contains("10.0.0.53"), d.findings().getFirst().message());
        assertTrue(!d.findings().getFirst().message().contains("AmazonProvidedDNS"), d.findings().getFirst().message());
    }

    @Test
    void amazonProvidedDnsPasses() {
        instances.add(instance("running").build());
        pings.put(INSTANCE, "Online");
        account();

        InstanceDiagnosis d = handler.handle(new DiagnosisRequest(List.of(INSTANCE))).instances().getFirst();

        assertTrue(d.passed().contains("dhcp-dns"), d.passed().toString());
    }

    @Test
    void explicitRouteTableAndAclOfTheSubnetWinOverTheMainOnes() {
        RouteTable explicit = RouteTable.builder().routeTableId("rtb-0explicit").vpcId(VPC)
                .routes(DiagnosisFixtures.localRoute(), defaultRoute("igw-0123456789abcdef0"))
                .associations(RouteTableAssociation.builder().subnetId(SUBNET).main(false).build()).build();
        routeTables = List.of(routeTable(), explicit);
        NetworkAcl own = NetworkAcl.builder().networkAclId("acl-0own").vpcId(VPC).isDefault(false).entries(DiagnosisFixtures.defaultDenies())
                .associations(NetworkAclAssociation.builder().subnetId(SUBNET).build()).build();
        NetworkAcl defaultAcl = NetworkAcl.builder().networkAclId(ACL).vpcId(VPC).isDefault(true).entries(allowAll()).build();
        acls = List.of(defaultAcl, own);
        instances.add(instance("running").publicIpAddress("198.51.100.7").build());
        pings.put(INSTANCE, "Online");
        account();

        InstanceDiagnosis d = handler.handle(new DiagnosisRequest(List.of(INSTANCE))).instances().getFirst();

        assertTrue(d.passed().contains("route: 0.0.0.0/0 via igw-0123456789abcdef0"), d.passed().toString());
        assertEquals(List.of("NACL_BLOCKS_HTTPS_OUT", "NACL_BLOCKS_EPHEMERAL_IN"), codes(d));
        assertTrue(d.findings().stream().allMatch(f -> f.resource().equals("acl-0own")), d.findings().toString());
    }

    @Test
    void instanceWithoutProfileAsksIamNothing() {
        instances.add(instance("running").iamInstanceProfile((software.amazon.awssdk.services.ec2.model.IamInstanceProfile) null).build());
        pings.put(INSTANCE, "Online");
        account();

        InstanceDiagnosis d = handler.handle(new DiagnosisRequest(List.of(INSTANCE))).instances().getFirst();

        assertEquals(List.of("NO_INSTANCE_PROFILE"), codes(d));
        verifyNoInteractions(iam);
    }

    @Test
    void manyInstancesAreAskedOfSsmInBatches() {
        List<String> ids = IntStream.range(0, 120).mapToObj(n -> String.format("i-0%016x", n)).toList();
        account();

        handler.handle(new DiagnosisRequest(ids));

        ArgumentCaptor<DescribeInstanceInformationRequest> asked = ArgumentCaptor.forClass(DescribeInstanceInformationRequest.class);
        verify(ssm, atLeastOnce()).describeInstanceInformation(asked.capture());
        assertTrue(asked.getAllValues().stream().allMatch(r -> r.filters().getFirst().values().size() <= 50));
        assertEquals(ids, asked.getAllValues().stream().flatMap(r -> r.filters().getFirst().values().stream()).toList());
    }
}
